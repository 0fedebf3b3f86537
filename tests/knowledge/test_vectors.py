"""Chunk vectors and the retriever that ranks with them (ADR 0011), with a tiny embedder.

`WordsEmbedder` is a real implementation of the Embedder protocol: a hashed bag of words,
deterministic and instant, so texts that share words point the same way. It counts what it is
asked to embed, which is how the cache tests see that nothing is embedded twice. The end to
end tests drive `load_retriever` against the OpenAI wire server of the LLM tests
(tests/llm/openai_wire.py), counting the embeddings requests it receives.
"""

from __future__ import annotations

import gc
import hashlib
import re
import threading
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine

from civicdesk.domain.knowledge import Chunk, ChunkHit, PageHit
from civicdesk.knowledge import ingest_paths, load_retriever
from civicdesk.knowledge import retriever as retriever_module
from civicdesk.knowledge.embedders import EmbeddingUnavailable, Vectors, normalise
from civicdesk.knowledge.index import LexicalIndex, build_index
from civicdesk.knowledge.retriever import Retriever, index_root
from civicdesk.knowledge.vectors import (
    EMBED_BATCH,
    PASSAGE_CHARS,
    RRF_K,
    VectorIndex,
    build_vectors,
    cache_file,
    chunk_digest,
    fuse,
    load_vectors,
    passage_text,
    read_cache,
    save_vectors,
    text_key,
    vector_pages,
    vectors_file,
    write_cache,
)
from civicdesk.settings import Settings
from civicdesk.store import migrate
from civicdesk.store.engine import make_engine
from llm.openai_wire import FakeOpenAI, Status

DIMENSIONS = 64


class WordsEmbedder:
    """Each lower-cased word adds 1 to one of DIMENSIONS slots chosen by its hash."""

    def __init__(self, name: str = "words:64") -> None:
        self.name = name
        self.passage_calls: list[list[str]] = []
        self.query_calls: list[list[str]] = []

    def _rows(self, texts: Sequence[str]) -> Vectors:
        rows = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                rows[row, int.from_bytes(digest, "little") % DIMENSIONS] += 1.0
        return normalise(rows)

    def queries(self, texts: Sequence[str]) -> Vectors:
        self.query_calls.append(list(texts))
        return self._rows(texts)

    def passages(self, texts: Sequence[str]) -> Vectors:
        self.passage_calls.append(list(texts))
        return self._rows(texts)

    @property
    def embedded(self) -> list[str]:
        """Every passage embedded so far, in order."""
        return [text for call in self.passage_calls for text in call]


class UnavailableEmbedder(WordsEmbedder):
    """A provider that is down: every call raises, as OpenAIEmbedder does on an API error."""

    def queries(self, texts: Sequence[str]) -> Vectors:
        raise EmbeddingUnavailable("APIConnectionError")

    def passages(self, texts: Sequence[str]) -> Vectors:
        raise EmbeddingUnavailable("APIConnectionError")


def chunk(id: str, page: str, text: str, locale: str = "en", heading: str = "About") -> Chunk:
    return Chunk(id, f"https://x/{page}", page.replace("-", " ").title(), (heading,), text, locale)


CORPUS = [
    chunk("bb1", "blue-badge", "Apply for a Blue Badge parking permit if you are disabled."),
    chunk("bb2", "blue-badge", "A Blue Badge lasts three years.", heading="Renew"),
    chunk("bin1", "bins", "Rubbish and recycling bins are collected every week."),
    chunk("bin2", "bins", "Report a missed bin within two working days.", heading="Missed"),
    chunk("tax1", "council-tax", "Live alone and get a single person discount on council tax."),
    chunk("cy1", "biniau", "Rydym yn casglu biniau sbwriel bob wythnos.", locale="cy"),
]


def vectors_for(
    chunks: Sequence[Chunk], embedder: WordsEmbedder
) -> tuple[LexicalIndex, VectorIndex]:
    index = build_index(chunks, fingerprint="t")
    vectors, _ = build_vectors(index.chunks, index.chunk_page, len(index.page_urls), embedder)
    return index, vectors


# --- page scores ----------------------------------------------------------------------------

F = False
T = True


