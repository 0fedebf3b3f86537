"""The extractive composer: an answer made only of sentences from the cited guidance.

It never writes a word of its own. It takes the best sections of the best pages, splits them
into sentences and list items, keeps those that share the most with the question, puts them
back in document order, and ties each to its citation. A lead-in that ends with a colon
brings the list items that follow it, so "You can pay by:" is never left hanging.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from civicdesk.domain.inquiry import AnswerPart, Citation
from civicdesk.domain.knowledge import Chunk, PageHit

MAX_WORDS = 110
MAX_UNITS = 5
SNIPPET_CHARS = 240

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_LIST_ITEM = re.compile(r"^\s*(?:[-*•–]|\d{1,2}[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“(]?[A-Z0-9£])")
STOPWORDS = frozenset(
    """a about above after again all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is
    it its itself just me more most my myself no nor not now of off on once only or other our
    ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we
    were what when where which while who whom why will with would you your yours yourself
    yourselves get got want need please tell know like im ive dont cant much many also yr y
    mae sut beth pryd ble pam fy dy ei ein eich eu gyda yn i o am ar gan wedi bod oes ydw ydy
    hoffwn gallaf alla chi fi""".split()
)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def content_terms(text: str) -> list[str]:
    """Lower-cased, stemmed words that carry meaning (stop words dropped)."""
    words = [w.lower().replace("’", "'") for w in _WORD.findall(text)]
    kept = [w for w in words if w not in STOPWORDS and len(w) > 1]
    return [str(s) for s in _stemmer().stemWords(kept)]


@dataclass(frozen=True)
class Unit:
    """A sentence or a list item, in the order it appears in its chunk."""

    chunk: Chunk
    position: int
    text: str
    is_list_item: bool
    terms: frozenset[str]


def split_units(chunk: Chunk) -> list[Unit]:
    units: list[Unit] = []
    for line in chunk.text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if _LIST_ITEM.match(line):
            pieces = [(_LIST_ITEM.sub("", line, count=1), True)]
        else:
            pieces = [(s.strip(), False) for s in _SENTENCE_END.split(line) if s.strip()]
        for text, is_item in pieces:
            units.append(
                Unit(chunk, len(units), text, is_item, frozenset(content_terms(text)))
            )
    return units


@dataclass
class Composition:
    parts: list[AnswerPart]
    citations: list[Citation]
    relevance: float  # share of the question's terms the chosen guidance covers, weighted


def compose_extractive(question: str, hits: list[PageHit], *, max_pages: int = 2) -> Composition:
    """Choose sentences from the top pages' best chunks that answer `question`."""
    query = content_terms(question)
    query_set = set(query)
    if not query_set or not hits:
        return Composition([], [], 0.0)
    top_score = hits[0].score
    pages = [hits[0]] + [h for h in hits[1:max_pages] if h.score >= 0.85 * top_score]
    candidates: list[Unit] = []
    for page in pages:
        for chunk_hit in page.chunks[:2]:
            candidates.extend(split_units(chunk_hit.chunk))
    if not candidates:
        return Composition([], [], 0.0)

    # Rarer terms among the candidate units weigh more (a local inverse document frequency).
    frequency = {t: sum(1 for u in candidates if t in u.terms) for t in query_set}
    weight = {t: math.log(1 + len(candidates) / (1 + frequency[t])) for t in query_set}
    total_weight = sum(weight.values()) or 1.0

    def score(unit: Unit) -> float:
        overlap = sum(weight[t] for t in unit.terms & query_set)
        return overlap / math.sqrt(1 + len(unit.terms) / 12)

    scored = sorted(((score(u), i) for i, u in enumerate(candidates)), reverse=True)
    best = scored[0][0]
    if best <= 0:
        return Composition([], [], 0.0)

    chosen: set[int] = set()
    words = 0
    for value, index in scored:
        if value < 0.45 * best or len(chosen) >= MAX_UNITS:
            break
        unit = candidates[index]
        size = len(unit.text.split())
        if chosen and words + size > MAX_WORDS:
            continue
        chosen.add(index)
        words += size
        # A lead-in ending with a colon brings the list that follows it.
        if unit.text.endswith(":"):
            follower = index + 1
            while (
                follower < len(candidates)
                and candidates[follower].is_list_item
                and candidates[follower].chunk.id == unit.chunk.id
                and words < MAX_WORDS
            ):
                chosen.add(follower)
                words += len(candidates[follower].text.split())
                follower += 1
        # A list item brings its lead-in, so it is read in context.
        if unit.is_list_item:
            lead = index - 1
            while lead >= 0 and candidates[lead].is_list_item and candidates[lead].chunk.id == unit.chunk.id:
                lead -= 1
            if lead >= 0 and candidates[lead].chunk.id == unit.chunk.id and candidates[lead].text.endswith(":"):
                if lead not in chosen:
                    chosen.add(lead)
                    words += len(candidates[lead].text.split())

    covered = set().union(*(candidates[i].terms for i in chosen)) & query_set
    titles = set().union(*(set(content_terms(p.title)) for p in pages)) & query_set
    relevance = sum(weight[t] for t in covered | titles) / total_weight

    citations: list[Citation] = []
    citation_of: dict[str, int] = {}
    parts: list[AnswerPart] = []
    for index in sorted(chosen):
        unit = candidates[index]
        chunk = unit.chunk
        if chunk.id not in citation_of:
            citation_of[chunk.id] = len(citations)
            url = f"{chunk.page_url}#{chunk.anchor}" if chunk.anchor else chunk.page_url
            citations.append(
                Citation(
                    url=url,
                    title=chunk.page_title,
                    section=chunk.section,
                    snippet=_snippet(chunk.text),
                )
            )
        parts.append(AnswerPart(unit.text, citation_of[chunk.id], unit.is_list_item))
    return Composition(parts, citations, min(1.0, relevance))


def _snippet(text: str) -> str:
    flat = " ".join(_LIST_ITEM.sub("", line).strip() for line in text.splitlines() if line.strip())
    if len(flat) <= SNIPPET_CHARS:
        return flat
    cut = flat[:SNIPPET_CHARS].rsplit(" ", 1)[0]
    return cut + "…"


def render_answer(parts: list[AnswerPart]) -> str:
    """Plain text of an answer: sentences run together, list items on their own lines."""
    lines: list[str] = []
    paragraph: list[str] = []
    for part in parts:
        if part.is_list_item:
            if paragraph:
                lines.append(" ".join(paragraph))
                paragraph = []
            lines.append(f"- {part.text}")
        else:
            paragraph.append(part.text)
    if paragraph:
        lines.append(" ".join(paragraph))
    return "\n".join(lines)
