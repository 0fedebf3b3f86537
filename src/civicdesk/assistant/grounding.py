"""Is each sentence of an answer supported by the guidance it cites? Checked offline.

Every answer, written by a model or taken from the guidance by the extractive composer, goes
through the same checks before a citizen sees it:

1. every source a sentence cites was retrieved (a model can invent source numbers);
2. every link in a sentence is a page of the knowledge base, a retrieved section, or a link
   the cited guidance itself gives; any other link is removed from the sentence;
3. the sentence is supported by the text it cites: enough of its content words (stemmed,
   stop words dropped, as the composer compares them) appear in that text, and every fact
   that must match exactly does: numbers, amounts of money, days and months, email
   addresses;
4. extractive sentences must also appear word for word in the cited text.

A sentence a model translated for a citizen who asked in another language comes twice: the
text shown (`text`) and the same sentence in the guidance's language (`source_text`). The
checks above run on `source_text`; then the text shown must carry exactly the same numbers
written in digits, amounts, email addresses and links (`literal_facts`), and, when an
embedder is set, be close enough in meaning to `source_text` (cross-language similarity of
the two; see civicdesk.assistant.similarity).

A sentence that fails is dropped; the report says which check it failed and by how much.
This module only finds and measures: what to do with the report (drop, hand over) is the
check stage's business. Lexical support cannot see meaning: a negation ("you cannot")
passes when the words are the source's. That is the known limit of an offline check; the
exact-match facts catch the most harmful inventions (a wrong amount, day or address).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache

from civicdesk.assistant.terms import content_terms

MIN_KEPT_SHARE = 0.5  # hand over when more than half of an answer's sentences were dropped

URL = re.compile(
    r"\bhttps?://[^\s<>\"'()\[\]]+|\bwww\.[a-z0-9-]+(?:\.[a-z0-9-]+)+[^\s<>\"'()\[\]]*"
    r"|(?<![@\w.-])(?:[a-z0-9-]+\.)+(?:uk|com|org|net|gov|wales|scot|info|io)/[^\s<>\"'()\[\]]*",
    re.I,
)
MARKDOWN_LINK = re.compile(r"\[([^\]]{1,200})\]\(([^)\s]{1,500})\)")
_LEAD_IN = re.compile(
    r"(?:(?:\s+|(?<=\())(?:at|on|via|from|see|visit|go to|using))?\s*\(?\s*$", re.I
)  # "(see " before a removed link goes too, so no "(see)" is left behind
_TRAILING = ".,;:!?)'\""
_ENUMERATOR = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•])\s+")

EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
MONEY = re.compile(r"£\s?(\d[\d,]*(?:\.\d{1,2})?)")
NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
PHONE_GAP = re.compile(r"(?<=\d{3}) (?=\d{3})")
NUMBER_WORDS = {
    word: str(value)
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve".split()
    )
}
_NUMBER_WORD = re.compile(r"\b(?:" + "|".join(NUMBER_WORDS) + r")\b", re.I)
PRICE_TERMS = {stem: "cost" for stem in ("cost", "price", "fee", "charg")}
NAMED_DAYS = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december""".split()
)
# Welsh day and month names; only compared for Welsh guidance ("Mawrth" is both).
NAMED_DAYS_CY = frozenset(
    """llun mawrth mercher iau gwener sadwrn sul ionawr chwefror ebrill mai mehefin
    gorffennaf awst medi hydref tachwedd rhagfyr""".split()
)


@dataclass(frozen=True)
class Claim:
    """A sentence to show and the sources (indices into the answer's citations) it cites.

    `source_text`, for a sentence translated into the citizen's language, is the same
    sentence in the guidance's language: the one checked against the sources ("" when the
    model did not give it, and the sentence cannot be checked). None when `text` is in the
    guidance's language."""

    text: str
    sources: tuple[int, ...]
    is_list_item: bool = False
    source_text: str | None = None


@dataclass(frozen=True)
class SourceText:
    """What one citation stands for: its title, section heading and retrieved passages."""

    url: str
    passages: tuple[str, ...]
    heading: str = ""
    locale: str = "en"