@pytest.mark.parametrize(
    ("chunk_page", "page_count", "scores", "allowed", "expected"),
    [
        # best chunk + 0.1 x second; a negative second adds nothing; page 3 has no chunk
        ([0, 0, 0, 1, 1, 2], 4, [0.5, 0.9, 0.7, 0.6, -0.2, 0.3], None, [0.97, 0.6, 0.3, -1]),
        # the mask leaves page 0 its third and first chunks, page 2 none at all
        ([0, 0, 0, 1, 1, 2], 4, [0.5, 0.9, 0.7, 0.6, -0.2, 0.3], [T, F, T, T, T, F],
         [0.75, 0.6, -1, -1]),
        # a page's only chunk with a negative cosine keeps it (it is not "no chunk")
        ([0, 1], 2, [0.4, -0.4], None, [0.4, -0.4]),
        # chunks need not come grouped by page
        ([1, 0, 1, 0, 1], 2, [0.2, 0.8, 0.6, 0.1, 0.4], None, [0.81, 0.64]),
        # a tie between a page's two best chunks counts both
        ([0, 0], 1, [0.5, 0.5], None, [0.55]),
        # nothing allowed anywhere
        ([0, 1], 2, [0.9, 0.8], [F, F], [-1, -1]),
    ],
    ids=["best-plus-share", "locale-mask", "negative-best", "ungrouped", "tie", "none-allowed"],
)
def test_page_scores(
    chunk_page: list[int],
    page_count: int,
    scores: list[float],
    allowed: list[bool] | None,
    expected: list[float],
) -> None:
    vectors = VectorIndex(
        "words:64",
        np.eye(len(scores), dtype=np.float32),
        np.array(chunk_page, dtype=np.int32),
        page_count,
    )
    mask = None if allowed is None else np.array(allowed, dtype=bool)
    totals = vectors.page_scores(np.array(scores, dtype=np.float32), mask)
    np.testing.assert_allclose(totals, expected, atol=1e-6)


def test_chunk_scores_are_the_cosines_of_the_unit_rows() -> None:
    embedder = WordsEmbedder()
    _, vectors = vectors_for(CORPUS, embedder)
    query = embedder.queries(["missed bin"])[0]
    scores = vectors.chunk_scores(query)
    assert scores.dtype == np.float32
    np.testing.assert_allclose(scores, vectors.matrix @ query, atol=1e-6)
    assert int(np.argmax(scores)) == 3  # "Report a missed bin ..."


# --- vector_pages ---------------------------------------------------------------------------

PAGED = [
    chunk("a1", "a", "one"),
    chunk("b1", "b", "two"),
    chunk("a2", "a", "three"),
    chunk("c1", "c", "four", locale="cy"),
    chunk("a3", "a", "five"),
    chunk("b2", "b", "six"),
]
PAGED_PAGE = np.array([0, 1, 0, 2, 0, 1], dtype=np.int32)
PAGED_SCORES = np.array([0.3, 0.5, 0.9, 0.95, 0.6, 0.7], dtype=np.float32)


@pytest.mark.parametrize(
    ("allowed", "k", "per_page", "expected"),
    [
        # a: 0.9 + 0.1 x 0.6; c: 0.95; b: 0.7 + 0.1 x 0.5
        (None, 5, 3, [("a", ["a2", "a3", "a1"]), ("c", ["c1"]), ("b", ["b2", "b1"])]),
        (None, 2, 3, [("a", ["a2", "a3", "a1"]), ("c", ["c1"])]),
        (None, 5, 1, [("a", ["a2"]), ("c", ["c1"]), ("b", ["b2"])]),
        # English only: page c has no allowed chunk and is left out, not ranked last
        ([T, T, T, F, T, T], 5, 2, [("a", ["a2", "a3"]), ("b", ["b2", "b1"])]),
        # a page keeps only its allowed chunks, and is scored on them alone
        ([T, T, F, F, F, T], 5, 3, [("b", ["b2", "b1"]), ("a", ["a1"])]),
        ([F] * 6, 5, 3, []),
    ],
    ids=["all", "k", "one-chunk-each", "english-only", "partial-mask", "nothing-allowed"],
)
def test_vector_pages_order_and_chunks(
    allowed: list[bool] | None,
    k: int,
    per_page: int,
    expected: list[tuple[str, list[str]]],
) -> None:
    vectors = VectorIndex("words:64", np.eye(6, dtype=np.float32), PAGED_PAGE, 3)
    mask = None if allowed is None else np.array(allowed, dtype=bool)
    hits = vector_pages(vectors, PAGED, PAGED_SCORES, mask, k, per_page)
    assert [(h.url.rsplit("/", 1)[-1], [c.chunk.id for c in h.chunks]) for h in hits] == expected
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    for hit in hits:
        assert [c.score for c in hit.chunks] == sorted((c.score for c in hit.chunks), reverse=True)


