"""A model's answer streamed to a reader sentence by sentence, each one checked first.

The sample council is the knowledge base and the provider is the local wire-format server,
scripted with SSE streams. Source [1] of the permit question is the "Resident permits"
section (its first sentence is a lead-in, then a list, a table and "Each household can
have up to 2 resident permits."). The reader (the sink) only ever gets sentences that
passed grounding, in the order the model wrote them; when the provider fails it is told
to reset and gets the extractive answer.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openai_wire import FakeOpenAI, Status, Stream, deltas
from sqlalchemy import Engine

from civicdesk.assistant.live import LiveEvent, LiveReset, LiveSentence
from civicdesk.assistant.service import Assistant
from civicdesk.assistant.stages.compose import Compose
from civicdesk.domain.inquiry import AssistantReply, Outcome, StageRecord
from civicdesk.knowledge import ingest_paths, sample_council_path
from civicdesk.settings import Settings
from civicdesk.store import migrate
from civicdesk.store.engine import make_engine

PERMIT_QUESTION = "How much does a resident parking permit cost?"
COST = "A resident permit for a first vehicle costs £45 for 12 months."
HOUSEHOLD = "Each household can have up to 2 resident permits."
INVENTED = "You can also get a free permit by writing a letter to the mayor."
SELF_REFERENCE = "As an AI, each household can have up to 2 resident permits."
LEAD_IN = "You can get a resident permit if:"
ITEM = "you live at an address in a residents' parking zone"

NHS_PAGE = """\
---
title: Hospital transport
url: https://www.aberwen.gov.uk/health/hospital-transport
locale: en
---

## Booking hospital transport