@dataclass(frozen=True)
class SentenceCheck:
    text: str  # the sentence as it would be shown, invented links removed
    verdict: str  # supported, or why not: no_source, not_verbatim, too_short, facts_differ,
    # unsupported, lead_in_alone; for a translated sentence also no_source_text,
    # translation_differs, not_similar, similarity_unavailable
    support: float  # share of content words found in the cited text, 0 to 1
    citation: int | None  # the cited source that supports it best
    is_list_item: bool = False
    unknown_sources: tuple[int, ...] = ()
    removed_urls: tuple[str, ...] = ()
    missing_facts: tuple[str, ...] = ()  # or, for a translation, the facts not carried over
    source_text: str = ""  # a translated sentence in the guidance's language, links removed
    similarity: float | None = None  # of `text` and `source_text`, when measured

    @property
    def kept(self) -> bool:
        return self.verdict == "supported"


@dataclass(frozen=True)
class GroundingReport:
    sentences: tuple[SentenceCheck, ...]

    @property
    def kept(self) -> list[SentenceCheck]:
        return [s for s in self.sentences if s.kept]

    @property
    def enough_left(self) -> bool:
        """Something is left, and no more than half the answer was dropped."""
        kept = len(self.kept)
        return kept > 0 and kept >= MIN_KEPT_SHARE * len(self.sentences)

    def summary(self) -> dict[str, object]:
        """For the trace: counts, and each sentence's verdict and support (no text)."""
        dropped: dict[str, int] = {}
        for check in self.sentences:
            if not check.kept:
                dropped[check.verdict] = dropped.get(check.verdict, 0) + 1
        summary: dict[str, object] = {
            "sentences": len(self.sentences),
            "kept": len(self.kept),
            "dropped": dropped,
            "unknown_sources": sum(len(s.unknown_sources) for s in self.sentences),
            "links_removed": sum(len(s.removed_urls) for s in self.sentences),
            "support": [round(s.support, 3) for s in self.sentences],
            "verdicts": [s.verdict for s in self.sentences],
        }
        if any(s.similarity is not None for s in self.sentences):
            summary["similarity"] = [
                None if s.similarity is None else round(s.similarity, 3) for s in self.sentences
            ]
        return summary


class KnownLinks:
    """Links an answer may keep, normalised once (see normalise_url); `in` compares loosely."""

    def __init__(self, urls: Iterable[str]) -> None:
        plain = {normalise_url(url) for url in urls}
        self.urls = frozenset(plain | {url.split("#", 1)[0] for url in plain})

    def __contains__(self, url: object) -> bool:
        if not isinstance(url, str):
            return False
        plain = normalise_url(url)
        return plain in self.urls or plain.split("#", 1)[0] in self.urls


# How close in meaning each (shown text, source text) pair is, 0 to 1; None when it cannot
# be measured now (the embedder is down).
Similarity = Callable[[Sequence[tuple[str, str]]], Sequence[float] | None]


def check_grounding(
    claims: Sequence[Claim],
    sources: Sequence[SourceText],
    known: Callable[[str], bool],
    *,
    min_support: float,
    verbatim: bool = False,
    similarity: Similarity | None = None,
    min_similarity: float = 0.0,
) -> GroundingReport:
    """Check every claim against the sources it cites (see the module's docstring).

    `known` says whether a link may stay: a page of the knowledge base or the retrieved
    guidance. `similarity`, when given, measures each translated claim that passed the
    other checks against its `source_text`; below `min_similarity` it is dropped.
    """
    checks = [_check(claim, sources, known, min_support, verbatim) for claim in claims]
    if similarity is not None:
        checks = _measured(checks, similarity, min_similarity)
    for number, check in enumerate(checks):  # "You can:" means nothing without what follows
        follows = checks[number + 1] if number + 1 < len(checks) else None
        if check.kept and _is_lead_in(check.text) and not (follows and follows.kept):
            checks[number] = replace(check, verdict="lead_in_alone")
    return GroundingReport(tuple(checks))


def _is_lead_in(text: str) -> bool:
    return text.rstrip().endswith(":")


def _measured(
    checks: list[SentenceCheck], similarity: Similarity, minimum: float
) -> list[SentenceCheck]:
    """Translated sentences still kept, with their similarity to their source text."""
    pending = [n for n, check in enumerate(checks) if check.kept and check.source_text]
    if not pending:
        return checks
    scores = similarity([(checks[n].text, checks[n].source_text) for n in pending])
    measured = list(checks)
    for place, n in enumerate(pending):
        if scores is None:
            measured[n] = replace(checks[n], verdict="similarity_unavailable")
            continue
        score = float(scores[place])
        verdict = "supported" if score >= minimum else "not_similar"
        measured[n] = replace(checks[n], verdict=verdict, similarity=score)
    return measured


