"""The staff password policy: long, not common, not a keyboard run, not the person's own email."""

from __future__ import annotations

import pytest

from civicdesk.casework.passwords import (
    PasswordPolicy,
    PasswordRejected,
    candidate_forms,
    common_passwords,
    repeated_unit,
)

EMAIL = "jane.smith@council.gov.uk"
NAME = "Jane Smith"

# (password, the start of the reason it is refused)
REFUSED = [
    ("short pass", "the password is shorter than 12"),
    ("x" * 257, "the password is longer than 256"),
    (" leading space 42x", "the password starts or ends with a space"),
    ("aaaaaaaaaaaa", "the password repeats too few"),
    ("abababababab", "the password repeats too few"),
    ("password1234", "the password is one that many people use"),
    ("Password2024!", "the password is one that many people use"),
    ("P@ssw0rd2024!", "the password is one that many people use"),
    ("passwordpassword", "the password is one that many people use"),
    ("He11oWorld!!!", "the password is one that many people use"),
    ("Welcome to 2024", "the password is one that many people use"),
    ("!!Liverpool1892", "the password is one that many people use"),
    ("iloveyou12345", "the password is one that many people use"),
    ("abcdabcdabcd", "the password repeats too few"),
    ("Summer!Summer!", "the password is one that many people use"),
    ("qwertyuiop12", "the password is one that many people use"),
    ("1q2w3e4r5t6y", "the password is a run of keys"),
    ("123456789012", "the password is a run of keys"),
    ("abcdefghijklm", "the password is a run of keys"),
    ("qazwsxedcrfvt", "the password is a run of keys"),
    ("jane.smith2024!", "the password contains your email address"),
    ("JaneSmith-rocks", "the password contains your email address"),
    ("my smith garden 7", "the password contains your email address"),
    ("J4ne walks the dog", "the password contains your email address"),
]

ACCEPTED = [
    "correct horse battery staple",
    "CorrectHorse9Battery",
    "xk7#Lm2$pQ9v",
    "summer is coming soon",  # a common word inside a longer phrase is fine
    "harbour lantern copper fig",
    "Jan likes long walks",  # three letters of the name are not the name
]


@pytest.mark.parametrize(("password", "reason"), REFUSED)
def test_weak_passwords_are_refused_with_a_reason(password: str, reason: str) -> None:
    problem = PasswordPolicy().problem(password, email=EMAIL, name=NAME)
    assert problem is not None and problem.startswith(reason), problem


@pytest.mark.parametrize("password", ACCEPTED)
def test_good_passwords_are_accepted(password: str) -> None:
    assert PasswordPolicy().problem(password, email=EMAIL, name=NAME) is None


def test_the_name_counts_as_well_as_the_email() -> None:
    problem = PasswordPolicy().problem(
        "gwendolyn rides far", email="g.h@council.gov.uk", name="Gwendolyn Hughes"
    )
    assert problem == "the password contains your name, which others can guess."


def test_check_raises_a_coded_error_with_advice() -> None:
    with pytest.raises(PasswordRejected) as caught:
        PasswordPolicy().check("password1234")
    assert caught.value.code == "E901"
    assert "three or more random words" in caught.value.hint


def test_the_deny_list_is_packaged_and_large() -> None:
    words = common_passwords()
    assert len(words) >= 500
    assert {"password", "qwerty", "letmein", "iloveyou", "welcome"} <= words
    assert all(word == word.lower() and not word.startswith("#") for word in words)


def test_forms_looked_up_undo_common_dressings() -> None:
    forms = candidate_forms("P@$$w0rd!!2024")
    assert "password" in forms
    assert repeated_unit("passwordpassword") == "password"
    assert repeated_unit("password") is None


def test_the_minimum_length_follows_the_policy() -> None:
    assert PasswordPolicy(min_length=16).problem("harbour lantern", email="", name="") == (
        "the password is shorter than 16 characters."
    )
