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
from civicdesk.language.welsh import fold_mutation

MAX_WORDS = 110
MAX_UNITS = 5
MAX_LIST_ITEMS = 8
SNIPPET_CHARS = 240

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
_LIST_ITEM = re.compile(r"^\s*(?:[-*•–]|\d{1,2}[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“(]?[A-Z0-9£])")
_ANY_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_PLACEHOLDER = re.compile(r"<[A-Z][A-Z_]+>")
_SCRIPT = re.compile(r"<(script|style)\b.*?(</\1\s*>|$)", re.I | re.S)
_TAG = re.compile(r"</?[a-zA-Z][^<>]{0,200}>")
_MONEY_QUESTION = re.compile(
    r"\b(how much|cost|costs|price|fee|fees|charge|charges|pay|faint|cost|pris|ffi)\b", re.I
)
_MONEY = re.compile(r"£\s?\d|\b\d+(?:\.\d\d)?\s?(?:pounds|pence|p)\b|\bfree\b|\bam ddim\b", re.I)
_TIME_QUESTION = re.compile(
    r"\b(when|how long|how often|what time|what day|deadline|pryd|pa mor hir)\b", re.I
)
_TIME = re.compile(
    r"\b(\d{1,2}(?::\d\d)?\s?(?:am|pm)|\d+\s(?:working\s)?(?:days?|weeks?|months?|years?|hours?)|"
    r"every|each|monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|"
    r"march|april|may|june|july|august|september|october|november|december|bob|dydd|diwrnod)\b",
    re.I,
)
TIME_WORDS = (
    "long",
    "often",
    "quick",
    "quickly",
    "soon",
    "time",
    "day",
    "week",
    "deadline",
    "when",
)
# Words that frame a question rather than say what it is about; they do not count against
# the guidance when it lacks them ("how does the process work", "I got a ticket yesterday").
FRAMING_WORDS = frozenset(
    """work works working process happen happens happened meant mean means put yesterday today
    tonight tomorrow ago last next small little big back stop anything something someone
    thing things way ways able possible sure okay ok exactly actually basically
    bit lot lots""".split()
)
MONEY_WORDS = ("cost", "costs", "price", "fee", "charge", "pay", "faint", "pris", "ffi", "tâl")
NAVIGATION_HEADINGS = frozenset(
    {
        "related guidance",
        "related content",
        "related links",
        "canllawiau cysylltiedig",
        "cysylltiedig",
    }
)


def without_placeholders(text: str) -> str:
    """The words a citizen asked with: redaction placeholders such as <UK_NINO>, and any
    HTML tags or scripts pasted in, taken out (they are kept, as text, in what is stored)."""
    text = _SCRIPT.sub(" ", text)
    return _TAG.sub(" ", _PLACEHOLDER.sub(" ", text))


STOPWORDS = frozenset(
    """a about above after again all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is
    it its itself just me more most my myself no nor not now of off on once only or other our
    ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we
    were what when where which while who whom why will with would you your yours yourself
    yourselves get got want need please tell know like im ive dont cant much many also
    whats hows wheres whens whos wasnt isnt didnt havent hasnt werent cant wont couldnt
    shouldnt wouldnt aint arent doesnt yr y
    mae sut beth pryd ble pam fy dy ei ein eich eu gyda yn i o am ar gan wedi bod oes ydw ydy
    hoffwn gallaf alla chi fi""".split()
)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def content_terms(text: str, locale: str = "en") -> list[str]:
    """Words that carry meaning: English stemmed, Welsh with its mutations folded."""
    words = [w.lower().replace("’", "'") for w in _WORD.findall(without_placeholders(text))]
    kept = [w for w in words if w not in STOPWORDS and len(w) > 1]
    if locale.startswith("cy"):
        return [fold_mutation(w.replace("'", "")) for w in kept]
    return [str(s) for s in _stemmer().stemWords(kept)]


