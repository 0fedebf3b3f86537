"""The lexical index: a BM25F weight matrix over chunks, scored and grouped by page.

Each chunk is indexed with three fields: its text, its heading path, and its page's title
(with the page description). Field term counts are mixed with weights before BM25
saturation (BM25F), so a query word in a heading or title counts more than one in running
text, and every chunk carries its page's topic. The matrix holds the final per-term weight
of every chunk, so a query is one sparse column slice and a sum. Pages score by their best
chunk plus a share of their next best ones.

Within a page, chunks are ordered by a second matrix, `section_weights`, in which only the
passage fields (text, headings) are length-normalised: the title is the same on every chunk
of a page, and normalising it would favour the page's shortest chunks over the one that
answers. (Used for ranking pages too, it measured 1.5 points lower hit@1; see ADR 0010.)
"""

from __future__ import annotations

import json
import re
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import sparse

from civicdesk.domain.knowledge import Chunk, ChunkHit, PageHit
from civicdesk.knowledge.analysis import analyse_for_index, language_of

FORMAT_VERSION = 4
CANDIDATE_CHUNKS = 1000
_QUESTION = re.compile(r"[^.!?\n]*\?")


@dataclass(frozen=True)
class RankingParameters:
    """BM25F and page-aggregation parameters; the defaults are the measured choice (ADR 0010)."""

    k1: float = 1.2
    b: float = 0.75
    title_weight: float = 1.0
    heading_weight: float = 1.0
    body_weight: float = 1.0
    next_chunks: int = 2
    next_share: float = 0.3
    query_tf_cap: float = 3.0
    question_weight: float = 1.5

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.__dict__.items()}


@dataclass
class LexicalIndex:
    chunks: list[Chunk]
    vocabulary: dict[str, int]
    weights: sparse.csc_matrix
    section_weights: sparse.csc_matrix
    chunk_page: npt.NDArray[np.int32]
    page_urls: list[str]
    fingerprint: str
    parameters: RankingParameters = field(default_factory=RankingParameters)
    languages: frozenset[str] = frozenset({"en"})

    def __post_init__(self) -> None:
        self._page_first_chunk: dict[int, Chunk] = {}
        for chunk, page in zip(self.chunks, self.chunk_page.tolist(), strict=True):
            self._page_first_chunk.setdefault(page, chunk)
        self._chunk_language = np.array(
            [language_of(c.locale) for c in self.chunks] or ["en"], dtype=object
        )

    @property
    def size(self) -> int:
        return len(self.chunks)

    def query_terms(self, query: str, locale: str | None = None) -> dict[int, float]:
        """Column and weight of each known query term, analysed for the languages searched.

        Words of the sentences that ask (ending in "?") count `question_weight` times: a
        citizen's message often tells a story and then asks, and the ask names the topic.
        """
        languages = [language_of(locale)] if locale else sorted(self.languages)
        asked = " ".join(_QUESTION.findall(query))
        extra = self.parameters.question_weight - 1.0
        counts: dict[str, float] = {}
        for language in languages:
            weighted: dict[str, float] = dict(Counter(analyse_for_index(language, query)))
            for term, count in Counter(analyse_for_index(language, asked)).items():
                if term in weighted:  # a word pair across two questions is not in the query
                    weighted[term] += extra * count
            for term, weight in weighted.items():
                counts[term] = max(counts.get(term, 0.0), weight)
        return {
            self.vocabulary[term]: weight
            for term, weight in counts.items()
            if term in self.vocabulary
        }

    def _score(
        self, matrix: sparse.csc_matrix, terms: dict[int, float], locale: str | None
    ) -> npt.NDArray[np.float64]:
        columns = np.fromiter(terms.keys(), dtype=np.int64)
        counts = np.minimum(
            np.fromiter(terms.values(), dtype=np.float64), self.parameters.query_tf_cap
        )
        scores: npt.NDArray[np.float64] = np.asarray(matrix[:, columns] @ counts).ravel()
        if locale:
            scores[self._chunk_language != language_of(locale)] = 0.0
        return scores

    def _page_score(self, best_first: npt.NDArray[np.float64]) -> float:
        """A page's best chunk plus a share of its next best: answering twice beats once."""
        return float(best_first[0] + self.parameters.next_share * best_first[1:].sum())

    def search(
        self, query: str, *, k: int = 5, locale: str | None = None, chunks_per_page: int = 3
    ) -> list[PageHit]:
        """The k best pages, each with its `chunks_per_page` best chunks (section score)."""
        terms = self.query_terms(query, locale)
        if not terms or not self.chunks:
            return []
        scores = self._score(self.weights, terms, locale)
        hit = np.flatnonzero(scores > 0)
        if hit.size == 0:
            return []
        pool = max(CANDIDATE_CHUNKS, 40 * k)
        if hit.size > pool:  # pages outside the best chunks cannot reach the top k
            hit = hit[np.argpartition(-scores[hit], pool)[:pool]]
        order = hit[np.argsort(-scores[hit], kind="stable")]
        members: dict[int, list[int]] = {}
        for chunk_index, page in zip(order.tolist(), self.chunk_page[order].tolist(), strict=True):
            members.setdefault(page, []).append(chunk_index)
        ranked = sorted(
            (-self._page_score(scores[found[: self.parameters.next_chunks + 1]]), page)
            for page, found in members.items()
        )[:k]
        section = self._score(self.section_weights, terms, locale)
        results: list[PageHit] = []
        for negative, page in ranked:
            found = sorted(members[page], key=lambda i: (-section[i], -scores[i]))
            first = self._page_first_chunk[page]
            results.append(
                PageHit(
                    url=first.page_url,
                    title=first.page_title,
                    locale=first.locale,
                    score=round(-negative, 6),
                    chunks=tuple(
                        ChunkHit(self.chunks[i], round(float(section[i]), 6))
                        for i in found[:chunks_per_page]
                    ),
                )
            )
        return results


