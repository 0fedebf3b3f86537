"""The words of a question and of guidance, as the composer compares them.

English is stemmed (Snowball), Welsh has its initial mutations folded; stop words and
redaction placeholders are dropped. Also here: which kind of answer a question wants (an
amount of money, a time), the sentence that asks, and a small spelling corrector.
"""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

from civicdesk.language.welsh import fold_mutation

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)
ANY_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
PLACEHOLDER = re.compile(r"<[A-Z][A-Z_]+>")
SCRIPT = re.compile(r"<(script|style)\b.*?(</\1\s*>|$)", re.I | re.S)
TAG = re.compile(r"</?[a-zA-Z][^<>]{0,200}>")
MONEY_QUESTION = re.compile(
    r"\b(how much|cost|costs|price|fee|fees|charge|charges|pay|faint|cost|pris|ffi)\b", re.I
)
MONEY = re.compile(r"£\s?\d|\b\d+(?:\.\d\d)?\s?(?:pounds|pence|p)\b|\bfree\b|\bam ddim\b", re.I)
TIME_QUESTION = re.compile(
    r"\b(when|how long|how often|what time|what day|deadline|pryd|pa mor hir)\b", re.I
)
TIME = re.compile(
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


def without_placeholders(text: str) -> str:
    """The words a citizen asked with: redaction placeholders such as <UK_NINO>, and any
    HTML tags or scripts pasted in, taken out (they are kept, as text, in what is stored)."""
    text = SCRIPT.sub(" ", text)
    return TAG.sub(" ", PLACEHOLDER.sub(" ", text))


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


@lru_cache(maxsize=16384)
def content_terms(text: str, locale: str = "en") -> tuple[str, ...]:
    """Words that carry meaning: English stemmed, Welsh with its mutations folded.

    Cached: guidance sentences and the fixed word lists are analysed again and again.
    """
    words = [w.lower().replace("’", "'") for w in WORD.findall(without_placeholders(text))]
    kept = [w for w in words if w not in STOPWORDS and len(w) > 1]
    if locale.startswith("cy"):
        return tuple(fold_mutation(w.replace("'", "")) for w in kept)
    return tuple(str(s) for s in _stemmer().stemWords(kept))


def question_focus(question: str) -> str:
    """The part of a message that asks: the last sentence with a question mark, or the last
    sentence, widened to the one before when it is too short to stand alone."""
    sentences = [s.strip() for s in ANY_SENTENCE.split(question) if s.strip()]
    if len(sentences) <= 1:
        return question
    asking = [i for i, s in enumerate(sentences) if s.endswith("?")]
    last = asking[-1] if asking else len(sentences) - 1
    first = last
    while first > 0 and len(set(content_terms(" ".join(sentences[first : last + 1])))) < 3:
        first -= 1
    return " ".join(sentences[first : last + 1])


def correct_spelling(term: str, vocabulary: set[str]) -> str:
    """A misspelt term ("recyl", "colect") replaced by the vocabulary term one edit away.

    Only terms of five letters or more are corrected, and only to a term that starts with
    the same two letters, so short words and names are left alone (and the search stays
    small).
    """
    if term in vocabulary or len(term) < 5 or not term.isalpha():
        return term
    limit = 2 if len(term) >= 9 else 1
    best: str | None = None
    for candidate in vocabulary:
        if candidate[:2] != term[:2] or abs(len(candidate) - len(term)) > limit:
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
