"""The extractive composer: an answer made only of sentences from the cited guidance.

It never writes a word of its own. It takes the best sections of the best pages, splits them
into sentences and list items, keeps those that share the most with the question, puts them
back in document order, and ties each to its citation. A lead-in that ends with a colon
brings the list items that follow it, so "You can pay by:" is never left hanging.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import lru_cache

from civicdesk.assistant.terms import (
    FRAMING_WORDS,
    MONEY,
    MONEY_QUESTION,
    MONEY_WORDS,
    TIME,
    TIME_QUESTION,
    TIME_WORDS,
    content_terms,
    correct_spelling,
    question_focus,
)
from civicdesk.domain.inquiry import AnswerPart, Citation
from civicdesk.domain.knowledge import Chunk, PageHit
from civicdesk.knowledge.chunking import is_navigation

MAX_WORDS = 110
MAX_UNITS = 5
MAX_LIST_ITEMS = 8
SNIPPET_CHARS = 240

_LIST_ITEM = re.compile(r"^\s*(?:[-*•–]|\d{1,2}[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“(]?[A-Z0-9£])")


@dataclass(frozen=True)
class Unit:
    """A sentence or a list item, in the order it appears in its chunk."""

    chunk: Chunk
    position: int
    text: str
    is_list_item: bool
    terms: frozenset[str]
    is_lead_in: bool = False  # "You will need:" or a table's header row
    has_money: bool = field(init=False)  # names an amount ("£45", "free")
    has_time: bool = field(init=False)  # names a time or interval ("every 2 weeks", "Monday")

    def __post_init__(self) -> None:
        object.__setattr__(self, "has_money", bool(MONEY.search(self.text)))
        object.__setattr__(self, "has_time", bool(TIME.search(self.text)))


@lru_cache(maxsize=8192)
def split_units(chunk: Chunk) -> tuple[Unit, ...]:
    """Sentences, list items and table rows of a chunk, in order.

    A table's first row is its header: it leads in the rows under it, and each row also
    carries the header's words, so "First vehicle | £45" is found by "permit price".
    """
    units: list[Unit] = []
    header_terms: frozenset[str] | None = None
    for line in chunk.text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if " | " in line:
            terms = frozenset(content_terms(line, chunk.locale))
            if header_terms is None:
                header_terms = terms
                units.append(Unit(chunk, len(units), line, False, terms, is_lead_in=True))
            else:
                units.append(Unit(chunk, len(units), line, True, terms | header_terms))
            continue
        header_terms = None
        if _LIST_ITEM.match(line):
            pieces = [(_LIST_ITEM.sub("", line, count=1), True)]
        else:
            pieces = [(s.strip(), False) for s in _SENTENCE_END.split(line) if s.strip()]
        for text, is_item in pieces:
            units.append(
                Unit(
                    chunk,
                    len(units),
                    text,
                    is_item,
                    frozenset(content_terms(text, chunk.locale)),
                    is_lead_in=not is_item and text.endswith(":"),
                )
            )
    return tuple(units)


@dataclass
class Composition:
    parts: list[AnswerPart]
    citations: list[Citation]
    relevance: float  # share of the question's terms the chosen guidance covers, weighted


def compose_extractive(question: str, hits: list[PageHit], *, max_pages: int = 2) -> Composition:
    """Choose sentences from the top pages' best chunks that answer `question`."""
    if not hits:
        return Composition([], [], 0.0)
    locale = hits[0].locale
    top_score = hits[0].score
    pages = [hits[0]] + [h for h in hits[1:max_pages] if h.score >= 0.85 * top_score]
    candidates: list[Unit] = []
    for rank, page in enumerate(pages):
        for chunk_hit in page.chunks[: 6 if rank == 0 else 2]:
            if is_navigation(chunk_hit.chunk):
                continue
            candidates.extend(split_units(chunk_hit.chunk))
    if not candidates:
        return Composition([], [], 0.0)
    vocabulary = set().union(*(u.terms for u in candidates))
    query_set = {correct_spelling(t, vocabulary) for t in content_terms(question, locale)}
    if not query_set:
        return Composition([], [], 0.0)
    if MONEY_QUESTION.search(question):  # "cost", "price", "fee" and "charge" ask the same
        query_set |= set(content_terms(" ".join(MONEY_WORDS), locale)) & vocabulary

    # Rarer terms among the candidate units weigh more (a local inverse document frequency).
    frequency = {t: sum(1 for u in candidates if t in u.terms) for t in query_set}
    weight = {t: math.log(1 + len(candidates) / (1 + frequency[t])) for t in query_set}

    # What kind of answer is wanted: an amount of money, or a time or interval.
    wants_money = bool(MONEY_QUESTION.search(question))
    wants_time = bool(TIME_QUESTION.search(question))
    bonus = max(weight.values()) if weight else 0.0

    def score(unit: Unit) -> float:
        overlap = sum(weight[t] for t in unit.terms & query_set)
        if overlap and wants_money and unit.has_money:
            overlap += bonus
        if overlap and wants_time and unit.has_time:
            overlap += bonus / 2
        return overlap / math.sqrt(1 + len(unit.terms) / 12)

    scored = sorted(
        ((score(u), i) for i, u in enumerate(candidates)), key=lambda item: (-item[0], item[1])
    )
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
        if any(_near_duplicate(unit, candidates[other]) for other in chosen):
            continue
        chosen.add(index)
        words += size
    _complete_lists(candidates, chosen)
    relevance = answerability(question, pages, candidates, vocabulary)
    citations: list[Citation] = []
    citation_of: dict[str, int] = {}
    parts: list[AnswerPart] = []
    for index in sorted(chosen):
        unit = candidates[index]
        chunk = unit.chunk
        if chunk.id not in citation_of:
            citation_of[chunk.id] = len(citations)
            url = chunk.citation_url
            citations.append(
                Citation(
                    url=url,
                    title=chunk.page_title,
                    section=chunk.section,
                    snippet=_snippet(chunk.text),
                )
            )
        parts.append(AnswerPart(unit.text, citation_of[chunk.id], unit.is_list_item))
    return Composition(parts, citations, relevance)