def test_a_vector_hit_carries_its_page_and_rounded_cosines() -> None:
    vectors = VectorIndex("words:64", np.eye(6, dtype=np.float32), PAGED_PAGE, 3)
    first, second = vector_pages(vectors, PAGED, PAGED_SCORES, None, 2, 3)
    assert (first.url, first.title, first.locale, first.score) == ("https://x/a", "A", "en", 0.96)
    assert first.chunks[0] == ChunkHit(PAGED[2], 0.9)
    assert (second.url, second.locale, second.score) == ("https://x/c", "cy", 0.95)


# --- fuse -----------------------------------------------------------------------------------


def page(url: str, *chunk_ids: str, score: float = 1.0) -> PageHit:
    return PageHit(
        url, url.upper(), "en", score, tuple(ChunkHit(chunk(c, url, c), 0.5) for c in chunk_ids)
    )


@pytest.mark.parametrize(
    ("lexical", "by_vector", "k", "expected"),
    [
        (["a", "b", "c"], ["a", "b", "c"], 5, ["a", "b", "c"]),
        # a: 1/31 + 1/33, b: 2/32, d: 1/31, c: 1/33
        (["a", "b", "c"], ["d", "b", "a"], 5, ["a", "b", "d", "c"]),
        # a page second in both lists beats the pages first in one
        (["a", "b"], ["c", "b"], 5, ["b", "a", "c"]),
        (["a", "b"], ["c", "b"], 1, ["b"]),
        (["a", "b", "c"], [], 2, ["a", "b"]),
        ([], ["c", "d"], 5, ["c", "d"]),
        ([], [], 5, []),
    ],
    ids=["same", "mixed", "both-beats-one", "k", "lexical-only", "vector-only", "empty"],
)
def test_fuse_order(lexical: list[str], by_vector: list[str], k: int, expected: list[str]) -> None:
    fused = fuse([page(u) for u in lexical], [page(u) for u in by_vector], k)
    assert [hit.url for hit in fused] == expected


def test_fused_scores_are_the_reciprocal_rank_sums() -> None:
    fused = fuse([page("a"), page("b")], [page("b"), page("c")], 5)
    scores = {hit.url: hit.score for hit in fused}
    assert scores == {
        "b": round(1 / (RRF_K + 2) + 1 / (RRF_K + 1), 6),
        "a": round(1 / (RRF_K + 1), 6),
        "c": round(1 / (RRF_K + 2), 6),
    }


def test_a_page_in_both_lists_keeps_its_lexical_chunks() -> None:
    lexical = [page("a", "lex-a1", "lex-a2"), page("b", "lex-b")]
    by_vector = [page("b", "vec-b"), page("a", "vec-a"), page("c", "vec-c")]
    fused = {hit.url: [c.chunk.id for c in hit.chunks] for hit in fuse(lexical, by_vector, 5)}
    assert fused == {"a": ["lex-a1", "lex-a2"], "b": ["lex-b"], "c": ["vec-c"]}


@pytest.mark.parametrize(("weight", "first"), [(2.0, "a"), (0.5, "c"), (1.0, "a")])
def test_the_lexical_weight_tips_the_balance(weight: float, first: str) -> None:
    # equal ranks: the weight decides; with equal weight the lexical page comes first
    fused = fuse([page("a")], [page("c")], 2, lexical_weight=weight)
    assert fused[0].url == first


# --- build_vectors and the embedding cache --------------------------------------------------


def test_passage_text_is_title_headings_then_words_cut_at_passage_chars() -> None:
    short = Chunk("s", "https://x/p", "Blue Badge", ("Apply", "Online"), "Use the form.", "en")
    assert passage_text(short) == "Blue Badge > Apply > Online\nUse the form."
    long = Chunk("l", "https://x/p", "Title", (), "word " * 1000, "en")
    assert passage_text(long).startswith("Title\nword word")
    assert len(passage_text(long)) == PASSAGE_CHARS


