"""Nonsense detection: one row per message, with the signal expected ("" for a real question)."""

from __future__ import annotations

import pytest

from civicdesk.assistant.guardrails.nonsense import (
    SIGNALS,
    assess,
    fold,
    judge_word,
    letter_model,
)


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("asdfghjkl qwerty", "keyboard"),
        ("asdf", "keyboard"),
        ("poiuytrewq", "keyboard"),
        ("zxcvbnm", "keyboard"),
        ("sdkjfhskdjfh", "gibberish"),
        ("xzqvbnt", "gibberish"),
        ("dkfjgh sldkfj", "gibberish"),
        ("a s d f g h", "gibberish"),
        ("aaaaaaa", "repeated"),
        ("k k k k k", "repeated"),
        ("bin bin bin bin", "repeated"),
        ("hahahahaha", "repeated"),
        ("asdasdasd", "repeated"),
        ("12345", "no_letters"),
        ("???", "no_letters"),
        ("😀😀😀", "no_letters"),
        ("x7#kQ!9z@pL", "random_characters"),
        ("ЖxΩyऄz", "random_characters"),
        ("sdkfjhsdkjfhskdjfhksjdhfkjsdhfsdf", "long_word"),
        ("hello asdfgh", "keyboard"),  # half wrong, and the wrong half is mash
        ("ＡＳＤＦＧＨＪＫＬ ｑｗｅｒｔｙ", "keyboard"),  # full width is read as it looks
    ],
)
def test_nonsense_is_found_with_its_signal(text: str, signal: str) -> None:
    found = assess(text)
    assert found.nonsense and found.signal == signal, found
    assert found.signal in SIGNALS


@pytest.mark.parametrize(
    "text",
    [
        "bins?",
        "council tax",
        "hi",
        "help",
        "HMRC",
        "wen is my bin colected",
        "pleeease help, my bin hasnt been emptied",
        "HOW DO I GET A BLUE BADGE",
        "CF10 1AA",
        "my postcode is CF10 1AA, when is bin day?",
        "My reference is CD-7Q2K-PX4M, any news?",
        "Planning application 24/01234/FUL",
        "www.aberwen.gov.uk/bins does not load",
        "I emailed bins@aberwen.gov.uk twice",
        "my NI number is <UK_NINO> and my name is <PERSON>",
        "<UK_POSTCODE>",
        "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch library hours",
        "Pryd mae'r biniau'n cael eu casglu?",
        "Sut ydw i'n talu'r dreth gyngor?",
        "gwastraff bwyd",
        "Kiedy jest wywóz śmieci?",
        "Când se colectează gunoiul?",
        "¿Cuándo recogen la basura?",
        "متى يتم جمع القمامة؟",
        "کوڑا کب اٹھایا جاتا ہے؟",
        "垃圾什么时候收？",
        "eta申請表中 雇主要寫英文嗎",
        "Когда вывозят мусор?",
        "আসসালামু আলাইকুম",
    ],
)
def test_real_questions_in_any_language_are_not_nonsense(text: str) -> None:
    assert not assess(text).nonsense, assess(text)


@pytest.mark.parametrize(
    ("word", "signal"),
    [
        ("qwerty", "keyboard"),
        ("lololol", "repeated"),
        ("bcdfgh", "gibberish"),  # no vowel
        ("colected", ""),  # a typo reads as a word
        ("ailgylchu", ""),  # Welsh
        ("podatek", ""),  # Polish
        ("cwm", ""),  # w is a vowel in Welsh
    ],
)
def test_one_word_is_judged_on_its_letters(word: str, signal: str) -> None:
    assert judge_word(fold(word), letter_model()) == signal


def test_an_acronym_is_judged_only_for_mash() -> None:
    model = letter_model()
    assert judge_word("hmrc", model, acronym=True) == ""
    assert judge_word("hmrc", model) == "gibberish"
    assert judge_word("asdf", model, acronym=True) == "keyboard"


def test_the_share_of_wrong_words_is_reported() -> None:
    found = assess("sdkjfhskdjfh lkjsdflkj bin")
    assert (found.judged, found.flagged, found.share) == (3, 2, pytest.approx(2 / 3))
    assert assess("????").share == 1.0


def test_fold_removes_accents_and_keeps_letters() -> None:
    assert [fold(w) for w in ("Śmieci", "Łódź", "Straße", "Dŵr")] == [
        "smieci",
        "lodz",
        "strasse",
        "dwr",
    ]