class _FieldCounts:
    """Term counts of the title and heading fields, analysed once per page and heading path."""

    def __init__(self, descriptions: dict[str, str]) -> None:
        self.descriptions = descriptions
        self.titles: dict[str, Counter[str]] = {}
        self.headings: dict[tuple[str, tuple[str, ...]], Counter[str]] = {}

    def title(self, chunk: Chunk) -> Counter[str]:
        if chunk.page_url not in self.titles:
            text = f"{chunk.page_title} {self.descriptions.get(chunk.page_url, '')}"
            self.titles[chunk.page_url] = Counter(analyse_for_index(chunk.locale, text))
        return self.titles[chunk.page_url]

    def heading(self, chunk: Chunk) -> Counter[str]:
        key = (chunk.locale, chunk.heading_path)
        if key not in self.headings:
            text = " ".join(chunk.heading_path)
            self.headings[key] = Counter(analyse_for_index(chunk.locale, text))
        return self.headings[key]


def build_index(
    chunks: Sequence[Chunk],
    *,
    fingerprint: str,
    descriptions: dict[str, str] | None = None,
    parameters: RankingParameters | None = None,
) -> LexicalIndex:
    """Analyse every chunk and precompute its BM25F term weights."""
    params = parameters or RankingParameters()
    fields = _FieldCounts(descriptions or {})
    vocabulary: dict[str, int] = {}
    # Compact typed arrays: 100,000 chunks make ~15 million entries.
    rows, cols = array("q"), array("q")
    values, passage_values, title_values = array("d"), array("d"), array("d")
    lengths = np.zeros(len(chunks))
    passage_lengths = np.zeros(len(chunks))
    for row, chunk in enumerate(chunks):
        mixed: dict[str, float] = {}
        title = fields.title(chunk)
        for counts, weight in (
            (Counter(analyse_for_index(chunk.locale, chunk.text)), params.body_weight),
            (fields.heading(chunk), params.heading_weight),
            (title, params.title_weight),
        ):
            for term, count in counts.items():
                mixed[term] = mixed.get(term, 0.0) + weight * count
        title_part = [params.title_weight * title.get(term, 0) for term in mixed]
        passage = [tf - part for tf, part in zip(mixed.values(), title_part, strict=True)]
        lengths[row] = sum(mixed.values())
        passage_lengths[row] = sum(passage)
        rows.extend([row] * len(mixed))
        cols.extend([vocabulary.setdefault(term, len(vocabulary)) for term in mixed])
        values.extend(mixed.values())
        passage_values.extend(passage)
        title_values.extend(title_part)
    shape = (len(chunks), len(vocabulary))
    coordinates = (np.frombuffer(rows, dtype=np.int64), np.frombuffer(cols, dtype=np.int64))
    page_urls = list(dict.fromkeys(c.page_url for c in chunks))
    page_of = {url: i for i, url in enumerate(page_urls)}
    chunk_page = np.array([page_of[c.page_url] for c in chunks], dtype=np.int32)
    idf = _page_idf(coordinates, chunk_page, shape)
    weights = _bm25_weights(np.frombuffer(values), coordinates, lengths, idf, params, shape)
    section_weights = _bm25f_weights(
        np.frombuffer(passage_values),
        np.frombuffer(title_values),
        coordinates,
        passage_lengths,
        idf,
        params,
        shape,
    )
    return LexicalIndex(
        chunks=list(chunks),
        vocabulary=vocabulary,
        weights=weights,
        section_weights=section_weights,
        chunk_page=chunk_page,
        page_urls=page_urls,
        fingerprint=fingerprint,
        parameters=params,
        languages=frozenset(language_of(c.locale) for c in chunks) or frozenset({"en"}),
    )