Book hospital transport at least 2 days before your appointment.
Write your NHS number, for example 943 476 5919, on the booking form.
"""


def answer(*sentences: tuple[str, list[int], bool]) -> str:
    return json.dumps(
        {"sentences": [{"text": t, "sources": s, "list_item": i} for t, s, i in sentences]}
    )


def stream(*sentences: tuple[str, list[int], bool], **options: Any) -> Stream:
    return Stream(tuple(deltas(answer(*sentences))), **options)


def shown(text: str, source: int = 1, list_item: bool = False) -> LiveSentence:
    return LiveSentence(text, (source,), list_item)


# Deltas of 7 characters: this many of them carry the first sentence's whole object.
AFTER_COST = answer((COST, [1], False), (HOUSEHOLD, [1], False)).index("}") // 7 + 1


def stage(reply: AssistantReply, name: str) -> StageRecord:
    return next(record for record in reply.trace if record.stage == name)


def knowledge(folder: Path, *paths: Path) -> tuple[Path, Engine]:
    settings = Settings(data_dir=folder, environment="test", organisation_name="Aberwen")
    engine = make_engine(settings)
    migrate.upgrade(engine)
    ingest_paths(settings, engine, list(paths))
    return folder, engine


@pytest.fixture(scope="module")
def council(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Engine]]:
    folder, engine = knowledge(tmp_path_factory.mktemp("council-stream"), sample_council_path())
    yield folder, engine
    engine.dispose()


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as running:
        yield running


@pytest.fixture
def make_assistant() -> Iterator[Any]:
    """An assistant on a knowledge base whose provider is `server`; its client is closed after."""
    made: list[Assistant] = []

    def make(base: tuple[Path, Engine], server: FakeOpenAI | None, **options: Any) -> Assistant:
        folder, engine = base
        if server is not None:
            options = {
                "llm_provider": "openai",
                "llm_model": "fake-model",
                "llm_base_url": server.base_url,
                "llm_max_retries": 0,
                "llm_timeout_seconds": 2.0,
            } | options
        settings = Settings(
            data_dir=folder, environment="test", organisation_name="Aberwen", **options
        )
        assistant = Assistant.from_settings(settings, engine)
        made.append(assistant)
        return assistant

    yield make
    for assistant in made:
        compose = next(s for s in assistant.pipeline.stages if isinstance(s, Compose))
        if compose.generator is not None:
            compose.generator.client.close()  # type: ignore[attr-defined]


def test_checked_sentences_reach_the_sink_in_order_while_the_model_writes(
    server: FakeOpenAI, make_assistant: Any, council: tuple[Path, Engine]
) -> None:
    assistant = make_assistant(council, server)
    hold = threading.Event()
    text = answer((COST, [1], False), (HOUSEHOLD, [1], False))
    first_done = text.index("}") + 1  # the first sentence's object is in the first delta
    server.script(Stream((text[:first_done], *deltas(text[first_done:])), hold=hold))
    events: list[LiveEvent] = []
    replies: list[AssistantReply] = []
    asking = threading.Thread(
        target=lambda: replies.append(assistant.ask(PERMIT_QUESTION, on_sentence=events.append))
    )
    asking.start()
    deadline = time.monotonic() + 10
    while not events and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        assert events == [shown(COST)]  # shown while the model is still writing
        assert asking.is_alive()
    finally:
        hold.set()
        asking.join(timeout=10)
    assert events == [shown(COST), shown(HOUSEHOLD)]
    (reply,) = replies
    assert reply.outcome is Outcome.ANSWERED
    assert [part.text for part in reply.parts] == [COST, HOUSEHOLD]
    compose = stage(reply, "compose")
    assert (compose.verdict, compose.detail["streamed"], compose.detail["sentences"]) == (
        "generated",
        2,
        2,
    )
    assert stage(reply, "check").verdict == "pass"  # the whole answer is checked again
    assert server.completions()[0].body["stream"] is True


def test_a_sentence_that_fails_a_check_never_reaches_the_sink(
    server: FakeOpenAI, make_assistant: Any, council: tuple[Path, Engine]
) -> None:
    linked = "Each household can have up to 2 resident permits (https://example.com/buy)."
    server.script(
        stream(
            (COST, [1], False),
            (INVENTED, [1], False),
            ("A resident permit costs £45.", [9], False),  # a source that was never given
            (linked, [1], False),
        )
    )
    events: list[LiveEvent] = []
    reply = make_assistant(council, server).ask(PERMIT_QUESTION, on_sentence=events.append)
    assert events == [shown(COST), shown(HOUSEHOLD)]  # the invented link is gone
    assert reply.outcome is Outcome.ANSWERED
    assert [part.text for part in reply.parts] == [COST, HOUSEHOLD]
    assert "mayor" not in reply.answer and "example.com" not in reply.answer
    verdicts = stage(reply, "check").detail["grounding"]["verdicts"]  # type: ignore[index]
    assert verdicts == ["supported", "unsupported", "no_source", "supported"]


def test_a_sentence_an_output_rule_drops_never_reaches_the_sink(
    server: FakeOpenAI, make_assistant: Any, council: tuple[Path, Engine]
) -> None:
    server.script(stream((COST, [1], False), (SELF_REFERENCE, [1], False)))
    events: list[LiveEvent] = []
    reply = make_assistant(council, server).ask(PERMIT_QUESTION, on_sentence=events.append)
    assert events == [shown(COST)]
    assert reply.answer == COST
    verdicts = stage(reply, "check").detail["grounding"]["verdicts"]  # type: ignore[index]
    assert verdicts == ["supported", "supported"]  # grounded: the output policy dropped it


def test_a_lead_in_is_shown_with_what_follows_it_and_never_alone(
    server: FakeOpenAI, make_assistant: Any, council: tuple[Path, Engine]
) -> None:
    server.script(
        stream(
            (LEAD_IN, [1], False),
            (ITEM, [1], True),
            (HOUSEHOLD, [1], False),
            (LEAD_IN, [1], False),  # leads into nothing
        )
    )
    events: list[LiveEvent] = []
    reply = make_assistant(council, server).ask(PERMIT_QUESTION, on_sentence=events.append)
    assert events == [shown(LEAD_IN), shown(ITEM, list_item=True), shown(HOUSEHOLD)]
    assert [part.text for part in reply.parts] == [LEAD_IN, ITEM, HOUSEHOLD]


@pytest.mark.parametrize(
    ("failure", "reason", "streamed"),
    [
        (
            stream((COST, [1], False), (HOUSEHOLD, [1], False), fail_after=AFTER_COST),
            "unreachable",
            1,
        ),
        # cut before its last "]}": the sentence closes, the answer never does
        (Stream(tuple(deltas(answer((COST, [1], False))[:-2]))), "malformed_output", 1),
        (Status(503, "upstream down"), "server_error", 0),
    ],
    ids=["connection-drops", "json-never-closes", "fails-before-writing"],
)
def test_when_the_provider_fails_the_sink_is_reset_to_the_extractive_answer(
    server: FakeOpenAI,
    make_assistant: Any,
    council: tuple[Path, Engine],
    failure: Any,
    reason: str,
    streamed: int,
) -> None:
    offline = make_assistant(council, None).ask(PERMIT_QUESTION)
    server.script(failure)
    events: list[LiveEvent] = []
    reply = make_assistant(council, server).ask(PERMIT_QUESTION, on_sentence=events.append)
    assert events[:streamed] == [shown(COST)][:streamed]
    assert events[streamed] == LiveReset()
    after = events[streamed + 1 :]
    assert all(isinstance(event, LiveSentence) for event in after)
    assert [(e.text, e.is_list_item) for e in after if isinstance(e, LiveSentence)] == [
        (part.text, part.is_list_item) for part in offline.parts
    ]
    assert reply.answer == offline.answer and "£45" in reply.answer
    compose = stage(reply, "compose")
    assert (compose.verdict, compose.detail["fallback"], compose.detail["streamed"]) == (
        "fallback",
        reason,
        streamed,
    )


def test_a_personal_identifier_never_reaches_the_sink(
    tmp_path: Path, server: FakeOpenAI, make_assistant: Any
) -> None:
    guidance = tmp_path / "guidance"
    guidance.mkdir()
    (guidance / "hospital-transport.md").write_text(NHS_PAGE, encoding="utf-8")
    folder, engine = knowledge(tmp_path / "data", guidance)
    book = "Book hospital transport at least 2 days before your appointment."
    nhs = "Write your NHS number, for example 943 476 5919, on the booking form."
    server.script(stream((book, [1], False), (nhs, [1], False)))
    events: list[LiveEvent] = []
    try:
        reply = make_assistant((folder, engine), server).ask(
            "How do I book hospital transport?", on_sentence=events.append
        )
    finally:
        engine.dispose()
    assert events == [shown(book)]
    assert reply.answer == book  # the check stage drops it from the stored answer too
    assert stage(reply, "check").detail["personal_data"] == 1


def test_a_failing_sink_costs_the_citizen_nothing(
    server: FakeOpenAI, make_assistant: Any, council: tuple[Path, Engine]
) -> None:
    def gone(event: LiveEvent) -> None:
        raise ConnectionResetError("the page was closed")

    server.script(stream((COST, [1], False), (HOUSEHOLD, [1], False)))
    reply = make_assistant(council, server).ask(PERMIT_QUESTION, on_sentence=gone)
    assert reply.outcome is Outcome.ANSWERED
    assert [part.text for part in reply.parts] == [COST, HOUSEHOLD]
    assert stage(reply, "compose").verdict == "generated"


def test_without_a_provider_nothing_is_streamed(
    make_assistant: Any, council: tuple[Path, Engine]
) -> None:
    events: list[LiveEvent] = []
    reply = make_assistant(council, None).ask(PERMIT_QUESTION, on_sentence=events.append)
    assert reply.outcome is Outcome.ANSWERED and "£45" in reply.answer
    assert events == []  # the extractive answer is instant: the reader takes the reply


def test_the_sink_is_never_part_of_the_contexts_repr() -> None:
    from civicdesk.assistant.context import InquiryContext
    from civicdesk.domain.inquiry import Channel

    def sink(event: LiveEvent) -> None:
        raise AssertionError("never called")

    context = InquiryContext("q", Channel.WEB, "CD-TEST-TEST", on_sentence=sink)
    assert "on_sentence" not in repr(context) and "sink" not in repr(context)