def test_build_embeds_each_text_once_and_rows_follow_the_chunks() -> None:
    twin = replace(CORPUS[0], id="bb1-copy")
    chunks = [*CORPUS, twin]  # the same passage twice: embedded once
    embedder = WordsEmbedder()
    index = build_index(chunks, fingerprint="t")
    vectors, cache = build_vectors(index.chunks, index.chunk_page, 4, embedder)
    texts = [passage_text(c) for c in index.chunks]
    assert sorted(embedder.embedded) == sorted(set(texts))
    assert vectors.matrix.shape == (len(chunks), DIMENSIONS)
    assert vectors.matrix.dtype == np.float32
    np.testing.assert_allclose(vectors.matrix, embedder._rows(texts), atol=1e-6)
    assert vectors.embedder == "words:64"
    assert vectors.page_count == 4
    assert set(cache) == {text_key("words:64", t) for t in texts}


def test_a_second_build_with_the_cache_embeds_nothing() -> None:
    embedder = WordsEmbedder()
    index = build_index(CORPUS, fingerprint="t")
    first, cache = build_vectors(index.chunks, index.chunk_page, 4, embedder)
    calls = len(embedder.passage_calls)
    again, kept = build_vectors(index.chunks, index.chunk_page, 4, embedder, cache)
    assert len(embedder.passage_calls) == calls
    np.testing.assert_array_equal(again.matrix, first.matrix)
    assert set(kept) == set(cache)


def test_changing_one_chunk_embeds_only_that_one_and_forgets_the_old_text() -> None:
    embedder = WordsEmbedder()
    index = build_index(CORPUS, fingerprint="t")
    _, cache = build_vectors(index.chunks, index.chunk_page, 4, embedder)
    before = len(embedder.embedded)
    changed = [*CORPUS]
    changed[2] = chunk("bin1", "bins", "Bins are collected every two weeks from June.")
    new_index = build_index(changed, fingerprint="t2")
    vectors, kept = build_vectors(new_index.chunks, new_index.chunk_page, 4, embedder, cache)
    assert embedder.embedded[before:] == [passage_text(changed[2])]
    assert text_key("words:64", passage_text(CORPUS[2])) not in kept
    assert text_key("words:64", passage_text(changed[2])) in kept
    assert len(kept) == len(CORPUS)
    np.testing.assert_allclose(
        vectors.matrix, embedder._rows([passage_text(c) for c in new_index.chunks]), atol=1e-6
    )


def test_a_cache_made_by_another_embedder_is_not_used() -> None:
    index = build_index(CORPUS, fingerprint="t")
    _, cache = build_vectors(index.chunks, index.chunk_page, 4, WordsEmbedder("words:a"))
    made_by_a = set(cache)
    other = WordsEmbedder("words:b")
    _, kept = build_vectors(index.chunks, index.chunk_page, 4, other, cache)
    assert len(other.embedded) == len(CORPUS)
    assert not set(kept) & made_by_a


def test_progress_is_reported_per_batch_of_new_texts() -> None:
    chunks = [chunk(f"c{n}", f"p{n % 7}", f"passage number {n}") for n in range(EMBED_BATCH + 6)]
    index = build_index(chunks, fingerprint="t")
    seen: list[tuple[int, int]] = []
    embedder = WordsEmbedder()
    _, cache = build_vectors(
        index.chunks, index.chunk_page, 7, embedder, progress=lambda d, t: seen.append((d, t))
    )
    total = EMBED_BATCH + 6
    assert seen == [(EMBED_BATCH, total), (total, total)]
    assert [len(call) for call in embedder.passage_calls] == [EMBED_BATCH, 6]
    seen.clear()
    build_vectors(
        index.chunks, index.chunk_page, 7, embedder, cache, lambda d, t: seen.append((d, t))
    )
    assert seen == []  # nothing new to embed


def test_no_chunks_make_an_empty_index() -> None:
    embedder = WordsEmbedder()
    vectors, cache = build_vectors([], np.zeros(0, dtype=np.int32), 0, embedder)
    assert vectors.matrix.shape[0] == 0
    assert cache == {}
    assert embedder.passage_calls == []