def _page_idf(
    coordinates: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]],
    chunk_page: npt.NDArray[np.int32],
    shape: tuple[int, int],
) -> npt.NDArray[np.float64]:
    """IDF counted over pages: a word on every chunk of one long page is still rare.

    Counting documents as pages, not chunks, keeps a page's own topic words (which its title
    lends to all its chunks) from looking common just because the page is long.
    """
    rows, cols = coordinates
    pages = int(chunk_page.max()) + 1 if chunk_page.size else 1
    presence = sparse.csr_matrix(
        (np.ones(rows.size), (chunk_page[rows], cols)), shape=(pages, shape[1])
    )  # duplicates (a term on several chunks of one page) are merged into one entry
    df = np.bincount(presence.indices, minlength=shape[1])
    idf: npt.NDArray[np.float64] = np.log(1.0 + (pages - df + 0.5) / (df + 0.5))
    return idf


def _bm25_weights(
    tf: npt.NDArray[np.float64],
    coordinates: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]],
    lengths: npt.NDArray[np.float64],
    idf: npt.NDArray[np.float64],
    params: RankingParameters,
    shape: tuple[int, int],
) -> sparse.csc_matrix:
    rows, cols = coordinates
    average = float(lengths.mean()) if lengths.size else 1.0
    norm = params.k1 * (1.0 - params.b + params.b * lengths / max(average, 1e-9))
    weight = idf[cols] * tf * (params.k1 + 1.0) / (tf + norm[rows])
    matrix = sparse.csc_matrix((weight, (rows, cols)), shape=shape)
    matrix.eliminate_zeros()
    return matrix


def _bm25f_weights(
    passage_tf: npt.NDArray[np.float64],
    title_tf: npt.NDArray[np.float64],
    coordinates: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]],
    lengths: npt.NDArray[np.float64],
    idf: npt.NDArray[np.float64],
    params: RankingParameters,
    shape: tuple[int, int],
) -> sparse.csc_matrix:
    """BM25F: passage counts normalised by passage length, title counts not, then saturated.

    The title is the same on every chunk of a page; normalising it by chunk length would
    favour a page's shortest chunks over the one that answers.
    """
    rows, cols = coordinates
    average = float(lengths.mean()) if lengths.size else 1.0
    norm = 1.0 - params.b + params.b * lengths / max(average, 1e-9)
    tf = passage_tf / norm[rows] + title_tf
    weight = idf[cols] * tf * (params.k1 + 1.0) / (tf + params.k1)
    matrix = sparse.csc_matrix((weight, (rows, cols)), shape=shape)
    matrix.eliminate_zeros()
    return matrix


def save_index(index: LexicalIndex, folder: Path) -> None:
    """Write the index files atomically enough: data first, the manifest last."""
    folder.mkdir(parents=True, exist_ok=True)
    sparse.save_npz(folder / "weights.npz", index.weights, compressed=False)
    sparse.save_npz(folder / "section_weights.npz", index.section_weights, compressed=False)
    np.save(folder / "chunk_page.npy", index.chunk_page)
    payload: dict[str, Any] = {
        "vocabulary": index.vocabulary,
        "page_urls": index.page_urls,
        "chunks": [
            [c.id, c.page_url, c.page_title, list(c.heading_path), c.text, c.locale, c.anchor]
            for c in index.chunks
        ],
    }
    (folder / "data.json").write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    manifest = {
        "format": FORMAT_VERSION,
        "fingerprint": index.fingerprint,
        "parameters": index.parameters.as_dict(),
        "languages": sorted(index.languages),
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        manifest: dict[str, Any] = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    return manifest if manifest.get("format") == FORMAT_VERSION else None


def load_index(folder: Path) -> LexicalIndex:
    """Read the index files; raises OSError or ValueError when they are missing or damaged."""
    manifest = read_manifest(folder)
    if manifest is None:
        raise ValueError("no index manifest of this format")
    payload = json.loads((folder / "data.json").read_text(encoding="utf-8"))
    chunks = [
        Chunk(id=c[0], page_url=c[1], page_title=c[2], heading_path=tuple(c[3]), text=c[4],
              locale=c[5], anchor=c[6])
        for c in payload["chunks"]
    ]
    parameters = RankingParameters(
        **{k: type(getattr(RankingParameters(), k))(v) for k, v in manifest["parameters"].items()}
    )
    return LexicalIndex(
        chunks=chunks,
        vocabulary=payload["vocabulary"],
        weights=sparse.csc_matrix(sparse.load_npz(folder / "weights.npz")),
        section_weights=sparse.csc_matrix(sparse.load_npz(folder / "section_weights.npz")),
        chunk_page=np.load(folder / "chunk_page.npy"),
        page_urls=payload["page_urls"],
        fingerprint=str(manifest["fingerprint"]),
        parameters=parameters,
        languages=frozenset(manifest["languages"]),
    )