def _check(
    claim: Claim,
    sources: Sequence[SourceText],
    known: Callable[[str], bool],
    min_support: float,
    verbatim: bool,
) -> SentenceCheck:
    if claim.source_text is not None:
        return _check_translated(claim, sources, known, min_support)
    cited = [i for i in dict.fromkeys(claim.sources) if 0 <= i < len(sources)]
    quoted = [_links(sources[i]) for i in cited]  # a link the cited guidance itself gives
    text, removed = remove_unknown_links(
        claim.text, lambda url: known(url) or any(url in links for links in quoted)
    )
    result = SentenceCheck(
        text,
        "no_source",
        0.0,
        cited[0] if cited else None,
        claim.is_list_item,
        unknown_sources=tuple(i for i in claim.sources if not 0 <= i < len(sources)),
        removed_urls=removed,
    )
    if not cited:
        return result
    quoting = [i for i in cited if any(claim.text in p for p in sources[i].passages)]
    if verbatim and not quoting:
        return replace(result, verdict="not_verbatim")
    locale = sources[cited[0]].locale
    terms = words(URL.sub(" ", MARKDOWN_LINK.sub(r"\1", text)), locale)
    if not terms:  # nothing to measure: only a lead-in ("You can:") may say nothing
        if _is_lead_in(text):
            return replace(result, verdict="supported", support=1.0)  # no word unsupported
        return replace(result, verdict="too_short")
    if quoting and text == claim.text:
        # Word for word from a cited passage: every word and fact is in it by construction,
        # so the per-source word sets (the costly part of an answer's check) are not needed.
        return replace(result, verdict="supported", support=1.0, citation=quoting[0])
    per_source = {i: _terms(sources[i]) for i in cited}
    support = len(terms & set().union(*per_source.values())) / len(terms)
    best = max(cited, key=lambda i: (len(terms & per_source[i]), -cited.index(i)))
    result = replace(result, support=support, citation=best)
    missing = facts(_ENUMERATOR.sub("", text), locale) - set().union(
        *(_facts(sources[i]) for i in cited)
    )
    if missing:
        return replace(result, verdict="facts_differ", missing_facts=tuple(sorted(missing)))
    return replace(result, verdict="supported" if support >= min_support else "unsupported")


def _check_translated(
    claim: Claim, sources: Sequence[SourceText], known: Callable[[str], bool], min_support: float
) -> SentenceCheck:
    """The guidance-language sentence checked as any other; then the shown text must carry
    over exactly its literal facts, and keeps only the links it may keep."""
    source_text = claim.source_text or ""
    checked = _check(
        Claim(source_text, claim.sources, claim.is_list_item), sources, known, min_support, False
    )
    quoted = [_links(sources[i]) for i in claim.sources if 0 <= i < len(sources)]
    shown, removed = remove_unknown_links(
        claim.text, lambda url: known(url) or any(url in links for links in quoted)
    )
    removed = tuple(dict.fromkeys(checked.removed_urls + removed))  # a link in both, once
    result = replace(checked, text=shown, source_text=checked.text, removed_urls=removed)
    if not source_text.strip():
        return replace(result, verdict="no_source_text", source_text="")
    if not checked.kept:
        return result
    differing = literal_facts(shown) ^ literal_facts(checked.text)
    if differing:
        return replace(
            result, verdict="translation_differs", missing_facts=tuple(sorted(differing))
        )
    return result


def literal_facts(text: str) -> frozenset[str]:
    """What a translation must carry over unchanged, whatever the language: numbers written
    in digits (a phone number as one), amounts, email addresses and links."""
    links = {normalise_url(match.group(2)) for match in MARKDOWN_LINK.finditer(text)}
    text = MARKDOWN_LINK.sub(r"\1", text)
    links |= {normalise_url(match.group(0)) for match in URL.finditer(text)}
    rest = URL.sub(" ", text)
    found = {email.lower().rstrip(".") for email in EMAIL.findall(rest)}
    rest = EMAIL.sub(" ", rest)
    found |= {"£" + _number(amount) for amount in MONEY.findall(rest)}
    found |= {_number(number) for number in NUMBER.findall(PHONE_GAP.sub("", rest))}
    return frozenset(found | links)