# --- the vectors file -----------------------------------------------------------------------


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Path, VectorIndex, str]:
    _, vectors = vectors_for(CORPUS, WordsEmbedder())
    digest = chunk_digest(CORPUS)
    path = tmp_path / "vectors.npz"
    save_vectors(vectors, path, "fp-1", digest)
    return path, vectors, digest


def test_saved_vectors_load_back_the_same(saved: tuple[Path, VectorIndex, str]) -> None:
    path, vectors, digest = saved
    loaded = load_vectors(path, "words:64", "fp-1", digest, vectors.chunk_page, 4)
    assert loaded is not None
    np.testing.assert_array_equal(loaded.matrix, vectors.matrix)
    assert loaded.matrix.dtype == np.float32
    np.testing.assert_array_equal(loaded.chunk_page, vectors.chunk_page)
    assert (loaded.embedder, loaded.page_count) == ("words:64", 4)
    assert [p.name for p in path.parent.iterdir()] == ["vectors.npz"]  # no temporary left


@pytest.mark.parametrize(
    ("embedder", "fingerprint", "digest", "rows"),
    [
        ("words:other", "fp-1", None, len(CORPUS)),
        ("words:64", "fp-2", None, len(CORPUS)),
        ("words:64", "fp-1", chunk_digest(list(reversed(CORPUS))), len(CORPUS)),
        ("words:64", "fp-1", None, len(CORPUS) + 1),
    ],
    ids=["other-embedder", "other-fingerprint", "other-chunks", "other-row-count"],
)
def test_vectors_made_for_something_else_are_refused(
    saved: tuple[Path, VectorIndex, str],
    embedder: str,
    fingerprint: str,
    digest: str | None,
    rows: int,
) -> None:
    path, _, made_for = saved
    chunk_page = np.zeros(rows, dtype=np.int32)
    assert load_vectors(path, embedder, fingerprint, digest or made_for, chunk_page, 4) is None


def test_missing_or_garbage_vectors_file_is_refused(
    saved: tuple[Path, VectorIndex, str], tmp_path: Path
) -> None:
    path, vectors, digest = saved
    missing = tmp_path / "nothing.npz"
    assert load_vectors(missing, "words:64", "fp-1", digest, vectors.chunk_page, 4) is None
    path.write_bytes(b"this is not a numpy file \x00\x01\x02")
    assert load_vectors(path, "words:64", "fp-1", digest, vectors.chunk_page, 4) is None


TRUNCATIONS = pytest.mark.parametrize(
    "keep", [0, 0.5, 4], ids=["empty-file", "half-file", "zip-magic-only"]
)
def attempt(load: Callable[[], object]) -> object:
    """`load()`, or what it raised. Caught here so that the file np.load leaves open is closed
    (and its ResourceWarning reported) in this test, not in whichever test runs next."""
    try:
        return load()
    except (zipfile.BadZipFile, EOFError) as error:
        raised = f"raised {type(error).__name__}"
    gc.collect()
    return raised


def _truncate(path: Path, keep: float) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)] if keep < 1 else data[: int(keep)])


@TRUNCATIONS
def test_a_truncated_vectors_file_is_refused(
    saved: tuple[Path, VectorIndex, str], keep: float
) -> None:
    path, vectors, digest = saved
    _truncate(path, keep)
    chunk_page = vectors.chunk_page
    assert attempt(lambda: load_vectors(path, "words:64", "fp-1", digest, chunk_page, 4)) is None


def test_the_file_name_depends_on_the_embedder_and_the_fingerprint(tmp_path: Path) -> None:
    names = {
        vectors_file(tmp_path, e, f).name for e in ("words:a", "words:b") for f in ("1", "2")
    }
    assert len(names) == 4
    assert all(re.fullmatch(r"vectors-[0-9a-f]{20}\.npz", n) for n in names)
    assert cache_file(tmp_path, "words:a") != cache_file(tmp_path, "words:b")


# --- the embedding cache file ---------------------------------------------------------------


def test_cache_file_roundtrip(tmp_path: Path) -> None:
    index = build_index(CORPUS, fingerprint="t")
    _, cache = build_vectors(index.chunks, index.chunk_page, 4, WordsEmbedder())
    path = tmp_path / "embeddings.npz"
    write_cache(path, cache)
    read = read_cache(path)
    assert set(read) == set(cache)
    for key, row in cache.items():
        np.testing.assert_array_equal(read[key], row)
    assert [p.name for p in tmp_path.iterdir()] == ["embeddings.npz"]


