"""Recognisers: small declarative pieces (patterns, context words, a validate function).

A recogniser finds one type of personal data in normalised text. Each pattern has a base
score; context words near a match raise it, and a pattern marked ``needs_context`` only counts
when one is present (a 9-digit number is a passport number only when the citizen says so).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from civicdesk.privacy.spans import DetectedSpan

CONTEXT_BEFORE = 60
CONTEXT_AFTER = 30
CONTEXT_BOOST = 0.35


class Detector(Protocol):
    """Anything that finds spans of personal data in (normalised) text."""

    @property
    def types(self) -> frozenset[str]: ...

    def find(self, text: str) -> list[DetectedSpan]: ...


@dataclass(frozen=True)
class Pattern:
    name: str
    regex: re.Pattern[str]
    score: float
    needs_context: bool = False
    group: int = 0
    hints: tuple[str, ...] = ()


def pattern(
    name: str,
    regex: str,
    score: float,
    *,
    flags: int = 0,
    needs_context: bool = False,
    group: int = 0,
    hints: tuple[str, ...] = (),
) -> Pattern:
    """``hints``: lower-case strings of which one must be in the text for the pattern to run."""
    return Pattern(name, re.compile(regex, flags), score, needs_context, group, hints)


def context_regex(words: Iterable[str]) -> re.Pattern[str] | None:
    words = sorted({w.lower() for w in words}, key=len, reverse=True)
    if not words:
        return None
    return re.compile(r"(?<![a-z])(?:" + "|".join(re.escape(w) for w in words) + r")(?![a-z])")


@dataclass(frozen=True)
class Recogniser:
    """Patterns for one type, the words that make a match more likely, and a check."""

    type: str
    patterns: Sequence[Pattern]
    context: Sequence[str] = ()
    validate: Callable[[str], bool] | None = None
    _context: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_context", context_regex(self.context))

    @property
    def types(self) -> frozenset[str]:
        return frozenset({self.type})

    def has_context(self, text: str, start: int, end: int) -> bool:
        if self._context is None:
            return False
        window = text[max(0, start - CONTEXT_BEFORE) : end + CONTEXT_AFTER].lower()
        return self._context.search(window) is not None

    def find(self, text: str) -> list[DetectedSpan]:
        found: list[DetectedSpan] = []
        lowered: str | None = None
        for item in self.patterns:
            if item.hints:
                lowered = text.lower() if lowered is None else lowered
                if not any(hint in lowered for hint in item.hints):
                    continue
            for match in item.regex.finditer(text):
                start, end = match.span(item.group)
                if start == end:
                    continue
                if self.validate is not None and not self.validate(match.group(item.group)):
                    continue
                score = item.score
                if self._context is not None and (item.needs_context or score < 1.0):
                    if self.has_context(text, start, end):
                        score = min(1.0, score + CONTEXT_BOOST)
                    elif item.needs_context:
                        continue
                found.append(DetectedSpan(self.type, start, end, round(score, 2)))
        return found
