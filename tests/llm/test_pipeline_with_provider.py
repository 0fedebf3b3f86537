"""The whole answer pipeline with llm_provider = "openai", against a local wire-format server.

The sample council is the knowledge base. The server's default "model" quotes the first
sentence of source [1]; scripted replies add invented links, unsupported sentences and wrong
amounts, or fail. Whatever the provider does, the citizen gets a grounded answer, the
extractive answer, or a person: never an error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openai_wire import FakeOpenAI, Raw, Reply, Slow, Status, quote_first_source
from sqlalchemy import Engine, select

from civicdesk.assistant.service import Assistant
from civicdesk.assistant.stages.compose import Compose
from civicdesk.domain.inquiry import AssistantReply, Outcome, StageRecord
from civicdesk.knowledge import ingest_paths, sample_council_path
from civicdesk.settings import Settings
from civicdesk.store import migrate
from civicdesk.store.audit import AuditEvent
from civicdesk.store.engine import make_engine, make_sessionmaker

PERMIT_QUESTION = "How much does a resident parking permit cost?"


@pytest.fixture(scope="module")
def council(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Engine]]:
    folder = tmp_path_factory.mktemp("council-llm")
    settings = Settings(data_dir=folder, environment="test", organisation_name="Aberwen")
    engine = make_engine(settings)
    migrate.upgrade(engine)
    ingest_paths(settings, engine, [sample_council_path()])
    yield folder, engine
    engine.dispose()


@pytest.fixture(scope="module")
def extractive(council: tuple[Path, Engine]) -> Assistant:
    folder, engine = council
    settings = Settings(data_dir=folder, environment="test", organisation_name="Aberwen")
    return Assistant.from_settings(settings, engine)


@pytest.fixture
def make_assistant(council: tuple[Path, Engine]) -> Iterator[Any]:
    """An assistant whose provider is the given server; its HTTP client is closed after."""
    made: list[Assistant] = []

    def make(server: FakeOpenAI, **settings: Any) -> Assistant:
        folder, engine = council
        options: dict[str, Any] = {
            "llm_provider": "openai",
            "llm_model": "fake-model",
            "llm_base_url": server.base_url,
            "llm_max_retries": 0,
            "llm_timeout_seconds": 2.0,
            "llm_price_per_1k_input": 0.25,
            "llm_price_per_1k_output": 2.0,
        }
        options.update(settings)
        assistant = Assistant.from_settings(
            Settings(data_dir=folder, environment="test", organisation_name="Aberwen", **options),
            engine,
        )
        made.append(assistant)
        return assistant

    yield make
    for assistant in made:
        compose = next(s for s in assistant.pipeline.stages if isinstance(s, Compose))
        compose.generator.client.close()  # type: ignore[union-attr]


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as running:
        yield running


def stage(reply: AssistantReply, name: str) -> StageRecord:
    return next(record for record in reply.trace if record.stage == name)


def first_source_sentence(server: FakeOpenAI) -> str:
    """What the default model would say for the last request: the sentence it quotes."""
    reply = quote_first_source(server.completions()[-1].body)
    return str(json.loads(reply.content)["sentences"][0]["text"])


def scripted(*sentences: str) -> Any:
    """A model that says the first sentence of source [1], then `sentences`, citing [1]."""

    def model(body: dict[str, Any]) -> Reply:
        first = json.loads(quote_first_source(body).content)["sentences"]
        extra = [{"text": s, "sources": [1], "list_item": False} for s in sentences]
        return Reply(json.dumps({"sentences": first + extra}), usage=(900, 80))

    return model


def test_a_provider_answer_is_grounded_cited_and_costed(
    server: FakeOpenAI, make_assistant: Any, council: tuple[Path, Engine]
) -> None:
    reply = make_assistant(server).ask(PERMIT_QUESTION)
    assert reply.outcome is Outcome.ANSWERED
    quoted = first_source_sentence(server)
    assert reply.answer == quoted
    assert [part.text for part in reply.parts] == [quoted]
    assert reply.citations[0].url.startswith("https://www.aberwen.gov.uk/parking/parking-permits")
    compose, check = stage(reply, "compose"), stage(reply, "check")
    assert compose.verdict == "generated"
    assert compose.detail["llm"] == {
        "model": "fake-model",
        "attempts": 1,
        "prompt_tokens": 120,
        "completion_tokens": 30,
        "budget": 8000,
        "cost": round(120 / 1000 * 0.25 + 30 / 1000 * 2.0, 6),
        "estimated": False,
    }
    assert check.verdict == "pass"
    assert check.detail["grounding"]["verdicts"] == ["supported"]  # type: ignore[index]
    prompt = server.completions()[0].body["messages"][1]["content"]
    assert PERMIT_QUESTION in prompt and "[1] Resident and visitor parking permits" in prompt

    _, engine = council
    with make_sessionmaker(engine)() as session:
        event = session.execute(
            select(AuditEvent).where(
                AuditEvent.object_id == reply.reference, AuditEvent.action == "inquiry.completed"
            )
        ).scalar_one()
    payload = json.loads(event.payload)
    assert payload["llm"] == compose.detail["llm"]


def test_an_invented_link_is_removed_and_the_sentence_kept(make_assistant: Any) -> None:
    def model(body: dict[str, Any]) -> Reply:
        first = json.loads(quote_first_source(body).content)["sentences"][0]
        first["text"] = first["text"].rstrip(".") + (
            " (see https://www.aberwen.gov.uk/parking/permit-shop)."
        )
        return Reply(json.dumps({"sentences": [first]}))

    with FakeOpenAI(model=model) as server:
        reply = make_assistant(server).ask(PERMIT_QUESTION)
    assert reply.outcome is Outcome.ANSWERED
    assert "permit-shop" not in reply.answer
    assert "http" not in reply.answer
    grounding = stage(reply, "check").detail["grounding"]
    assert grounding["links_removed"] == 1  # type: ignore[index]
    assert grounding["verdicts"] == ["supported"]  # type: ignore[index]


def test_an_unsupported_sentence_is_dropped(make_assistant: Any) -> None:
    invented = "You can also get a free permit by writing a letter to the mayor."
    with FakeOpenAI(model=scripted(invented)) as server:
        reply = make_assistant(server).ask(PERMIT_QUESTION)
        quoted = first_source_sentence(server)
    assert reply.outcome is Outcome.ANSWERED
    assert reply.answer == quoted
    assert "mayor" not in reply.answer
    check = stage(reply, "check")
    assert check.verdict == "dropped"
    assert check.detail["grounding"]["verdicts"] == ["supported", "unsupported"]  # type: ignore[index]


def test_when_too_little_is_left_a_person_answers(make_assistant: Any) -> None:
    wrong = (
        "A resident parking permit for a first vehicle costs £99 for 12 months.",
        "Each household can have up to 7 resident permits.",
    )
    with FakeOpenAI(model=scripted(*wrong)) as server:
        reply = make_assistant(server).ask(PERMIT_QUESTION)
    assert reply.outcome is Outcome.HANDED_OVER
    assert reply.reasons[-1] == "answer_not_grounded"
    assert "£99" not in reply.answer and reply.parts == ()
    verdicts = stage(reply, "check").detail["grounding"]["verdicts"]  # type: ignore[index]
    assert verdicts == ["supported", "facts_differ", "facts_differ"]


def test_when_the_model_finds_nothing_to_say_a_person_answers(
    server: FakeOpenAI, make_assistant: Any
) -> None:
    server.script(Reply('{"sentences": []}'))
    reply = make_assistant(server).ask(PERMIT_QUESTION)
    assert reply.outcome is Outcome.HANDED_OVER
    assert reply.reasons[-1] == "generated_no_answer"


@pytest.mark.parametrize(
    ("behaviour", "reason", "code"),
    [
        (Status(500, "upstream down"), "server_error", "E1004"),
        (Status(429, "quota", {"Retry-After": "3600"}), "rate_limited", "E1003"),
        (Slow(3.0), "timeout", "E1001"),
        (Raw(b"<html>bad gateway</html>", "text/html"), "malformed_output", "E1005"),
        (Reply("Permits cost about £45, I believe."), "malformed_output", "E1005"),
        (Status(401, "invalid api key"), "rejected", "E1006"),
    ],
)
def test_any_provider_failure_falls_back_to_the_extractive_answer(
    server: FakeOpenAI,
    make_assistant: Any,
    extractive: Assistant,
    behaviour: Any,
    reason: str,
    code: str,
) -> None:
    server.script(behaviour)
    reply = make_assistant(server, llm_timeout_seconds=0.5).ask(PERMIT_QUESTION)
    offline = extractive.ask(PERMIT_QUESTION)
    assert reply.outcome is Outcome.ANSWERED
    assert reply.answer == offline.answer
    assert "£45" in reply.answer
    compose = stage(reply, "compose")
    assert compose.verdict == "fallback"
    assert compose.detail["composer"] == "extractive"
    assert (compose.detail["fallback"], compose.detail["code"]) == (reason, code)
    assert stage(reply, "check").verdict == "pass"  # the extractive answer is checked too


def test_with_the_breaker_open_no_call_is_made(server: FakeOpenAI, make_assistant: Any) -> None:
    assistant = make_assistant(server, llm_breaker_failures=2, llm_breaker_cooldown_seconds=60)
    server.script(Status(503), Status(503))
    for _ in range(2):
        assert stage(assistant.ask(PERMIT_QUESTION), "compose").detail["code"] == "E1004"
    calls = len(server.completions())
    reply = assistant.ask(PERMIT_QUESTION)
    assert reply.outcome is Outcome.ANSWERED and "£45" in reply.answer
    assert stage(reply, "compose").detail["fallback"] == "circuit_open"
    assert len(server.completions()) == calls


def test_a_retry_after_a_server_error_still_answers(
    server: FakeOpenAI, make_assistant: Any
) -> None:
    server.script(Status(502))
    reply = make_assistant(server, llm_max_retries=1).ask(PERMIT_QUESTION)
    compose = stage(reply, "compose")
    assert compose.verdict == "generated"
    assert compose.detail["llm"]["attempts"] == 2  # type: ignore[index]


def test_over_budget_falls_back_without_a_call(server: FakeOpenAI, make_assistant: Any) -> None:
    reply = make_assistant(server, llm_token_budget=300).ask(PERMIT_QUESTION)
    assert reply.outcome is Outcome.ANSWERED
    assert stage(reply, "compose").detail["fallback"] == "over_budget"
    assert server.completions() == []


@pytest.mark.parametrize(
    "question",
    [
        "How do I get a licence to sell alcohol from a market stall?",  # nothing relevant
        "Can I speak to a real person please?",  # routed before compose
    ],
)
def test_no_tokens_are_spent_on_questions_a_person_will_answer(
    server: FakeOpenAI, make_assistant: Any, question: str
) -> None:
    reply = make_assistant(server).ask(question)
    assert reply.outcome is Outcome.HANDED_OVER
    assert server.completions() == []


def test_the_extractive_composer_is_checked_the_same_way(extractive: Assistant) -> None:
    reply = extractive.ask(PERMIT_QUESTION)
    check = stage(reply, "check")
    assert check.verdict == "pass"
    grounding = check.detail["grounding"]
    assert grounding["sentences"] == len(reply.parts)  # type: ignore[index]
    assert set(grounding["verdicts"]) == {"supported"}  # type: ignore[index]
    assert stage(reply, "compose").verdict == "composed"
    assert not re.search(r"https?://", reply.answer)
