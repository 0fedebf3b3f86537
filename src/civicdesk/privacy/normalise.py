"""Normalise text before matching, keeping a map back to the original offsets.

Citizens (and people trying to get past a filter) write identifiers with full-width digits,
zero-width spaces, soft hyphens or typographic dashes. Matching runs on a normalised copy:
NFKC per character, invisible characters dropped, every dash and space variant made plain.
Digits split by spaces, dots or dashes are handled by the patterns themselves, which accept
one separator between any two digits. Each normalised character remembers the original
character it came from, so spans always point into the text the caller gave.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

INVISIBLE = frozenset(
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e"
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\u206a\u206b\u206c\u206d\u206e\u206f"
    "\u3164\ufe00\ufe01\ufe02\ufe03\ufe04\ufe05\ufe06\ufe07\ufe08\ufe09\ufe0a\ufe0b\ufe0c"
    "\ufe0d\ufe0e\ufe0f\ufeff\uffa0"
)
PLAIN = {
    **{dash: "-" for dash in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"},
    "\u00a0": " ",
    "\u202f": " ",
    "\u2007": " ",
    "\t": " ",
}


@dataclass(frozen=True, slots=True)
class Normalised:
    """The text matched against, and for each of its characters the original index."""

    text: str
    origin: tuple[int, ...] | None
    original_length: int

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a normalised [start, end) back to the original text."""
        if self.origin is None:
            return start, end
        if start >= end:
            position = self.origin[start] if start < len(self.origin) else self.original_length
            return position, position
        return self.origin[start], self.origin[end - 1] + 1


def normalise(text: str) -> Normalised:
    """A matching copy of ``text``; plain ASCII without tabs is returned as it is."""
    if text.isascii() and "\t" not in text:
        return Normalised(text, None, len(text))
    pieces: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if char in INVISIBLE:
            continue
        replacement = PLAIN.get(char)
        if replacement is None:
            replacement = char if char.isascii() else unicodedata.normalize("NFKC", char)
            if len(replacement) == 1 and replacement in PLAIN:
                replacement = PLAIN[replacement]
        pieces.append(replacement)
        origin.extend([index] * len(replacement))
    return Normalised("".join(pieces), tuple(origin), len(text))
