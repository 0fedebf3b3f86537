"""What to do with a span once found: typed placeholder, mask, keyed pseudonym, encryption.

Operators are applied by :func:`apply_operator` right to left, so the offsets of the spans
(into the original text) stay valid while the text changes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from civicdesk.errors import CivicdeskError
from civicdesk.privacy.spans import DetectedSpan

_NOT_WORD = re.compile(r"[\W_]+")
SEALED = re.compile(r"<([A-Z][A-Z0-9_]*):([A-Za-z0-9_\-]{40,})>")


class Operator(Protocol):
    def __call__(self, value: str, kind: str) -> str: ...


def apply_operator(text: str, spans: Sequence[DetectedSpan], operator: Operator) -> str:
    pieces: list[str] = []
    cursor = len(text)
    for span in sorted(spans, key=lambda s: s.start, reverse=True):
        if span.end > cursor:
            continue
        pieces.append(text[span.end : cursor])
        pieces.append(operator(text[span.start : span.end], span.type))
        cursor = span.start
    pieces.append(text[:cursor])
    return "".join(reversed(pieces))


@dataclass(frozen=True)
class Placeholder:
    """``<UK_NINO>``: the kind of data, nothing of the value."""

    def __call__(self, value: str, kind: str) -> str:
        return f"<{kind}>"


@dataclass(frozen=True)
class Mask:
    """Letters and digits replaced by ``char``; ``keep_last`` of them left visible."""

    char: str = "*"
    keep_last: int = 0

    def __call__(self, value: str, kind: str) -> str:
        positions = [i for i, c in enumerate(value) if c.isalnum()]
        hidden = set(positions[: max(0, len(positions) - self.keep_last)])
        return "".join(self.char if i in hidden else c for i, c in enumerate(value))


def pseudonym_input(value: str, kind: str) -> bytes:
    return f"{kind}\x00{_NOT_WORD.sub('', value.casefold())}".encode()


@dataclass(frozen=True)
class Pseudonym:
    """``<PERSON_1a2b3c4d5e>``: HMAC-SHA256 of type and value under a per-deployment key.

    The same value of the same type always gives the same pseudonym, however it was spaced or
    capitalised, so messages can be linked without keeping the value.
    """

    key: bytes
    length: int = 12

    def __call__(self, value: str, kind: str) -> str:
        digest = hmac.new(self.key, pseudonym_input(value, kind), hashlib.sha256).hexdigest()
        return f"<{kind}_{digest[: self.length]}>"


class SealedValueError(CivicdeskError):
    """A sealed value cannot be opened with this deployment's key."""

    code = "E821"


@dataclass(frozen=True)
class Seal:
    """``<UK_NINO:token>``: the original encrypted with AES-GCM (type bound as associated
    data); only :func:`civicdesk.privacy.reveal.reveal` opens it, for permitted roles."""

    key: bytes

    def __call__(self, value: str, kind: str) -> str:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = os.urandom(12)
        sealed = AESGCM(self.key).encrypt(nonce, value.encode(), kind.encode())
        token = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"<{kind}:{token}>"

    def open(self, token: str, kind: str) -> str:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            return AESGCM(self.key).decrypt(raw[:12], raw[12:], kind.encode()).decode()
        except (InvalidTag, ValueError) as exc:
            raise SealedValueError(
                "this sealed value was not made with this deployment's encryption key "
                "or has been altered.",
                hint="Check encryption_key is the key in force when the value was sealed.",
            ) from exc
