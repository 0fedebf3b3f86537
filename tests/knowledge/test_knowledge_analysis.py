"""Analysis: English is stemmed without stop words; Welsh is never stemmed with English rules."""

from __future__ import annotations

import pytest

from civicdesk.knowledge.analysis import (
    analyse_english,
    analyse_for_index,
    analyse_welsh,
    defined_acronyms,
    expand_acronyms,
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
    assert analyse_for_index("en", "housing benefit") == [
        "hous", "benefit", "hous_benefit", "=housing", "=benefit"
    ]
    assert analyse_for_index("cy", "budd-dal tai") == ["cy:budd", "cy:dal", "cy:tai",
                                                        "cy:budd_dal", "cy:dal_tai"]


def test_english_words_are_also_kept_as_written() -> None:
    employer = analyse_for_index("en", "your employer")
    employment = analyse_for_index("en", "your employment")
    assert "employ" in employer and "employ" in employment  # relatives still meet
    assert "=employer" in employer and "=employer" not in employment  # the form tells apart
    # Every word has its form, changed by stemming or not; Welsh is never stemmed.
    assert analyse_for_index("en", "pay rent")[-2:] == ["=pay", "=rent"]
    assert not [t for t in analyse_for_index("cy", "talu rhent") if "=" in t]


def test_acronyms_are_read_from_the_texts_that_define_them() -> None:
    acronyms = defined_acronyms([
        "You may get Employment and Support Allowance (ESA) if you are ill.",
        "Contact the Department for Education (DfE) or your college.",
        "Higher National Diplomas (HNDs) count. Apply for a Blue Badge (BB) online.",
        "This is not one (ABC), and neither is (Tax) nor the word before(XYZ).",
        "Employment and Support Allowance (ESA) again, and Extra Support Award (ESA) once.",
    ])
    assert acronyms == {
        "BB": "Blue Badge",
        "DfE": "Department for Education",
        "ESA": "Employment and Support Allowance",
        "HNDs": "Higher National Diplomas",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Can I get ESA?", "Can I get ESA (Employment and Support Allowance)?"),
        ("Ask the DfE.", "Ask the DfE (Department for Education)."),
        ("can I get esa?", "can I get esa?"),  # only as the guidance writes it
        ("I GET ESA AND NEED HELP", "I GET ESA AND NEED HELP"),  # shouting, not acronyms
        ("What is SSP?", "What is SSP?"),  # not defined
    ],
)
def test_defined_acronyms_are_spelled_out_where_they_stand(text: str, expected: str) -> None:
    acronyms = {"ESA": "Employment and Support Allowance", "DfE": "Department for Education"}
    assert expand_acronyms(text, acronyms) == expected


@pytest.mark.parametrize(
    ("locale", "language"),
    [("en", "en"), ("en-GB", "en"), ("cy", "cy"), ("CY", "cy"), ("fr", "en")],
)
def test_language_of(locale: str, language: str) -> None:
    assert language_of(locale) == language


def test_words_handle_typographic_apostrophes_and_accents() -> None:
    assert words("Dyma’r ffïoedd — O’Brien’s") == ["dymar", "ffïoedd", "obrien"]