def test_an_empty_cache_writes_no_file(tmp_path: Path) -> None:
    write_cache(tmp_path / "embeddings.npz", {})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "content", [None, b"garbage \x00\xff", b"\x93NUMPY"], ids=["missing", "garbage", "npy-magic"]
)
def test_reading_a_missing_or_corrupt_cache_gives_nothing(
    tmp_path: Path, content: bytes | None
) -> None:
    path = tmp_path / "embeddings.npz"
    if content is not None:
        path.write_bytes(content)
    assert read_cache(path) == {}


@TRUNCATIONS
def test_reading_a_truncated_cache_gives_nothing(tmp_path: Path, keep: float) -> None:
    path = tmp_path / "embeddings.npz"
    write_cache(path, {"k": np.ones(4, dtype=np.float32)})
    _truncate(path, keep)
    assert attempt(lambda: read_cache(path)) == {}


# --- the retriever with vectors -------------------------------------------------------------


@pytest.fixture
def corpus() -> tuple[LexicalIndex, VectorIndex, WordsEmbedder]:
    embedder = WordsEmbedder()
    index, vectors = vectors_for(CORPUS, embedder)
    return index, vectors, embedder


@pytest.mark.parametrize(
    ("with_vectors", "language", "crosses"),
    [
        (False, "pl", False),
        (True, None, False),
        (True, "", False),
        (True, "und", False),
        (True, "en", False),
        (True, "en-GB", False),
        (True, "cy", False),  # the corpus has a Welsh page
        (True, "pl", True),
        (True, "PL", True),
        (True, "ar", True),
        (True, "zh-Hant", True),
    ],
)
def test_crosses_languages(
    corpus: tuple[LexicalIndex, VectorIndex, WordsEmbedder],
    with_vectors: bool,
    language: str | None,
    crosses: bool,
) -> None:
    index, vectors, embedder = corpus
    retriever = Retriever(index, vectors, embedder) if with_vectors else Retriever(index)
    assert retriever.crosses_languages(language) is crosses


def test_english_only_guidance_is_crossed_from_welsh() -> None:
    embedder = WordsEmbedder()
    index, vectors = vectors_for([c for c in CORPUS if c.locale == "en"], embedder)
    assert Retriever(index, vectors, embedder).crosses_languages("cy") is True


def test_vectors_without_their_embedder_are_not_used(
    corpus: tuple[LexicalIndex, VectorIndex, WordsEmbedder],
) -> None:
    index, vectors, _ = corpus
    retriever = Retriever(index, vectors, None, mode="hybrid")
    assert retriever.vectors is None
    assert retriever.name == "bm25f"
    assert retriever.crosses_languages("pl") is False
    retriever.search("blue badge")
    assert retriever.last_ranking == "lexical"


@pytest.mark.parametrize(
    ("mode", "query_language", "ranking"),
    [
        ("other-languages", None, "lexical"),
        ("other-languages", "en", "lexical"),
        ("other-languages", "cy", "lexical"),
        ("other-languages", "pl", "vector"),
        ("hybrid", None, "hybrid"),
        ("hybrid", "en", "hybrid"),
        ("hybrid", "pl", "vector"),
    ],
)
def test_last_ranking_follows_the_mode_and_the_question_language(
    corpus: tuple[LexicalIndex, VectorIndex, WordsEmbedder],
    mode: str,
    query_language: str | None,
    ranking: str,
) -> None:
    index, vectors, embedder = corpus
    retriever = Retriever(index, vectors, embedder, mode)
    hits = retriever.search("missed bin", k=3, query_language=query_language)
    assert retriever.last_ranking == ranking
    assert hits and hits[0].url == "https://x/bins"
    assert retriever.name == f"bm25f+words:64:{mode}"
    assert len(embedder.query_calls) == (0 if ranking == "lexical" else 1)


