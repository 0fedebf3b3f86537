"""The staff password policy, following the NCSC's advice.

Long rather than complex: at least 12 characters, no composition rules, no forced expiry.
Instead we refuse what attackers try first: the commonly used passwords and their obvious
dressings (capitals, digits and symbols tacked on the ends, letters swapped for look-alike
digits), keyboard runs and repeats, and passwords built from the person's own email address.
The deny-list is data (``data/common_passwords.txt``) so it can be extended without code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from civicdesk.errors import CivicdeskError

MIN_LENGTH = 12
MAX_LENGTH = 256  # long passphrases are welcome; this only stops absurd input
MIN_DISTINCT_CHARACTERS = 5

LOOK_ALIKES = str.maketrans(
    {
        "@": "a",
        "4": "a",
        "8": "b",
        "3": "e",
        "1": "i",
        "!": "i",
        "0": "o",
        "$": "s",
        "5": "s",
        "7": "t",
        "+": "t",
        "9": "g",
    }
)
ONE_AS_L = str.maketrans({"1": "l", "|": "l"})  # "he11o": 1 stands for l as often as for i
KEYBOARD_RUNS = (
    "12345678901234567890",
    "09876543210987654321",
    "abcdefghijklmnopqrstuvwxyz",
    "zyxwvutsrqponmlkjihgfedcba",
    "qwertyuiopasdfghjklzxcvbnm",
    "mnbvcxzlkjhgfdsapoiuytrewq",
    "qwertzuiop",
    "azertyuiop",
    "qazwsxedcrfvtgbyhnujmikolp",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
    "zaq1xsw2cde3vfr4bgt5nhy6mju7ki8lo9p0",
    "1q2w3e4r5t6y7u8i9o0p",
    "q1w2e3r4t5y6u7i8o9p0",
    "a1b2c3d4e5f6g7h8i9j0",
)
EDGE_JUNK = re.compile(r"^[\W\d_]+|[\W\d_]+$")
NOT_ALPHANUMERIC = re.compile(r"[\W_]+")


class PasswordRejected(CivicdeskError):
    """A new password does not meet the policy; the message says why and what to do."""

    code = "E901"


@dataclass(frozen=True)
class PasswordPolicy:
    """Checks a proposed password; ``check`` raises PasswordRejected with the reason."""

    min_length: int = MIN_LENGTH
    max_length: int = MAX_LENGTH

    def check(self, password: str, *, email: str = "", name: str = "") -> None:
        problem = self.problem(password, email=email, name=name)
        if problem:
            raise PasswordRejected(
                problem,
                hint="Use three or more random words, for example a phrase only you would "
                "think of.",
            )

    def problem(self, password: str, *, email: str = "", name: str = "") -> str | None:
        """Why ``password`` is refused, or None when it is acceptable."""
        if len(password) < self.min_length:
            return f"the password is shorter than {self.min_length} characters."
        if len(password) > self.max_length:
            return f"the password is longer than {self.max_length} characters."
        if password != password.strip():
            return "the password starts or ends with a space, which is easy to mistype."
        if len(set(password.lower())) < MIN_DISTINCT_CHARACTERS:
            return "the password repeats too few different characters."
        if is_common(password):
            return "the password is one that many people use, so attackers try it first."
        if is_keyboard_run(password):
            return "the password is a run of keys or letters, which attackers try first."
        personal = personal_fragment(password, email=email, name=name)
        if personal:
            return f"the password contains your {personal}, which others can guess."
        return None


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The deny-list, lower case, from the packaged data file."""
    text = (
        resources.files("civicdesk.casework")
        .joinpath("data", "common_passwords.txt")
        .read_text(encoding="utf-8")
    )
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and line[0] != "#"
    )


def candidate_forms(password: str) -> set[str]:
    """The forms of ``password`` to look up: as typed, without spaces or symbols, without
    digits and symbols on the ends, with look-alike digits read as letters, and the unit of
    each form that repeats one ("passwordpassword" -> "password")."""
    lowered = password.lower()
    squeezed = NOT_ALPHANUMERIC.sub("", lowered)
    core = EDGE_JUNK.sub("", lowered)
    forms = {lowered, squeezed, core, NOT_ALPHANUMERIC.sub("", core)}
    forms |= {form.translate(ONE_AS_L).translate(LOOK_ALIKES) for form in list(forms)}
    forms |= {form.translate(LOOK_ALIKES) for form in list(forms)}
    forms |= {NOT_ALPHANUMERIC.sub("", form) for form in list(forms)}
    forms |= {unit for form in list(forms) if (unit := repeated_unit(form))}
    forms.discard("")
    return forms


def repeated_unit(text: str) -> str | None:
    """The shortest unit ``text`` repeats ("passwordpassword" -> "password"), if any."""
    for size in range(1, len(text) // 2 + 1):
        if len(text) % size == 0 and text[:size] * (len(text) // size) == text:
            return text[:size]
    return None


def is_common(password: str) -> bool:
    """On the deny-list in any of its forms ("P@ssw0rd2024!", "passwordpassword")."""
    return not candidate_forms(password).isdisjoint(common_passwords())


def is_keyboard_run(password: str) -> bool:
    """A password that is a piece of a keyboard row, the alphabet or the digits."""
    squeezed = NOT_ALPHANUMERIC.sub("", password.lower())
    if len(squeezed) < 6:
        return False
    return any(squeezed in run for run in KEYBOARD_RUNS) or any(
        unit in run for run in KEYBOARD_RUNS if (unit := repeated_unit(squeezed))
    )


def personal_fragment(password: str, *, email: str, name: str) -> str | None:
    """Which personal detail ``password`` contains ("email address", "name"), if any."""
    squeezed = NOT_ALPHANUMERIC.sub("", password.lower()).translate(LOOK_ALIKES)
    local = email.partition("@")[0].lower()
    pieces = [NOT_ALPHANUMERIC.sub("", local)]
    pieces += [part for part in NOT_ALPHANUMERIC.split(local) if len(part) >= 4]
    if any(len(piece) >= 3 and piece.translate(LOOK_ALIKES) in squeezed for piece in pieces):
        return "email address"
    name_parts = [part for part in NOT_ALPHANUMERIC.split(name.lower()) if len(part) >= 4]
    if any(part.translate(LOOK_ALIKES) in squeezed for part in name_parts):
        return "name"
    return None
