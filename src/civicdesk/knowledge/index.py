"""The lexical index: a BM25F weight matrix over chunks, scored and grouped by page.

Each chunk is indexed with three fields: its text, its heading path, and its page's title
(with the page description). Field term counts are mixed with weights before BM25
saturation (BM25F), so a query word in a heading or title counts more than one in running
text, and every chunk carries its page's topic. The matrix holds the final per-term weight
of every chunk, so a query is one sparse column slice and a sum. Pages score by their best
chunk plus a share of their next best ones, plus a share of their title's own score (a third
matrix, one row per page). IDF is counted over pages and saturates, so one odd word of a
citizen's story cannot outvote the question; acronyms the guidance defines are spelled out
in the query (see analysis.py).

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
from civicdesk.knowledge.analysis import (
    analyse_for_index,
    defined_acronyms,
    expand_acronyms,
    is_word_form,
    language_of,
)
from civicdesk.knowledge.chunking import is_navigation

FORMAT_VERSION = 5
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
    idf_saturation: float = 0.05
    title_share: float = 0.5

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
    title_weights: sparse.csc_matrix
    parameters: RankingParameters = field(default_factory=RankingParameters)
    languages: frozenset[str] = frozenset({"en"})
    acronyms: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._page_first_chunk: dict[int, Chunk] = {}
        for chunk, page in zip(self.chunks, self.chunk_page.tolist(), strict=True):
            self._page_first_chunk.setdefault(page, chunk)
        self._chunk_language = np.array(
            [language_of(c.locale) for c in self.chunks] or ["en"], dtype=object
        )
        self._navigation = np.array([is_navigation(c) for c in self.chunks], dtype=bool)

    @property
    def size(self) -> int:
        return len(self.chunks)

    def in_language(self, locale: str) -> npt.NDArray[np.bool_]:
        """Which chunks are written in `locale`'s language."""
        return np.asarray(self._chunk_language == language_of(locale), dtype=bool)

    @property
    def navigation(self) -> npt.NDArray[np.bool_]:
        """Which chunks only link to other pages ("Related guidance")."""
        return self._navigation

    def query_terms(self, query: str, locale: str | None = None) -> dict[int, float]:
        """Column and weight of each known query term, analysed for the languages searched.

        Words of the sentences that ask (ending in "?") count `question_weight` times: a
        citizen's message often tells a story and then asks, and the ask names the topic.
        Acronyms the guidance defines are spelled out first ("ESA" gains "Employment and
        Support Allowance"), since a page may name its subject only in full.
        """
        query = expand_acronyms(query, self.acronyms)
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

    def _product(
        self, matrix: sparse.csc_matrix, terms: dict[int, float]
    ) -> npt.NDArray[np.float64]:
        """Each row's score: its weights for the query's terms, times their capped counts."""
        columns = np.fromiter(terms.keys(), dtype=np.int64)
        counts = np.minimum(
            np.fromiter(terms.values(), dtype=np.float64), self.parameters.query_tf_cap
        )
        return np.asarray(matrix[:, columns] @ counts, dtype=np.float64).ravel()

    def _score(
        self, matrix: sparse.csc_matrix, terms: dict[int, float], locale: str | None
    ) -> npt.NDArray[np.float64]:
        scores = self._product(matrix, terms)
        if locale:
            scores[self._chunk_language != language_of(locale)] = 0.0
        return scores

    def _title_scores(self, terms: dict[int, float]) -> npt.NDArray[np.float64]:
        """Each page's BM25 score on its title and description alone.

        Every chunk carries its page's title, but normalised by the chunk's length; scored
        once per page, a title that names what is asked lifts the page as a whole, however
        its text is cut into chunks.
        """
        return self._product(self.title_weights, terms)

    def _page_scores(
        self, order: npt.NDArray[np.int64], scores: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.float64]:
        """Each page's best chunk plus a share of its next best (answering twice beats once),
        from the chunks in `order` (best first), one number per page of the index.
        """
        pages = self.chunk_page[order]
        grouped = np.argsort(pages, kind="stable")  # by page, best chunk first within each
        starts = np.flatnonzero(np.r_[True, np.diff(pages[grouped]) != 0])
        sizes = np.diff(np.r_[starts, grouped.size])
        rank = np.empty_like(grouped)
        rank[grouped] = np.arange(grouped.size) - np.repeat(starts, sizes)
        share = np.where(rank == 0, 1.0, self.parameters.next_share)
        share[rank > self.parameters.next_chunks] = 0.0
        return np.asarray(
            np.bincount(pages, weights=share * scores[order], minlength=len(self.page_urls)),
            dtype=np.float64,
        )

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
        candidates = np.unique(self.chunk_page[order])
        totals = self._page_scores(order, scores)[candidates]
        if self.parameters.title_share:
            totals += self.parameters.title_share * self._title_scores(terms)[candidates]
        best = np.lexsort((candidates, -totals))[:k]  # ties: the page indexed first
        section = self._score(self.section_weights, terms, locale)
        results: list[PageHit] = []
        for page, total in zip(candidates[best].tolist(), totals[best].tolist(), strict=True):
            members = order[self.chunk_page[order] == page].tolist()
            found = sorted(members, key=lambda i: (-section[i], -scores[i]))
            first = self._page_first_chunk[page]
            results.append(
                PageHit(
                    url=first.page_url,
                    title=first.page_title,
                    locale=first.locale,
                    score=round(total, 6),
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
    # Compact typed arrays: 100,000 chunks make ~25 million entries.
    rows, cols = array("i"), array("i")
    values, passage_values, title_values = array("d"), array("d"), array("d")
    lengths = np.zeros(len(chunks))
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
        rows.extend([row] * len(mixed))
        cols.extend([vocabulary.setdefault(term, len(vocabulary)) for term in mixed])
        values.extend(mixed.values())
        passage_values.extend(passage)
        title_values.extend(title_part)
    shape = (len(chunks), len(vocabulary))
    coordinates = (np.frombuffer(rows, dtype=np.int32), np.frombuffer(cols, dtype=np.int32))
    # Word forms rank pages (the employer's guide, not the employment one) but do not choose
    # sections: within a page, "bins" against "bin" says nothing of which passage answers.
    forms = np.array([is_word_form(term) for term in vocabulary], dtype=bool)[coordinates[1]]
    passage_tf, title_tf = np.frombuffer(passage_values), np.frombuffer(title_values)
    passage_tf[forms] = 0.0  # in place: these arrays are the largest the build makes
    title_tf[forms] = 0.0
    del forms
    passage_lengths = np.asarray(
        np.bincount(coordinates[0], weights=passage_tf, minlength=len(chunks)), dtype=np.float64
    )
    page_urls = list(dict.fromkeys(c.page_url for c in chunks))
    page_of = {url: i for i, url in enumerate(page_urls)}
    chunk_page = np.array([page_of[c.page_url] for c in chunks], dtype=np.int32)
    idf = _page_idf(coordinates, chunk_page, shape, params.idf_saturation)
    weights = _bm25_weights(np.frombuffer(values), coordinates, lengths, idf, params, shape)
    first_chunks = {c.page_url: c for c in reversed(chunks)}
    title_weights = _title_weights(
        [fields.title(first_chunks[url]) for url in page_urls], vocabulary, idf, params
    )
    section_weights = _bm25f_weights(
        passage_tf,
        title_tf,
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
        title_weights=title_weights,
        parameters=params,
        languages=frozenset(language_of(c.locale) for c in chunks) or frozenset({"en"}),
        acronyms=defined_acronyms(
            [c.text for c in chunks]
            + [
                f"{c.page_title}. {fields.descriptions.get(c.page_url, '')}"
                for c in first_chunks.values()
            ]
        ),
    )


def _page_idf(
    coordinates: tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]],
    chunk_page: npt.NDArray[np.int32],
    shape: tuple[int, int],
    saturation: float,
) -> npt.NDArray[np.float64]:
    """IDF counted over pages, saturating: a word on every chunk of one long page is still
    rare, and a word on one page is not much rarer than one on a few.

    Counting documents as pages, not chunks, keeps a page's own topic words (which its title
    lends to all its chunks) from looking common just because the page is long.

    Textbook BM25 adds 0.5 to the document frequency, so a word on 1 page of 157 weighs
    1.7 times one on 10 pages. A citizen's story is full of words the guidance hardly
    uses ("respite", "Malaysia"), and at that weight one of them outvotes the question.
    Adding `saturation` × the number of pages instead makes rarity saturate: below about
    that share of pages all words weigh alike (the weight tends to log(1 + 1/saturation)),
    while common words are discounted as before, whatever the size of the corpus.
    """
    rows, cols = coordinates
    pages = int(chunk_page.max()) + 1 if chunk_page.size else 1
    presence = sparse.csr_matrix(
        (np.ones(rows.size), (chunk_page[rows], cols)), shape=(pages, shape[1])
    )  # duplicates (a term on several chunks of one page) are merged into one entry
    df = np.bincount(presence.indices, minlength=shape[1])
    prior = saturation * pages
    idf: npt.NDArray[np.float64] = np.log(1.0 + (pages - df + prior) / (df + prior))
    return idf


