"""The secret that lets a citizen open their case page: a keyed hash of the reference.

Nothing is stored: the token is recomputed from ``secret_key`` and checked in constant time,
so a leaked database does not leak tokens, and rotating ``secret_key`` revokes every link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from civicdesk.settings import Settings

TOKEN_CHARS = 22  # 132 bits of the HMAC, URL-safe: unguessable, short enough to copy


def citizen_token(settings: Settings, reference: str) -> str:
    """HMAC-SHA256 of the reference under a key derived from ``secret_key``, short and URL-safe."""
    key = hashlib.sha256(
        b"civicdesk-citizen-token\x00" + settings.secret_key.get_secret_value().encode()
    ).digest()
    digest = hmac.new(key, reference.strip().upper().encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:TOKEN_CHARS]


def token_matches(settings: Settings, reference: str, token: str) -> bool:
    """Whether ``token`` opens ``reference`` (compared in constant time)."""
    expected = citizen_token(settings, reference).encode()
    return hmac.compare_digest(expected, token.strip().encode("utf-8", "replace"))
