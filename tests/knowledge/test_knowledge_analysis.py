"""Analysis: English is stemmed without stop words; Welsh is never stemmed with English rules."""

from __future__ import annotations

import pytest

from civicdesk.knowledge.analysis import (
    analyse_english,
    analyse_for_index,
    analyse_welsh,
    language_of,
    words,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Claiming benefits", ["claim", "benefit"]),
        ("I'm applying for the carer's allowance", ["appli", "carer", "allow"]),
        ("You’re not eligible", ["elig"]),
        ("Council Tax: 25% off", ["council", "tax", "25"]),
    ],
)
def test_english(text: str, expected: list[str]) -> None:
    assert analyse_english(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Taliadau ymlaen llaw", ["taliadau", "ymlaen", "llaw"]),
        ("Mae'r biniau yn cael eu casglu", ["mae'r", "biniau", "cael", "casglu"]),
        ("Credyd Cynhwysol and JSA", ["credyd", "cynhwysol", "jsa"]),
    ],
)
def test_welsh_is_not_stemmed(text: str, expected: list[str]) -> None:
    assert analyse_welsh(text) == [w.replace("'", "") for w in expected]


def test_index_terms_keep_languages_apart_and_add_word_pairs() -> None:
    assert analyse_for_index("en", "housing benefit") == ["hous", "benefit", "hous_benefit"]
    assert analyse_for_index("cy", "budd-dal tai") == ["cy:budd", "cy:dal", "cy:tai",
                                                        "cy:budd_dal", "cy:dal_tai"]


@pytest.mark.parametrize(
    ("locale", "language"),
    [("en", "en"), ("en-GB", "en"), ("cy", "cy"), ("CY", "cy"), ("fr", "en")],
)
def test_language_of(locale: str, language: str) -> None:
    assert language_of(locale) == language


def test_words_handle_typographic_apostrophes_and_accents() -> None:
    assert words("Dyma’r ffïoedd — O’Brien’s") == ["dymar", "ffïoedd", "obrien"]
