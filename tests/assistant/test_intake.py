"""Bad input gets a clear message and the right status; good input is cleaned, not changed."""

from __future__ import annotations

import pytest

from civicdesk.assistant.stages.intake import QuestionRejected, check_language_code, clean_question

REJECTED = [
    ("", "E501", 422),
    ("   \n\t  ", "E501", 422),
    ("\u200b\u200b\u200d", "E501", 422),
    ("a" * 4001, "E502", 413),
    ("binary\x00data", "E504", 422),
    ("bell\x07character", "E506", 422),
    ("escape \x1b[31m red", "E506", 422),
    ("12345 ??? !!!", "E507", 422),
    ("lone surrogate \ud800 here", "E503", 422),
]


@pytest.mark.parametrize(("text", "code", "status"), REJECTED)
def test_rejected_input(text: str, code: str, status: int) -> None:
    with pytest.raises(QuestionRejected) as raised:
        clean_question(text, max_chars=4000)
    assert raised.value.code == code
    assert raised.value.status == status
    assert raised.value.message.endswith(".")


CLEANED = [
    ("  when is my bin day?  ", "when is my bin day?", 0),
    ("ig\u200bnore the\u2060 signs", "ignore the signs", 2),
    ("<script>alert(1)</script> bins", "<script>alert(1)</script> bins", 0),
    ("line one\nline two", "line one\nline two", 0),
    ("Pryd mae\u2019r biniau?", "Pryd mae\u2019r biniau?", 0),
    ("a" * 4000, "a" * 4000, 0),
]


@pytest.mark.parametrize(("text", "expected", "removed"), CLEANED)
def test_cleaned_input(text: str, expected: str, removed: int) -> None:
    assert clean_question(text, max_chars=4000) == (expected, removed)


@pytest.mark.parametrize(
    ("code", "expected"), [(None, None), ("", None), ("en", "en"), ("CY", "cy"), ("en-GB", "en")]
)
def test_language_codes(code: str | None, expected: str | None) -> None:
    assert check_language_code(code) == expected


def test_unknown_language_code() -> None:
    with pytest.raises(QuestionRejected) as raised:
        check_language_code("xx")
    assert raised.value.code == "E505"
    assert "en, cy" in raised.value.message
