"""A model's answer in the citizen's language on the answer page: marked with that language,
with the notice that a computer model translated it from the English guidance.

The app has a provider (the local OpenAI wire-format server, tests/llm/openai_wire.py) and no
embedder, over two of the sample council's English pages.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from web_client import AppClient, web_settings_for

from civicdesk.assistant.messages import load_catalogues
from civicdesk.knowledge import ingest_paths, sample_council_path
from civicdesk.store import migrate
from civicdesk.web.app import create_app
from llm.openai_wire import FakeOpenAI, Reply

ORGANISATION = "Aberwen County Council"
CATALOGUES = load_catalogues()
QUESTION = "Ile kosztuje pozwolenie na parkowanie dla mieszkańców?"
COST_PL = "Pozwolenie dla mieszkańców na pierwszy pojazd kosztuje £45 za 12 miesięcy."
COST_EN = "A resident permit for a first vehicle costs £45 for 12 months."


@pytest.fixture(scope="module")
def model() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as running:
        yield running


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, model: FakeOpenAI) -> Iterator[AppClient]:
    folder: Path = tmp_path_factory.mktemp("web-translated")
    settings = web_settings_for(
        folder,
        organisation_name=ORGANISATION,
        llm_provider="openai",
        llm_model="fake-model",
        llm_base_url=model.base_url,
        llm_max_retries=0,
        llm_timeout_seconds=2.0,
    )
    app: FastAPI = create_app(settings)
    migrate.upgrade(app.state.engine)
    english = sample_council_path() / "en"
    ingest_paths(settings, app.state.engine, [english / "parking-permits.md"])
    yield AppClient(app)
    app.state.engine.dispose()


def element(page: httpx.Response, id: str) -> tuple[dict[str, str], str]:
    """The attributes and the text of the div with this id."""
    found = re.search(rf'<div([^>]*\bid="{id}"[^>]*)>(.*?)</div>', page.text, re.S)
    assert found, f'no <div id="{id}"> on the page'
    attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', found.group(1)))
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(2))).split())
    return attributes, text


def test_the_translated_answer_is_marked_polish_and_says_a_model_translated_it(
    client: AppClient, model: FakeOpenAI
) -> None:
    rendering = json.dumps({"translation": "How much does a resident parking permit cost?"})
    item = {"text": COST_PL, "source_text": COST_EN, "sources": [1], "list_item": False}
    model.script(Reply(rendering), Reply(json.dumps({"sentences": [item]})))
    page = client.post("/ask", data={"text": QUESTION})
    assert page.status_code == 200
    answer, text = element(page, "answer")
    assert (answer["data-outcome"], answer["lang"], answer["dir"]) == ("answered", "pl", "ltr")
    assert text == f"{COST_PL} [1]"
    notice, said = element(page, "notice")
    assert (notice["lang"], notice["dir"]) == ("pl", "ltr")
    assert said == CATALOGUES.message("machine_translated", "pl")
    assert "A computer model wrote this answer from these pages" in page.text
