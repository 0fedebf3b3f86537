"""Undo the disguises attackers use before any detector looks at a message.

A filter that reads only the raw text is beaten by "ｉｇｎｏｒｅ" (full width), "ign\u200bore"
(a zero-width space), "іgnore" (a Cyrillic і), or the whole instruction in base64, hex or
rot13. Every layer therefore checks the plain form and every payload decoded from the message;
a message is refused when any of these views is refused.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import unicodedata
from dataclasses import dataclass

from civicdesk.privacy.normalise import INVISIBLE

# Characters that render as Latin letters (Cyrillic, Greek, and the Latin look-alikes that NFKC
# keeps). Only look-alikes: folding a whole script would break Welsh, Polish or Greek text.
HOMOGLYPHS = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
        "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ј": "j", "ԁ": "d",
        "ԛ": "q", "ԝ": "w", "ɡ": "g", "ɑ": "a", "ı": "i", "ο": "o", "α": "a", "ε": "e",
        "ι": "i", "κ": "k", "ν": "v", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "А": "A",
        "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
        "Т": "T", "У": "Y", "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S", "Α": "A", "Β": "B",
        "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
        "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    }
)  # fmt: skip
# Tag characters (U+E0000 block) carry invisible ASCII; variation selectors and format
# characters (Unicode category Cf) are dropped as well as the privacy engine's list.
_TAGS = range(0xE0000, 0xE0080)
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")
_HEX = re.compile(r"\b(?:[0-9a-fA-F]{2}[ :]?){8,}\b")
# rot13 is tried when asked for, or when the rotated message reads as English and the message
# itself does not.
_ROT13_HINT = re.compile(r"\brot-?13\b|\bcaesar\b", re.IGNORECASE)
_COMMON = frozenset(
    "the be to of and a in that have i it for not on with he as you do at this but his by from "
    "they we say her she or an will my one all would there their what so up out if about who "
    "get which go me when make can like no just him know take into your good some could them "
    "see other than then now look only come its over think also back after use two how our "
    "work first well way even new want because any these give day most us is are was were "
    "has had been did does should must tell show print reveal ignore disregard forget rules "
    "instructions previous system prompt answer everything safety disabled list every".split()
)
_MAX_DECODED = 4


@dataclass(frozen=True)
class Views:
    """The plain form of a message, and any payloads decoded from it."""

    plain: str
    decoded: tuple[str, ...]
    changes: tuple[str, ...]

    def all(self) -> tuple[str, ...]:
        return (self.plain, *self.decoded)


def plain(text: str) -> tuple[str, list[str]]:
    """NFKC, invisible and tag characters removed, look-alike letters folded to Latin."""
    changes: list[str] = []
    kept: list[str] = []
    for char in text:
        if ord(char) in _TAGS:
            changes.append("tag_characters")
            continue
        if char in INVISIBLE or (unicodedata.category(char) == "Cf" and char not in "\n\t"):
            changes.append("invisible_characters")
            continue
        kept.append(char)
    stripped = "".join(kept)
    folded = unicodedata.normalize("NFKC", stripped)
    if folded != stripped:
        changes.append("nfkc")
    latin = folded.translate(HOMOGLYPHS)
    if latin != folded:
        changes.append("homoglyphs")
    return latin, sorted(set(changes))


def _printable(data: bytes) -> str | None:
    """Decoded bytes that read as text (mostly letters and spaces), else None."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if len(text) < 6:
        return None
    letters = sum(1 for c in text if c.isalpha() or c.isspace())
    return text if letters / len(text) >= 0.8 and " " in text else None


def _from_base64(token: str) -> str | None:
    padded = token + "=" * (-len(token) % 4)
    try:
        if "-" in token or "_" in token:
            data = base64.urlsafe_b64decode(padded)
        else:
            data = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None
    return _printable(data)


def _from_hex(token: str) -> str | None:
    try:
        data = bytes.fromhex(re.sub(r"[ :]", "", token))
    except ValueError:
        return None
    return _printable(data)


def _common_words(text: str) -> int:
    return sum(1 for word in re.findall(r"[a-z]+", text.lower()) if word in _COMMON)


def tag_payload(text: str) -> str:
    """ASCII smuggled in Unicode tag characters, which render as nothing."""
    return "".join(chr(ord(c) - 0xE0000) for c in text if ord(c) in _TAGS).strip()


def decoded_payloads(text: str) -> list[str]:
    """Text hidden in base64, hex or rot13 inside ``text`` (at most a few, to bound cost)."""
    found: list[str] = []
    for match in _BASE64.finditer(text):
        token = match.group(0)
        if token.isalpha() and (token.islower() or token.isupper()):
            continue  # a long ordinary word, not an encoding
        payload = _from_base64(token)
        if payload:
            found.append(payload)
    for match in _HEX.finditer(text):
        payload = _from_hex(match.group(0))
        if payload:
            found.append(payload)
    rotated = codecs.decode(text, "rot13")
    plain_words, rotated_words = _common_words(text), _common_words(rotated)
    if _ROT13_HINT.search(text) or (rotated_words >= 2 and rotated_words > 2 * plain_words + 1):
        found.append(rotated)
    return found[:_MAX_DECODED]


def views(text: str) -> Views:
    """Every form of ``text`` the detectors check."""
    cleaned, changes = plain(text)
    hidden = [tag_payload(text)] if "tag_characters" in changes else []
    decoded = [plain(p)[0] for p in [*hidden, *decoded_payloads(cleaned)] if p]
    if decoded:
        changes.append("decoded_payload")
    return Views(cleaned, tuple(decoded), tuple(changes))
