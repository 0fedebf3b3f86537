"""Question analysis: spelling, the sentence that asks, Welsh mutations, language detection."""

from __future__ import annotations

import pytest

from civicdesk.assistant.terms import (
    content_terms,
    correct_spelling,
    question_focus,
    without_placeholders,
)
from civicdesk.language.detect import detect_language
from civicdesk.language.welsh import fold_mutation

VOCABULARY = {"recycl", "collect", "bin", "council", "permit"}


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("recyl", "recycl"),  # a letter missing
        ("colect", "collect"),
        ("permti", "permit"),  # two letters swapped
        ("bni", "bni"),  # too short to correct
        ("xrecycl", "xrecycl"),  # must start with the same letter
        ("council", "council"),
    ],
)
def test_spelling(term: str, expected: str) -> None:
    assert correct_spelling(term, VOCABULARY) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("When are bins collected?", "When are bins collected?"),
        (
            "My husband died in the spring. I live alone now. Can I get a discount on council tax?",
            "Can I get a discount on council tax?",
        ),
        ("I moved house. What now?", "I moved house. What now?"),
    ],
)
def test_question_focus(text: str, expected: str) -> None:
    assert question_focus(text) == expected


@pytest.mark.parametrize(
    ("word", "folded"),
    [
        ("bin", "Pin"),
        ("min", "Pin"),
        ("fin", "Pin"),
        ("casglu", "Kasglu"),
        ("gasglu", "Kasglu"),
        ("nghasglu", "Kasglu"),
        ("ailgylchu", "ailgylchu"),
        ("yr", "yr"),
    ],
)
def test_welsh_mutations_fold_to_one_form(word: str, folded: str) -> None:
    assert fold_mutation(word) == folded


def test_placeholders_and_markup_are_not_words() -> None:
    text = "<script>alert(1)</script><b>My</b> NI is <UK_NINO>, bins?"
    assert without_placeholders(text).split() == ["My", "NI", "is", ",", "bins?"]
    assert content_terms("My NI is <UK_NINO>") == ("ni",)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("when is my bin day", "en"),
        ("council tax bands", "en"),
        ("Pryd mae fy miniau yn cael eu casglu?", "cy"),
        ("Faint yw trwydded barcio?", "cy"),
        ("Jak mogę zapłacić podatek lokalny?", "pl"),
        ("Cum pot plăti taxa locală?", "ro"),
        ("كيف أدفع ضريبة المجلس؟", "ar"),
        ("asdkjh qwlekj zxcmn", "und"),
        # Sentences full of short words that are also English or Welsh markers ("a", "o",
        # "i", "am", "do"): the model's confident answer wins over the markers.
        ("Am o întrebare despre taxa locală și aș vrea să știu cât trebuie să plătesc", "ro"),
        ("Quiero saber cómo puedo pagar el impuesto municipal de mi casa a tiempo", "es"),
        ("Chcę wiedzieć, do kiedy muszę zapłacić podatek od domu i czy mogę to zrobić", "pl"),
    ],
)
def test_language_detection(text: str, code: str) -> None:
    assert detect_language(text).code == code