def _title_weights(
    titles: list[Counter[str]],
    vocabulary: dict[str, int],
    idf: npt.NDArray[np.float64],
    params: RankingParameters,
) -> sparse.csc_matrix:
    """BM25 weights of each page's title and description, one row per page."""
    rows = [page for page, counts in enumerate(titles) for _ in counts]
    cols = [vocabulary[term] for counts in titles for term in counts]
    tf = np.array([count for counts in titles for count in counts.values()], dtype=np.float64)
    lengths = np.array([sum(counts.values()) for counts in titles], dtype=np.float64)
    coordinates = (np.array(rows, dtype=np.int32), np.array(cols, dtype=np.int32))
    return _bm25_weights(tf, coordinates, lengths, idf, params, (len(titles), len(vocabulary)))


def _bm25_weights(
    tf: npt.NDArray[np.float64],
    coordinates: tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]],
    lengths: npt.NDArray[np.float64],
    idf: npt.NDArray[np.float64],
    params: RankingParameters,
    shape: tuple[int, int],
) -> sparse.csc_matrix:
    rows, cols = coordinates
    average = float(lengths.mean()) if lengths.size else 1.0
    norm = params.k1 * (1.0 - params.b + params.b * lengths / max(average, 1e-9))
    weight = norm[rows]  # then in place, one temporary at a time: there are millions
    weight += tf
    np.divide(tf, weight, out=weight)
    weight *= idf[cols]
    weight *= params.k1 + 1.0
    matrix = sparse.csc_matrix((weight, (rows, cols)), shape=shape)
    matrix.eliminate_zeros()
    return matrix