@dataclass(frozen=True)
class Unit:
    """A sentence or a list item, in the order it appears in its chunk."""

    chunk: Chunk
    position: int
    text: str
    is_list_item: bool
    terms: frozenset[str]
    is_lead_in: bool = False  # "You will need:" or a table's header row


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
            heading = (
                chunk_hit.chunk.heading_path[-1].lower() if chunk_hit.chunk.heading_path else ""
            )
            if heading in NAVIGATION_HEADINGS:
                continue
            candidates.extend(split_units(chunk_hit.chunk))
    if not candidates:
        return Composition([], [], 0.0)
    vocabulary = set().union(*(u.terms for u in candidates))
    query_set = {correct_spelling(t, vocabulary) for t in content_terms(question, locale)}
    if not query_set:
        return Composition([], [], 0.0)
    if _MONEY_QUESTION.search(question):  # "cost", "price", "fee" and "charge" ask the same
        query_set |= set(content_terms(" ".join(MONEY_WORDS), locale)) & vocabulary

    # Rarer terms among the candidate units weigh more (a local inverse document frequency).
    frequency = {t: sum(1 for u in candidates if t in u.terms) for t in query_set}
    weight = {t: math.log(1 + len(candidates) / (1 + frequency[t])) for t in query_set}

    # What kind of answer is wanted: an amount of money, or a time or interval.
    wants_money = bool(_MONEY_QUESTION.search(question))
    wants_time = bool(_TIME_QUESTION.search(question))
    bonus = max(weight.values()) if weight else 0.0

    def score(unit: Unit) -> float:
        overlap = sum(weight[t] for t in unit.terms & query_set)
        if overlap and wants_money and _MONEY.search(unit.text):
            overlap += bonus
        if overlap and wants_time and _TIME.search(unit.text):
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


def question_focus(question: str) -> str:
    """The part of a message that asks: the last sentence with a question mark, or the last
    sentence, widened to the one before when it is too short to stand alone."""
    sentences = [s.strip() for s in _ANY_SENTENCE.split(question) if s.strip()]
    if len(sentences) <= 1:
        return question
    asking = [i for i, s in enumerate(sentences) if s.endswith("?")]
    last = asking[-1] if asking else len(sentences) - 1
    first = last
    while first > 0 and len(set(content_terms(" ".join(sentences[first : last + 1])))) < 3:
        first -= 1
    return " ".join(sentences[first : last + 1])


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
    if _MONEY_QUESTION.search(question) and any(_MONEY.search(t) for t in texts):
        # "How much do you charge" is answered by an amount, whatever word the page uses.
        evidence |= set(content_terms(" ".join(MONEY_WORDS), top.locale))
    if _TIME_QUESTION.search(question) and any(_TIME.search(t) for t in texts):
        evidence |= set(content_terms(" ".join(TIME_WORDS), top.locale))
    n = len(candidates) or 1
    weight = {t: math.log(1 + n / (1 + sum(1 for u in candidates if t in u.terms))) for t in focus}
    total = sum(weight.values()) or 1.0
    return round(sum(weight[t] for t in focus & evidence) / total, 4)


def correct_spelling(term: str, vocabulary: set[str]) -> str:
    """A misspelt term ("recyl", "colect") replaced by the vocabulary term one edit away.

    Only terms of five letters or more are corrected, and only to a term that starts with
    the same letter, so short words and names are left alone.
    """
    if term in vocabulary or len(term) < 5:
        return term
    limit = 2 if len(term) >= 9 else 1
    best: str | None = None
    for candidate in vocabulary:
        if candidate[0] != term[0] or abs(len(candidate) - len(term)) > limit:
            continue
        if _edit_distance(term, candidate, limit) <= limit and (best is None or candidate < best):
            best = candidate
    return best or term


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance, giving up once it passes `limit`."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, start=1):
            cost = 0 if char_a == char_b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


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
