"""Chunk vectors beside the lexical index, and the hybrid ranking that uses them (ADR 0011).

Each chunk is embedded once, as its page title, heading path and text. Vectors are kept beside
the lexical index files, one `.npz` per embedder and knowledge fingerprint (a row per chunk,
in the lexical index's order, checked against the chunk ids), and in a cache file keyed by a
hash of the embedded text, so re-ingesting one changed page embeds only its chunks again.

Ranking (measured in bench/retrieval.py and bench/multilingual.py):

- **hybrid**: the lexical page ranking and the vector page ranking are fused by reciprocal
  rank (each page scores the sum of 1 / (`RRF_K` + its rank) in each list, the lexical list
  weighted `LEXICAL_WEIGHT`). Rank fusion needs no calibration between BM25 scores and
  cosines, which live on different scales.
- **vector only**: for a question in a language no guidance is written in, where the
  lexical list is noise (shared words are names and numbers).

A page's vector score is its best chunk's cosine plus `NEXT_SHARE` of its second best, as
the lexical ranking rewards a page that answers twice.
"""

from __future__ import annotations

import hashlib
import os
import threading
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from civicdesk.domain.knowledge import Chunk, ChunkHit, PageHit
from civicdesk.knowledge.embedders import Embedder, Vectors

RRF_K = 30
LEXICAL_WEIGHT = 1.0
NEXT_SHARE = 0.1
POOL = 50  # pages taken from each ranking before fusion
EMBED_BATCH = 64
PASSAGE_CHARS = 1800  # about 400 words: e5 reads 512 tokens, and the start says most


def passage_text(chunk: Chunk) -> str:
    """What is embedded for a chunk: where it sits (title, headings), then its words."""
    place = " > ".join([chunk.page_title, *chunk.heading_path])
    return f"{place}\n{chunk.text}"[:PASSAGE_CHARS]


def text_key(embedder: str, text: str) -> str:
    return hashlib.blake2b(f"{embedder}\n{text}".encode(), digest_size=12).hexdigest()


@dataclass
class VectorIndex:
    """Unit vectors of the chunks, row for row with the lexical index's chunks."""

    embedder: str
    matrix: Vectors
    chunk_page: npt.NDArray[np.int32]
    page_count: int

    def chunk_scores(self, query: Vectors) -> npt.NDArray[np.float32]:
        return np.asarray(self.matrix @ query.reshape(-1), dtype=np.float32)

    def page_scores(
        self, scores: npt.NDArray[np.float32], allowed: npt.NDArray[np.bool_] | None = None
    ) -> npt.NDArray[np.float64]:
        """Each page's best chunk cosine plus NEXT_SHARE of its second best; -1 if none."""
        pages = self.chunk_page
        values = scores.astype(np.float64)
        if allowed is not None:
            values = np.where(allowed, values, -np.inf)
        order = np.lexsort((-values, pages))  # by page, best chunk first within each
        first = np.flatnonzero(np.r_[True, np.diff(pages[order]) != 0])
        best = np.full(self.page_count, -np.inf)
        best[pages[order[first]]] = values[order[first]]
        second = np.zeros(self.page_count)
        follow = first + 1
        has_next = follow < order.size
        has_next[has_next] &= pages[order[follow[has_next]]] == pages[order[first[has_next]]]
        nexts = order[follow[has_next]]
        second[pages[nexts]] = np.maximum(values[nexts], 0.0)
        total = best + NEXT_SHARE * second
        total[~np.isfinite(best)] = -1.0
        return total