def _bm25f_weights(
    passage_tf: npt.NDArray[np.float64],
    title_tf: npt.NDArray[np.float64],
    coordinates: tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]],
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
    tf = norm[rows]  # in place, as in _bm25_weights
    np.divide(passage_tf, tf, out=tf)
    tf += title_tf
    weight = tf + params.k1
    np.divide(tf, weight, out=weight)
    del tf
    weight *= idf[cols]
    weight *= params.k1 + 1.0
    matrix = sparse.csc_matrix((weight, (rows, cols)), shape=shape)
    matrix.eliminate_zeros()
    return matrix


def save_index(index: LexicalIndex, folder: Path) -> None:
    """Write the index files atomically enough: data first, the manifest last."""
    folder.mkdir(parents=True, exist_ok=True)
    sparse.save_npz(folder / "weights.npz", index.weights, compressed=False)
    sparse.save_npz(folder / "section_weights.npz", index.section_weights, compressed=False)
    sparse.save_npz(folder / "title_weights.npz", index.title_weights, compressed=False)
    np.save(folder / "chunk_page.npy", index.chunk_page)
    payload: dict[str, Any] = {
        "vocabulary": index.vocabulary,
        "page_urls": index.page_urls,
        "acronyms": index.acronyms,
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
        Chunk(
            id=c[0],
            page_url=c[1],
            page_title=c[2],
            heading_path=tuple(c[3]),
            text=c[4],
            locale=c[5],
            anchor=c[6],
        )
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
        title_weights=sparse.csc_matrix(sparse.load_npz(folder / "title_weights.npz")),
        parameters=parameters,
        languages=frozenset(manifest["languages"]),
        acronyms=dict(payload["acronyms"]),
    )