def compose_passage(hits: list[PageHit], relevance: float) -> Composition:
    """The opening of the best section of the best page, as written, for a question asked in
    another language: its words cannot be matched to the question's, so the section the
    vectors chose is shown from its start (up to MAX_WORDS, lists kept whole).

    `relevance` is the caller's measure of how well the section matches (from vector
    similarity); the words shown are the guidance's own, never a translation.
    """
    chunk = next(
        (c.chunk for hit in hits[:1] for c in hit.chunks if not is_navigation(c.chunk)), None
    )
    if chunk is None:
        return Composition([], [], 0.0)
    candidates = list(split_units(chunk))
    chosen: set[int] = set()
    words = 0
    for index, unit in enumerate(candidates):
        size = len(unit.text.split())
        if chosen and words + size > MAX_WORDS:
            break
        chosen.add(index)
        words += size
    if not chosen:
        return Composition([], [], 0.0)
    _complete_lists(candidates, chosen)
    citation = Citation(
        url=chunk.citation_url,
        title=chunk.page_title,
        section=chunk.section,
        snippet=_snippet(chunk.text),
    )
    parts = [AnswerPart(candidates[i].text, 0, candidates[i].is_list_item) for i in sorted(chosen)]
    return Composition(parts, [citation], relevance)


def answerability(
    question: str, pages: list[PageHit], candidates: list[Unit], vocabulary: set[str]
) -> float:
    """How much of what is asked the best page speaks to, from 0 to 1.

    The question's focus terms are weighted by how rare they are among the candidate
    passages (a term found nowhere weighs most: it is what the guidance lacks), and the
    share of that weight found in the best page's title, headings and best passages is the
    answer. Context a citizen adds ("since my husband died in the spring") is left out by
    looking at the sentence that asks.
    """
    if not pages:
        return 0.0
    top = pages[0]
    focus = {
        correct_spelling(t, vocabulary) for t in content_terms(question_focus(question), top.locale)
    } - set(content_terms(" ".join(FRAMING_WORDS), top.locale))
    if not focus:
        return 0.0
    evidence = set(content_terms(top.title, top.locale))
    texts = [top.title]
    for chunk_hit in top.chunks:
        evidence |= set(content_terms(" ".join(chunk_hit.chunk.heading_path), top.locale))
        evidence |= set(content_terms(chunk_hit.chunk.text, top.locale))
        texts.append(chunk_hit.chunk.text)
    if MONEY_QUESTION.search(question) and any(MONEY.search(t) for t in texts):
        # "How much do you charge" is answered by an amount, whatever word the page uses.
        evidence |= set(content_terms(" ".join(MONEY_WORDS), top.locale))
    if TIME_QUESTION.search(question) and any(TIME.search(t) for t in texts):
        evidence |= set(content_terms(" ".join(TIME_WORDS), top.locale))
    n = len(candidates) or 1
    weight = {t: math.log(1 + n / (1 + sum(1 for u in candidates if t in u.terms))) for t in focus}
    total = sum(weight.values()) or 1.0
    return round(sum(weight[t] for t in focus & evidence) / total, 4)


def _complete_lists(candidates: list[Unit], chosen: set[int]) -> None:
    """A chosen list item brings its lead-in; a chosen lead-in brings its whole list.

    "You will need:" followed by one of five items would mislead, so lists stay whole
    (up to MAX_LIST_ITEMS items).
    """
    for index in sorted(chosen):
        unit = candidates[index]
        if unit.is_list_item:
            lead = index - 1
            while (
                lead >= 0 and candidates[lead].is_list_item and _same_chunk(candidates, lead, index)
            ):
                lead -= 1
            if lead >= 0 and _same_chunk(candidates, lead, index) and candidates[lead].is_lead_in:
                chosen.add(lead)
    for index in sorted(chosen):
        if not candidates[index].is_lead_in or " | " in candidates[index].text:
            continue  # a table's header is shown with the rows chosen, not every row
        follower = index + 1
        while (
            follower < len(candidates)
            and follower - index <= MAX_LIST_ITEMS
            and candidates[follower].is_list_item
            and _same_chunk(candidates, follower, index)
        ):
            chosen.add(follower)
            follower += 1


def _same_chunk(candidates: list[Unit], a: int, b: int) -> bool:
    return candidates[a].chunk.id == candidates[b].chunk.id


def _near_duplicate(a: Unit, b: Unit) -> bool:
    if a.text == b.text:
        return True
    if not a.terms or not b.terms:
        return False
    return len(a.terms & b.terms) / len(a.terms | b.terms) >= 0.8


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
