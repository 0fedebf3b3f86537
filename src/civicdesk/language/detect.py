"""Detect the language of a question with py3langid, careful with short English questions.

py3langid is trained on longer text; on a five-word question it can be wrong. A question
that reads as English by its function words is taken as English; any other language is
only claimed when the model is clear about it.
"""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

PAGE_LANGUAGES = ("en", "cy")

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)
_ENGLISH_MARKERS = frozenset(
    "the a an is are was my i me you your how what when where why who can do does did "
    "i'm it's to of for in on and or with about if have has get need want should will "
    "there this that which much many".split()
)
_WELSH_MARKERS = frozenset(
    "y yr a ac ydw ydy mae sut beth pryd ble pam fy dy ei ein eich eu gyda yn i o am ar "
    "gan wedi bod gallaf alla hoffwn oes dw rydw rwy ydych chi fi".split()
)


@dataclass(frozen=True)
class DetectedLanguage:
    code: str  # ISO 639-1, "und" when undetermined
    confident: bool
    words: int


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    # The model's state tables come as lists of 100,000 Python ints. Every question walks
    # them, and reading a list item writes its reference count: in a forked worker that
    # copies the pages the parent loaded them into (ADR 0043). Typed arrays hand out fresh
    # ints instead, and take a fifth of the memory.
    identifier._rowbase = array("q", identifier._rowbase)
    identifier.tk_output = array("q", identifier.tk_output)
    return identifier


def warm_up() -> None:
    """Load the model now (about half a second) rather than on the first question."""
    _identifier().classify("warm up")


def detect_language(text: str) -> DetectedLanguage:
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return DetectedLanguage("und", False, 0)
    english = sum(1 for w in words if w in _ENGLISH_MARKERS)
    welsh = sum(1 for w in words if w in _WELSH_MARKERS and w not in _ENGLISH_MARKERS)
    code, probability = _identifier().classify(text)
    if code == "cy" and probability >= 0.5:
        return DetectedLanguage("cy", True, len(words))
    if code not in ("en", "cy") and probability >= 0.9 and len(words) >= 5:
        # A sentence the model is sure of: the marker words below are short ("a", "i", "o",
        # "do", "am") and just as common in Polish, Romanian or Spanish, so they must not
        # turn a Romanian question Welsh or a Spanish one English.
        return DetectedLanguage(str(code), True, len(words))
    if welsh >= 2 and welsh > english:
        return DetectedLanguage("cy", True, len(words))
    if code == "en" or english >= 2 or (english >= 1 and len(words) <= 4):
        return DetectedLanguage("en", code == "en" or english >= 2, len(words))
    if code == "zxx":  # the model's own "no linguistic content"
        return DetectedLanguage("und", False, len(words))
    latin = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    letters = sum(1 for ch in text if ch.isalpha()) or 1
    if english == 0 and latin / letters < 0.5:
        return DetectedLanguage(str(code), True, len(words))
    if probability >= 0.9 and len(words) >= 3:
        return DetectedLanguage(str(code), True, len(words))
    return DetectedLanguage("en", False, len(words))