def words(text: str, locale: str = "en") -> set[str]:
    """Content words as the composer compares them, with "two" read as "2", a phone number
    as one word, and the words for a price ("cost", "price", "fee", "charge") as one."""
    spelled = _NUMBER_WORD.sub(lambda m: NUMBER_WORDS[m.group(0).lower()], PHONE_GAP.sub("", text))
    return {PRICE_TERMS.get(term, term) for term in content_terms(spelled, locale)}


@lru_cache(maxsize=4096)
def _terms(source: SourceText) -> frozenset[str]:
    found = words(source.heading, source.locale)
    for passage in source.passages:
        found |= words(passage, source.locale)
    return frozenset(found)


@lru_cache(maxsize=4096)
def _links(source: SourceText) -> KnownLinks:
    return KnownLinks(
        match.group(0).rstrip(_TRAILING)
        for passage in source.passages
        for match in URL.finditer(MARKDOWN_LINK.sub(r"\2", passage))
    )


@lru_cache(maxsize=4096)
def _facts(source: SourceText) -> frozenset[str]:
    found: set[str] = set(facts(source.heading, source.locale))
    for passage in source.passages:
        found |= facts(passage, source.locale)
    return frozenset(found)


def facts(text: str, locale: str = "en") -> frozenset[str]:
    """What must match exactly: numbers (phone numbers joined, "two" as "2", "1,200" as
    "1200"), amounts ("£45.00" as "£45"), named days and months, email addresses."""
    found: set[str] = {email.lower().rstrip(".") for email in EMAIL.findall(text)}
    rest = EMAIL.sub(" ", text)
    for amount in MONEY.findall(rest):
        found.add("£" + _number(amount))
    for number in NUMBER.findall(PHONE_GAP.sub("", rest)):
        found.add(_number(number))
    words = {w.lower() for w in re.findall(r"[^\W\d_]+", rest)}
    found |= {NUMBER_WORDS[w] for w in words & NUMBER_WORDS.keys()}
    found |= words & (NAMED_DAYS_CY if locale.startswith("cy") else NAMED_DAYS)
    return frozenset(found)


def _number(text: str) -> str:
    plain = text.replace(",", "") if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", text) else text
    if re.fullmatch(r"\d+\.0+", plain):
        plain = plain.split(".")[0]
    return plain.rstrip(".")


def normalise_url(url: str) -> str:
    """Compare links loosely where it is safe: scheme, case of the host, a trailing slash."""
    url = url.strip().rstrip(_TRAILING)
    if not re.match(r"https?://", url, re.I):
        url = "https://" + url
    scheme, _, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    return f"https://{host.lower()}{slash}{path}".rstrip("/")


def remove_unknown_links(text: str, known: Callable[[str], bool]) -> tuple[str, tuple[str, ...]]:
    """The text without links that are not `known`, and the links removed.

    A Markdown link keeps its words; a bare link goes with the "at"/"see" that leads to it.
    """
    removed: list[str] = []

    def markdown(match: re.Match[str]) -> str:
        if known(match.group(2)):
            return match.group(0)
        removed.append(match.group(2))
        return match.group(1)

    text = MARKDOWN_LINK.sub(markdown, text)
    pieces: list[str] = []
    position = 0
    for match in URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        if known(url):
            continue
        removed.append(url)
        before = text[position : match.start()]
        pieces.append(_LEAD_IN.sub("", before))
        position = match.start() + len(url)
        if before.rstrip().endswith("(") and text[position : position + 1] == ")":
            position += 1
    if not removed:
        return text, ()
    pieces.append(text[position:])
    tidy = re.sub(r"\(\s*\)", "", "".join(pieces))
    tidy = re.sub(r"\s+([.,;:!?])", r"\1", tidy)
    return re.sub(r"\s{2,}", " ", tidy).strip(), tuple(removed)


def clear_caches() -> None:
    """Forget every analysed source (for measuring the cost of first sight)."""
    for cached in (_terms, _facts, _links, content_terms):
        cached.cache_clear()