def test_a_question_across_languages_is_ranked_by_vectors_alone(
    corpus: tuple[LexicalIndex, VectorIndex, WordsEmbedder],
) -> None:
    index, vectors, embedder = corpus
    retriever = Retriever(index, vectors, embedder)
    query = "blue badge renew"
    hits = retriever.search(query, k=2, chunks_per_page=1, query_language="pl")
    scores = vectors.chunk_scores(embedder.queries([query])[0])
    expected = vector_pages(vectors, index.chunks, scores, None, 2, 1)
    assert hits == expected
    assert [c.chunk.id for c in hits[0].chunks] == ["bb2"]  # the chunk's cosine, not BM25
    # the locale filter applies to vectors too
    welsh = retriever.search("casglu biniau wythnos", k=5, locale="cy", query_language="pl")
    assert [hit.url for hit in welsh] == ["https://x/biniau"]


def test_hybrid_is_the_fusion_of_both_rankings(
    corpus: tuple[LexicalIndex, VectorIndex, WordsEmbedder],
) -> None:
    index, vectors, embedder = corpus
    retriever = Retriever(index, vectors, embedder, "hybrid")
    query = "report a missed bin"
    hits = retriever.search(query, k=3)
    lexical = index.search(query, k=50)
    by_vector = vector_pages(
        vectors, index.chunks, vectors.chunk_scores(embedder.queries([query])[0]), None, 50, 3
    )
    assert hits == fuse(lexical, by_vector, 3)


@pytest.mark.parametrize(
    ("mode", "query_language"), [("hybrid", None), ("hybrid", "en"), ("other-languages", "pl")]
)
def test_an_unavailable_embedder_falls_back_to_lexical_and_says_so(
    corpus: tuple[LexicalIndex, VectorIndex, WordsEmbedder], mode: str, query_language: str | None
) -> None:
    index, vectors, _ = corpus
    retriever = Retriever(index, vectors, UnavailableEmbedder(), mode)
    hits = retriever.search("missed bin", k=3, query_language=query_language)
    assert retriever.last_ranking == "lexical:embedder_unavailable"
    assert hits == index.search("missed bin", k=3)


def test_an_empty_query_ranks_nothing(
    corpus: tuple[LexicalIndex, VectorIndex, WordsEmbedder],
) -> None:
    index, vectors, embedder = corpus
    retriever = Retriever(index, vectors, embedder, "hybrid")
    assert retriever.search("   ", query_language="pl") == []
    assert retriever.search("bins", k=0, query_language="pl") == []
    assert retriever.last_ranking == "lexical"
    assert embedder.query_calls == []


def test_last_ranking_belongs_to_the_thread_that_searched(
    corpus: tuple[LexicalIndex, VectorIndex, WordsEmbedder],
) -> None:
    index, vectors, embedder = corpus
    retriever = Retriever(index, vectors, embedder)
    retriever.search("missed bin", query_language="pl")
    seen: list[str] = []

    def other() -> None:
        seen.append(retriever.last_ranking)
        retriever.search("missed bin")
        seen.append(retriever.last_ranking)

    worker = threading.Thread(target=other)
    worker.start()
    worker.join()
    assert seen == ["lexical", "lexical"]
    assert retriever.last_ranking == "vector"


# --- load_retriever with an OpenAI-compatible embeddings server -----------------------------

MODEL = "text-embedding-3-small"
FAST_RETRY = {"retry-after-ms": "10"}


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as running:
        yield running


@pytest.fixture
def openai_settings(tmp_path: Path, server: FakeOpenAI) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        environment="test",
        embedder="openai",
        embedder_model=MODEL,
        embedder_base_url=server.base_url,
        embedder_timeout_seconds=2.0,
    )


