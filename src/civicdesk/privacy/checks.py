"""Check digits and shape checks that tell a real identifier from a look-alike."""

from __future__ import annotations

import ipaddress
import re

_NOT_DIGIT = re.compile(r"\D")
_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")


def digits(value: str) -> str:
    return _NOT_DIGIT.sub("", value)


def nhs_number_valid(value: str) -> bool:
    """Modulus 11 with weights 10..2; a remainder giving 10 is never issued."""
    number = digits(value)
    if len(number) != 10 or len(set(number)) == 1:
        return False
    total = sum(int(d) * w for d, w in zip(number[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(number[9])


def luhn_valid(value: str) -> bool:
    number = digits(value)
    if not 12 <= len(number) <= 19 or len(set(number)) == 1:
        return False
    total = 0
    for position, char in enumerate(reversed(number)):
        d = int(char)
        if position % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20,
    "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18,
    "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "JO": 30,
    "KW": 30, "KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24,
    "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28,
    "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24, "SI": 19, "SK": 24,
    "SM": 27, "TN": 24, "TR": 26, "UA": 29, "VG": 24, "XK": 20,
}  # fmt: skip


def iban_valid(value: str) -> bool:
    """ISO 13616: known country length and the mod-97 check equals 1."""
    compact = _NOT_ALNUM.sub("", value).upper()
    expected = IBAN_LENGTHS.get(compact[:2])
    if expected is None or len(compact) != expected:
        return False
    rearranged = compact[4:] + compact[:4]
    numeric = "".join(str(int(char, 36)) for char in rearranged)
    return int(numeric) % 97 == 1


def driving_licence_valid(value: str) -> bool:
    """DVLA licence number: the birth month digit pair (women +50) and day must be real."""
    compact = _NOT_ALNUM.sub("", value).upper()
    if len(compact) < 16:
        return False
    month = int(compact[6:8])
    day = int(compact[8:10])
    if month > 50:
        month -= 50
    return 1 <= month <= 12 and 1 <= day <= 31


def ip_address_valid(value: str) -> bool:
    if len(value.strip(":")) < 3:
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


_EXTENSION = re.compile(r"\s?(?:x|ext\.?|extension)\s?\d.*$", re.IGNORECASE)


def without_extension(value: str) -> str:
    return _EXTENSION.sub("", value)


def uk_phone_valid(value: str) -> bool:
    value = without_extension(value)
    number = digits(value)
    if value.lstrip("(").startswith("+") or number.startswith("00"):
        number = number[2:] if number.startswith("00") else number
        if number.startswith("44"):
            rest = number[2:].removeprefix("0")
            return 9 <= len(rest) <= 10
        return 8 <= len(number) <= 15
    if number.startswith("0"):
        return len(number) in (10, 11) and number[1] in "1235789"
    return False


def north_american_phone_valid(value: str) -> bool:
    number = digits(without_extension(value))
    if len(number) == 11 and number.startswith("1"):
        number = number[1:]
    return len(number) == 10


_DATE_SHAPE = re.compile(r"^\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}$")


def phone_valid(value: str) -> bool:
    """UK or international numbers by their prefix; others by length alone (7 to 15 digits,
    extension apart), never a date."""
    core = without_extension(value)
    if _DATE_SHAPE.match(core.strip()):
        return False
    if uk_phone_valid(core) or north_american_phone_valid(core):
        return True
    return 7 <= len(digits(core)) <= 15 and not core.strip().startswith("+44")
