"""Which way a language's script runs, for `dir` on text shown in it."""

from __future__ import annotations

from typing import Literal

# Languages py3langid can name whose usual script runs right to left.
RIGHT_TO_LEFT = frozenset({"ar", "fa", "he", "ps", "ug", "ur", "yi", "dv", "ku", "sd"})


def text_direction(language: str) -> Literal["ltr", "rtl"]:
    """ "rtl" for Arabic, Urdu, Persian, Hebrew and the like; "ltr" otherwise."""
    return "rtl" if language.split("-")[0].lower() in RIGHT_TO_LEFT else "ltr"