@pytest.fixture
def openai_engine(openai_settings: Settings) -> Iterator[Engine]:
    engine = make_engine(openai_settings)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a fresh worker starts with: nothing loaded, no embedder made."""
    monkeypatch.setattr(retriever_module, "_loaded", {})
    monkeypatch.setattr(retriever_module, "_vectors", {})
    monkeypatch.setattr(retriever_module, "_embedders", {})
    monkeypatch.setattr(retriever_module, "_failed", {})


def sent(server: FakeOpenAI) -> list[str]:
    return [text for request in server.embeddings() for text in request.body["input"]]


def test_load_retriever_embeds_once_saves_and_reads_the_vectors_back(
    openai_settings: Settings,
    openai_engine: Engine,
    guidance_folder: Path,
    server: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    new_process(monkeypatch)
    ingest_paths(openai_settings, openai_engine, [guidance_folder])  # builds the vectors
    built = load_retriever(openai_settings, openai_engine)
    assert built.name == f"bm25f+openai:{MODEL}:other-languages"
    assert built.vectors is not None
    assert sorted(sent(server)) == sorted({passage_text(c) for c in built.index.chunks})
    root = index_root(openai_settings)
    assert [p.name for p in root.glob("vectors-*.npz")] == [
        vectors_file(root, f"openai:{MODEL}", built.fingerprint).name
    ]
    assert cache_file(root, f"openai:{MODEL}").exists()
    requests = len(server.embeddings())

    new_process(monkeypatch)
    loaded = load_retriever(openai_settings, openai_engine)
    assert len(server.embeddings()) == requests  # read from the file, not embedded again
    assert loaded.vectors is not None and loaded.vectors is not built.vectors
    np.testing.assert_array_equal(loaded.vectors.matrix, built.vectors.matrix)
    assert loaded.crosses_languages("pl") is True

    hits = loaded.search("missed bin collections", k=2, query_language="pl")
    assert loaded.last_ranking == "vector"
    assert hits[0].url == "https://council.example.gov.uk/bins"
    assert server.embeddings()[-1].body["input"] == ["missed bin collections"]


def test_reingesting_a_changed_page_embeds_only_its_changed_chunk(
    openai_settings: Settings,
    openai_engine: Engine,
    guidance_folder: Path,
    server: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    new_process(monkeypatch)
    ingest_paths(openai_settings, openai_engine, [guidance_folder])
    before = len(sent(server))
    page = guidance_folder / "en" / "bin-collections.md"
    page.write_text(
        page.read_text().replace("from March to November", "from February to December")
    )
    new_process(monkeypatch)  # another worker ingests: only the cache file is shared
    ingest_paths(openai_settings, openai_engine, [guidance_folder])
    retriever = load_retriever(openai_settings, openai_engine)
    [changed] = [c for c in retriever.index.chunks if "February to December" in c.text]
    assert sent(server)[before:] == [passage_text(changed)]
    root = index_root(openai_settings)
    assert len(list(root.glob("vectors-*.npz"))) == 1  # the stale file is gone
    assert retriever.search("garden waste", k=1, query_language="pl")[0].url.endswith("/bins")


def test_when_the_embedder_fails_during_the_build_retrieval_stays_lexical(
    openai_settings: Settings,
    openai_engine: Engine,
    guidance_folder: Path,
    server: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    new_process(monkeypatch)
    server.script(*[Status(500, "boom", FAST_RETRY)] * 3)  # the first try and two retries
    ingest_paths(openai_settings, openai_engine, [guidance_folder])  # no exception
    assert len(server.embeddings()) == 3
    waiting = load_retriever(openai_settings, openai_engine)  # within a minute: not again
    assert waiting.vectors is None and len(server.embeddings()) == 3
    monkeypatch.setattr(retriever_module, "RETRY_SECONDS", 0.0)
    retriever = load_retriever(openai_settings, openai_engine)  # the server answers again
    assert retriever.vectors is not None  # a later load tries again and succeeds

    new_process(monkeypatch)
    for path in index_root(openai_settings).glob("*.npz"):
        path.unlink()
    server.script(*[Status(500, "boom", FAST_RETRY)] * 3)
    lexical = load_retriever(openai_settings, openai_engine)
    assert lexical.vectors is None
    assert lexical.name == "bm25f"
    assert lexical.crosses_languages("pl") is False
    assert lexical.search("missed bin", k=1)[0].url == "https://council.example.gov.uk/bins"
    assert list(index_root(openai_settings).glob("vectors-*.npz")) == []


def test_a_damaged_vectors_file_is_rebuilt_by_load_retriever(
    openai_settings: Settings,
    openai_engine: Engine,
    guidance_folder: Path,
    server: FakeOpenAI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    new_process(monkeypatch)
    ingest_paths(openai_settings, openai_engine, [guidance_folder])
    [path] = index_root(openai_settings).glob("vectors-*.npz")
    _truncate(path, 0.5)
    new_process(monkeypatch)
    retriever = attempt(lambda: load_retriever(openai_settings, openai_engine))
    assert isinstance(retriever, Retriever) and retriever.vectors is not None
