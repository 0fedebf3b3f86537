"""POST /answer/stream: a model's checked sentences as they are written, then the answer page.

The app runs under uvicorn on a real port with the sample council's guidance, and its
provider is the local OpenAI wire-format server (tests/llm/openai_wire.py); the stream is
read line by line over HTTP. Source [1] of the permit question is the "Resident permits"
section. The endpoint keeps the question form's rules (intake, rate and body limits), which
the in-process client checks.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from web_client import AppClient, web_settings_for

from civicdesk.knowledge import ingest_paths, sample_council_path
from civicdesk.settings import Settings
from civicdesk.store import migrate
from civicdesk.web.app import create_app
from e2e.browser_tools import running_server
from llm.openai_wire import FakeOpenAI, Status, Stream, answer_json, deltas

PERMIT_QUESTION = "How much does a resident parking permit cost?"
COST = "A resident permit for a first vehicle costs £45 for 12 months."
HOUSEHOLD = "Each household can have up to 2 resident permits."
INVENTED = "You can also get a free permit by writing a letter to the mayor."
NDJSON = "application/x-ndjson"

Events = list[dict[str, Any]]


def provider(server: FakeOpenAI) -> dict[str, Any]:
    return {
        "llm_provider": "openai",
        "llm_model": "fake-model",
        "llm_base_url": server.base_url,
        "llm_max_retries": 0,
        "llm_timeout_seconds": 2.0,
        "organisation_name": "Aberwen County Council",
    }


def council_app(settings: Settings) -> FastAPI:
    app = create_app(settings)
    migrate.upgrade(app.state.engine)
    ingest_paths(settings, app.state.engine, [sample_council_path()])
    return app


@pytest.fixture(scope="module")
def model() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as running:
        yield running


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, model: FakeOpenAI) -> Iterator[str]:
    """The app with a provider, served on a free port: its base URL."""
    folder = tmp_path_factory.mktemp("stream")
    app = council_app(web_settings_for(folder, **provider(model)))
    try:
        with running_server(app) as url:
            yield url
    finally:
        app.state.engine.dispose()


def read_events(url: str, question: str, on_line: Any = None) -> tuple[httpx.Response, Events]:
    """POST the question form to the stream; every event, read as it arrives."""
    events: Events = []
    with (
        httpx.Client(timeout=20) as client,
        client.stream("POST", url, data={"text": question}) as response,
    ):
        for line in response.iter_lines():
            if line:
                events.append(json.loads(line))
                if on_line is not None:
                    on_line(events)
    return response, events


def sentences(events: Events) -> list[str]:
    return [e["text"] for e in events if e["event"] == "sentence"]


@pytest.mark.slow
def test_checked_sentences_arrive_while_the_model_writes_then_the_page(
    live: str, model: FakeOpenAI
) -> None:
    hold = threading.Event()
    text = answer_json((COST, [1]), (f"<b>{HOUSEHOLD}</b>", [1]), (INVENTED, [1]))
    first = text.index("}") + 1  # the first sentence is whole in the first delta
    model.script(Stream((text[:first], *deltas(text[first:])), hold=hold))
    seen_while_held: Events = []

    def on_line(events: Events) -> None:
        if len(events) == 1:
            seen_while_held.extend(events)
            hold.set()  # the model finishes only once the first sentence was read

    try:
        response, events = read_events(live + "/answer/stream", PERMIT_QUESTION, on_line)
    finally:
        hold.set()
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(NDJSON)
    assert response.headers["cache-control"] == "no-store"
    assert seen_while_held == [
        {"event": "sentence", "text": COST, "sources": [1], "list_item": False}
    ]
    assert sentences(events) == [COST, f"<b>{HOUSEHOLD}</b>"]  # never the invented one
    done = events[-1]
    assert [e["event"] for e in events] == ["sentence", "sentence", "done"]
    assert (done["outcome"], done["title"]) == ("answered", "Answer to your question")
    html = done["html"]
    assert done["reference"] in html and '<h1 class="govuk-heading-l">' in html
    assert "&lt;b&gt;Each household" in html and "<b>" not in html  # Jinja escaped it
    assert "mayor" not in html
    assert 'id="source-1"' in html and 'name="token"' in html  # sources, feedback, a person
    assert 'action="/inquiries/' in html


@pytest.mark.slow
def test_a_provider_failing_mid_answer_resets_to_the_extractive_answer(
    live: str, model: FakeOpenAI
) -> None:
    text = answer_json((COST, [1]), (HOUSEHOLD, [1]))
    model.script(Stream(tuple(deltas(text)), fail_after=text.index("}") // 7 + 1))
    response, events = read_events(live + "/answer/stream", PERMIT_QUESTION)
    kinds = [e["event"] for e in events]
    assert kinds[:2] == ["sentence", "reset"] and kinds[-1] == "done"
    assert set(kinds[2:-1]) == {"sentence"}
    extractive = sentences(events)[1:]
    assert any("£45" in s for s in extractive)
    page = " ".join(unescape(re.sub(r"<[^>]+>", " ", events[-1]["html"])).split())
    for sentence in extractive:  # the page ends with what was streamed after the reset
        assert all(cell in page for cell in sentence.split(" | ")), sentence
    assert COST not in page


@pytest.mark.slow
def test_welsh_streams_at_cy_and_ends_in_welsh(live: str, model: FakeOpenAI) -> None:
    model.script(Status(503))  # the extractive answer, in Welsh page text
    response, events = read_events(live + "/cy/answer/stream", PERMIT_QUESTION)
    done = events[-1]
    assert done["title"] == "Ateb i'ch cwestiwn"
    assert "/cy/inquiries/" in done["html"] and "Ffynonellau" in done["html"]


# --- the rules of the question form, in process ------------------------------------------


@pytest.fixture
def provider_client(tmp_path: Path, model: FakeOpenAI) -> Iterator[AppClient]:
    app = council_app(web_settings_for(tmp_path, **provider(model)))
    yield AppClient(app)
    app.state.engine.dispose()


def test_the_form_offers_streaming_only_when_a_model_writes(
    client: AppClient, provider_client: AppClient
) -> None:
    plain = client.get("/").text
    assert "data-stream-url" not in plain and "answer-stream.js" not in plain
    english, welsh = provider_client.get("/").text, provider_client.get("/cy").text
    assert 'data-stream-url="/answer/stream"' in english
    assert 'data-stream-url="/cy/answer/stream"' in welsh
    assert 'script type="module" src="/static/civicdesk/answer-stream.js" nonce="' in english
    assert "Rydym yn ysgrifennu eich ateb" in welsh


def test_the_script_is_served_from_our_origin(client: AppClient) -> None:
    script = client.get("/static/civicdesk/answer-stream.js")
    assert script.status_code == 200
    assert "textContent" in script.text and "postNormally" in script.text


@pytest.mark.parametrize(
    ("text", "status", "message"),
    [("", 422, "Please type your question."), ("bins " * 1000, 413, "Please keep it under")],
)
def test_a_question_the_form_refuses_gets_the_form_page(
    provider_client: AppClient, text: str, status: int, message: str
) -> None:
    response = provider_client.post("/answer/stream", data={"text": text})
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert "govuk-error-message" in response.text and message in response.text


def test_the_stream_shares_the_question_rate_limit(tmp_path: Path) -> None:
    app = create_app(web_settings_for(tmp_path, rate_limit_per_minute=6, rate_limit_burst=1))
    migrate.upgrade(app.state.engine)
    client = AppClient(app)
    try:
        assert client.post("/ask", data={"text": ""}).status_code == 422
        limited = client.post("/answer/stream", data={"text": "bins"})
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert client.post("/cy/answer/stream", data={"text": "biniau"}).status_code == 429
    finally:
        app.state.engine.dispose()


def test_an_oversize_body_gets_413(provider_client: AppClient) -> None:
    response = provider_client.post("/answer/stream", data={"text": "x" * 70_000})
    assert response.status_code == 413


def test_with_the_extractive_default_the_stream_is_only_the_answer(
    tmp_path: Path,
) -> None:
    app = council_app(web_settings_for(tmp_path, organisation_name="Aberwen County Council"))
    try:
        response = AppClient(app).post("/answer/stream", data={"text": PERMIT_QUESTION})
    finally:
        app.state.engine.dispose()
    events = [json.loads(line) for line in response.text.splitlines()]
    assert [e["event"] for e in events] == ["done"]
    assert "£45" in events[0]["html"]