def build_vectors(
    chunks: Sequence[Chunk],
    chunk_page: npt.NDArray[np.int32],
    page_count: int,
    embedder: Embedder,
    cache: dict[str, npt.NDArray[np.float32]] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[VectorIndex, dict[str, npt.NDArray[np.float32]]]:
    """Embed every chunk (those in `cache` are reused); returns the index and the new cache."""
    cache = dict(cache or {})  # the caller's stays as it was
    texts = [passage_text(c) for c in chunks]
    keys = [text_key(embedder.name, t) for t in texts]
    unique = list(dict.fromkeys(keys))
    todo = [key for key in unique if key not in cache]
    text_of = dict(zip(keys, texts, strict=True))
    for start in range(0, len(todo), EMBED_BATCH):
        batch = todo[start : start + EMBED_BATCH]
        for key, row in zip(batch, embedder.passages([text_of[k] for k in batch]), strict=True):
            cache[key] = row
        if progress is not None:
            progress(min(start + EMBED_BATCH, len(todo)), len(todo))
    rows = [cache[key] for key in keys]
    matrix = np.vstack(rows).astype(np.float32) if rows else np.zeros((0, 1), np.float32)
    kept = {key: cache[key] for key in unique}
    return VectorIndex(embedder.name, matrix, chunk_page, page_count), kept


def chunk_digest(chunks: Sequence[Chunk]) -> str:
    """What the rows must line up with: the chunks' ids, in order."""
    return hashlib.blake2b("\n".join(c.id for c in chunks).encode(), digest_size=16).hexdigest()


def vectors_file(root: Path, embedder: str, fingerprint: str) -> Path:
    slug = hashlib.blake2b(f"{embedder}\n{fingerprint}".encode(), digest_size=10).hexdigest()
    return root / f"vectors-{slug}.npz"


def save_vectors(vectors: VectorIndex, path: Path, fingerprint: str, digest: str) -> None:
    """One file, replaced atomically: the matrix and what it was made for."""
    temporary = path.with_name(f"{path.stem}.{_writer()}.tmp.npz")
    np.savez(
        temporary,
        matrix=vectors.matrix,
        embedder=np.array(vectors.embedder),
        fingerprint=np.array(fingerprint),
        chunks=np.array(digest),
    )
    os.replace(temporary, path)


def load_vectors(
    path: Path,
    embedder: str,
    fingerprint: str,
    digest: str,
    chunk_page: npt.NDArray[np.int32],
    page_count: int,
) -> VectorIndex | None:
    """The saved vectors if they were made by `embedder` for these chunks, else None."""
    try:
        with path.open("rb") as file, np.load(file, allow_pickle=False) as stored:
            made_for = (str(stored["embedder"]), str(stored["fingerprint"]), str(stored["chunks"]))
            matrix = stored["matrix"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None
    if made_for != (embedder, fingerprint, digest) or matrix.ndim != 2:
        return None
    if matrix.shape[0] != chunk_page.size:
        return None
    return VectorIndex(embedder, matrix.astype(np.float32, copy=False), chunk_page, page_count)


def cache_file(root: Path, embedder: str) -> Path:
    slug = hashlib.blake2b(embedder.encode(), digest_size=6).hexdigest()
    return root / f"embeddings-{slug}.npz"


def read_cache(path: Path) -> dict[str, npt.NDArray[np.float32]]:
    try:
        with path.open("rb") as file, np.load(file, allow_pickle=False) as stored:
            keys, matrix = stored["keys"], stored["vectors"]
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return {}
    return {str(key): row for key, row in zip(keys.tolist(), matrix, strict=True)}


def write_cache(path: Path, cache: dict[str, npt.NDArray[np.float32]]) -> None:
    if not cache:
        return
    keys = np.array(list(cache), dtype=str)
    matrix = np.vstack(list(cache.values())).astype(np.float32)
    temporary = path.with_name(f"{path.stem}.{_writer()}.tmp.npz")
    np.savez(temporary, keys=keys, vectors=matrix)
    temporary.replace(path)


def vector_pages(
    vectors: VectorIndex,
    chunks: Sequence[Chunk],
    scores: npt.NDArray[np.float32],
    allowed: npt.NDArray[np.bool_] | None,
    k: int,
    chunks_per_page: int,
) -> list[PageHit]:
    """The k best pages by vector score, each with its best chunks by cosine."""
    totals = vectors.page_scores(scores, allowed)
    ranked = [int(p) for p in np.argsort(-totals, kind="stable")[:k] if totals[p] > -1.0]
    return [
        _page_hit(page, float(totals[page]), vectors, chunks, scores, allowed, chunks_per_page)
        for page in ranked
    ]


def _page_hit(
    page: int,
    total: float,
    vectors: VectorIndex,
    chunks: Sequence[Chunk],
    scores: npt.NDArray[np.float32],
    allowed: npt.NDArray[np.bool_] | None,
    chunks_per_page: int,
) -> PageHit:
    members = np.flatnonzero(vectors.chunk_page == page)
    if allowed is not None:
        members = members[allowed[members]]
    best = members[np.argsort(-scores[members], kind="stable")][:chunks_per_page]
    first = chunks[int(members[0])]
    return PageHit(
        url=first.page_url,
        title=first.page_title,
        locale=first.locale,
        score=round(total, 6),
        chunks=tuple(ChunkHit(chunks[int(i)], round(float(scores[i]), 6)) for i in best),
    )


def fuse(
    lexical: list[PageHit],
    by_vector: list[PageHit],
    k: int,
    lexical_weight: float = LEXICAL_WEIGHT,
) -> list[PageHit]:
    """Reciprocal rank fusion of two page rankings; a page keeps its lexical chunks when it
    has them (the composer picks sentences by the question's words)."""
    fused: dict[str, float] = {}
    for rank, hit in enumerate(lexical):
        fused[hit.url] = fused.get(hit.url, 0.0) + lexical_weight / (RRF_K + rank + 1)
    for rank, hit in enumerate(by_vector):
        fused[hit.url] = fused.get(hit.url, 0.0) + 1.0 / (RRF_K + rank + 1)
    hits = {hit.url: hit for hit in by_vector} | {hit.url: hit for hit in lexical}
    order = sorted(fused, key=lambda url: -fused[url])[:k]
    return [
        PageHit(
            url=hits[url].url,
            title=hits[url].title,
            locale=hits[url].locale,
            score=round(fused[url], 6),
            chunks=hits[url].chunks,
        )
        for url in order
    ]


def _writer() -> str:
    """This process and thread, so two writers never share a temporary file."""
    return f"{os.getpid()}-{threading.get_ident()}"
