"""Cross-site request forgery protection for staff forms.

Signed-in forms carry one-time tokens bound to the session. A token is ``nonce.mac``, where
the MAC (HMAC-SHA256 with the secret key) covers the nonce and the hash of the session's
cookie token, so a token from another session, or made up, is refused without any lookup.
Issuing needs no database write, so a page with many forms costs nothing; *using* a token
inserts the nonce's hash into ``staff_form_tokens``, whose unique index makes a second use
fail even when the same form is sent twice at once. Used tokens are deleted with their
session.

The sign-in form comes before any session, so it uses a signed double-submit cookie: a
random value in an HttpOnly cookie, and its MAC in the form. A page on another site can
neither read the cookie nor compute the MAC.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from civicdesk.casework.staff_user import Clock
from civicdesk.settings import Settings
from civicdesk.store.base import utcnow
from civicdesk.store.engine import session_scope
from civicdesk.store.staff import StaffFormTokenRow

MAX_TOKEN_CHARS = 200


def _mac(key: bytes, *parts: str) -> str:
    digest = hmac.new(key, "|".join(parts).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class FormTokens:
    """Issue and use one-time form tokens for signed-in staff."""

    def __init__(
        self, settings: Settings, sessions: sessionmaker[Session], clock: Clock = utcnow
    ) -> None:
        self._key = settings.secret_key.get_secret_value().encode()
        self.sessions = sessions
        self.clock = clock

    def issue(self, session_digest: str) -> str:
        """A fresh token for the session whose cookie token hashes to ``session_digest``."""
        nonce = secrets.token_urlsafe(18)
        return f"{nonce}.{_mac(self._key, 'form', session_digest, nonce)}"

    def use(self, token: str | None, *, session_id: int, session_digest: str) -> bool:
        """True the first time a genuine token of this session is used, else False."""
        if not token or len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
            return False
        nonce, mac = token.split(".")
        expected = _mac(self._key, "form", session_digest, nonce)
        if not nonce or not hmac.compare_digest(mac.encode(), expected.encode()):
            return False
        try:
            with session_scope(self.sessions) as session:
                session.add(
                    StaffFormTokenRow(
                        token_hash=hashlib.sha256(nonce.encode()).hexdigest(),
                        session_id=session_id,
                        used_at=self.clock(),
                    )
                )
        except IntegrityError:  # used already, or the session ended meanwhile
            return False
        return True


class SignInTokens:
    """The signed double-submit token of the sign-in form."""

    def __init__(self, settings: Settings) -> None:
        self._key = settings.secret_key.get_secret_value().encode()

    @staticmethod
    def new_cookie_value() -> str:
        return secrets.token_urlsafe(24)

    def form_value(self, cookie_value: str) -> str:
        return _mac(self._key, "sign-in", cookie_value)

    def check(self, cookie_value: str | None, form_value: str | None) -> bool:
        if not cookie_value or not form_value or len(form_value) > MAX_TOKEN_CHARS:
            return False
        return hmac.compare_digest(form_value.encode(), self.form_value(cookie_value).encode())
