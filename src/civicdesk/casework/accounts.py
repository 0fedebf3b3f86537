"""Staff accounts: adding people, signing them in, and their sessions.

Passwords are stored as argon2id hashes and rehashed at sign-in when the parameters change.
Signing in with an unknown email still verifies a password against a dummy hash, so the time
taken does not reveal which emails have accounts; the refusal message is the same too.
Failures are counted per email and per client address (see sign_in_throttle).

A session is an opaque random token handed to the browser; only its SHA-256 is stored. It
ends after ``staff_session_minutes`` without a request or ``staff_session_absolute_hours``
after sign-in, and at once when its user is disabled. Roles are read afresh on every request,
so a role change applies immediately.

Audit events name people by user id, never by email: the trail is kept for years and an email
address is personal data. Passwords never leave this module except as hashes.
"""

from __future__ import annotations

import re
import secrets
from functools import cached_property
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from civicdesk.casework.passwords import PasswordPolicy
from civicdesk.casework.permissions import Role
from civicdesk.casework.sign_in_throttle import Attempt, Scope, SignInThrottle
from civicdesk.casework.staff_sessions import SessionStore, StaffSession, end_sessions_of
from civicdesk.casework.staff_user import Clock, StaffUser, user_from_row
from civicdesk.errors import CivicdeskError
from civicdesk.settings import Settings
from civicdesk.store.audit import record_event
from civicdesk.store.base import utcnow
from civicdesk.store.engine import session_scope
from civicdesk.store.staff import StaffUserRow

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_EMAIL = 320
MAX_NAME = 200

__all__ = [
    "AccountError",
    "Accounts",
    "SignInRefused",
    "StaffSession",
    "StaffUser",
    "check_email",
    "check_name",
    "normalise_email",
]


class AccountError(CivicdeskError):
    """A staff account cannot be added or changed as asked."""

    code = "E900"


class SignInRefused(CivicdeskError):
    """Sign-in refused. ``reason`` is for the audit trail and tests; the message never says
    whether the email has an account, or whether it is disabled."""

    code = "E902"

    def __init__(self, message: str, *, reason: str, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.reason = reason


WRONG_DETAILS = "The email address or password is not right."
WRONG_DETAILS_HINT = "Check them and try again."


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_email(email: str) -> str:
    """The normalised email, or AccountError saying what is wrong with it."""
    normalised = normalise_email(email)
    if len(normalised) > MAX_EMAIL or not EMAIL.match(normalised):
        raise AccountError(
            "that is not an email address.",
            hint="Enter it like name@example.gov.uk.",
            code="E903",
        )
    return normalised


def check_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_NAME or not cleaned.isprintable():
        raise AccountError(
            f"the name must be 1 to {MAX_NAME} printable characters.",
            hint="Give the name colleagues know the person by.",
            code="E904",
        )
    return cleaned


class Accounts:
    """Everything about staff accounts and sessions, over one database."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        *,
        hasher: PasswordHasher | None = None,
        policy: PasswordPolicy | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.hasher = hasher or PasswordHasher()  # argon2id, RFC 9106 low-memory profile
        self.policy = policy or PasswordPolicy()
        self.throttle = SignInThrottle(settings)
        self.clock = clock
        self.session_store = SessionStore(settings, sessions, clock)

    @cached_property
    def _dummy_hash(self) -> str:
        """Verified against when the email is unknown, so both cases take as long."""
        return self.hasher.hash(secrets.token_urlsafe(16))

    # --- accounts ---------------------------------------------------------------------

    def add_user(
        self, email: str, name: str, role: Role, password: str, *, actor: str = "cli"
    ) -> StaffUser:
        """Add an active account; the password must meet the policy."""
        email = check_email(email)
        name = check_name(name)
        self.policy.check(password, email=email, name=name)
        digest = self.hasher.hash(password)
        try:
            with session_scope(self.sessions) as session:
                row = StaffUserRow(
                    email=email,
                    name=name,
                    role=role.value,
                    password_hash=digest,
                    active=True,
                    created_at=self.clock(),
                )
                session.add(row)
                session.flush()
                _audit(session, actor, "staff.user.added", str(row.id), {"role": role.value})
                return user_from_row(row)
        except IntegrityError:
            raise AccountError(
                "there is already an account with that email address.",
                hint="Use `civicdesk users list` to see accounts.",
                code="E905",
            ) from None

    def get(self, user_id: int) -> StaffUser | None:
        with self.sessions() as session:
            row = session.get(StaffUserRow, user_id)
            return user_from_row(row) if row else None

    def find(self, email: str) -> StaffUser | None:
        with self.sessions() as session:
            row = self._by_email(session, normalise_email(email))
            return user_from_row(row) if row else None

    def account(self, email: str) -> StaffUser:
        """The account for ``email``, or AccountError saying there is none."""
        with self.sessions() as session:
            return user_from_row(self._require(session, email))

    def list_users(self) -> list[StaffUser]:
        with self.sessions() as session:
            rows = session.execute(select(StaffUserRow).order_by(StaffUserRow.email)).scalars()
            return [user_from_row(row) for row in rows]

    def disable(self, email: str, *, actor: str = "cli") -> StaffUser:
        """Disable an account and end its sessions at once."""
        with session_scope(self.sessions) as session:
            row = self._require(session, email)
            if row.active:
                row.active = False
                row.disabled_at = self.clock()
                ended = end_sessions_of(session, row.id)
                _audit(
                    session, actor, "staff.user.disabled", str(row.id), {"sessions_ended": ended}
                )
            return user_from_row(row)

    def enable(self, email: str, *, actor: str = "cli") -> StaffUser:
        """Let a disabled account sign in again."""
        with session_scope(self.sessions) as session:
            row = self._require(session, email)
            if not row.active:
                row.active = True
                row.disabled_at = None
                _audit(session, actor, "staff.user.enabled", str(row.id))
            return user_from_row(row)

    def set_role(self, email: str, role: Role, *, actor: str = "cli") -> StaffUser:
        with session_scope(self.sessions) as session:
            row = self._require(session, email)
            if row.role != role.value:
                _audit(
                    session,
                    actor,
                    "staff.user.role_changed",
                    str(row.id),
                    {"from": row.role, "to": role.value},
                )
                row.role = role.value
            return user_from_row(row)

    def set_password(self, email: str, password: str, *, actor: str = "cli") -> StaffUser:
        """Replace a password (policy checked) and end every session of the account."""
        with self.sessions() as session:
            existing = self._require(session, email)
            user = user_from_row(existing)
        self.policy.check(password, email=user.email, name=user.name)
        digest = self.hasher.hash(password)
        with session_scope(self.sessions) as session:
            row = self._require(session, email)
            row.password_hash = digest
            ended = end_sessions_of(session, row.id)
            _audit(
                session, actor, "staff.user.password_set", str(row.id), {"sessions_ended": ended}
            )
            return user_from_row(row)

    def count_admins(self) -> int:
        with self.sessions() as session:
            return session.execute(
                select(func.count())
                .select_from(StaffUserRow)
                .where(StaffUserRow.role == Role.ADMIN.value, StaffUserRow.active.is_(True))
            ).scalar_one()

    # --- signing in -------------------------------------------------------------------

    def authenticate(self, email: str, password: str, *, client: str) -> StaffUser:
        """The account for ``email`` and ``password``, or SignInRefused.

        The attempt is counted as a failure first, in one transaction that locks the counters
        (see ``SignInThrottle.take``), and the password hash is checked after it commits (it
        takes tens of milliseconds, too long to hold a lock for). Counting after checking
        would let guesses sent in parallel all be checked before any was counted.
        """
        now = self.clock()
        email = normalise_email(email)
        keys = self.throttle.keys(email, client)
        with session_scope(self.sessions) as session:
            row = self._by_email(session, email)
            known = user_from_row(row) if row else None
            stored_hash = row.password_hash if row else None
            attempt = self.throttle.take(session, keys, now)
            if attempt.refused is not None:
                self._failure_event(session, known, "locked")
        if attempt.refused is not None:
            raise self._locked_refusal()
        matches = self._verify(stored_hash or self._dummy_hash, password) and known is not None
        if matches and known is not None and known.active:
            self._succeed(known, password, stored_hash or "", keys, attempt)
            return known
        reason = "disabled" if matches else "credentials"
        with session_scope(self.sessions) as session:
            self.throttle.prune(session, now)
            for lock in attempt.locked:
                _audit(
                    session,
                    known.actor if known else "anonymous",
                    "staff.sign_in.locked",
                    str(known.id) if known else "",
                    {"scope": lock.scope.value, "minutes": self.settings.sign_in_lockout_minutes},
                )
            self._failure_event(session, known, reason)
        raise SignInRefused(WRONG_DETAILS, reason=reason, hint=WRONG_DETAILS_HINT)

    def _verify(self, stored_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _succeed(
        self,
        user: StaffUser,
        password: str,
        stored_hash: str,
        keys: dict[Scope, str],
        attempt: Attempt,
    ) -> None:
        stale = self.hasher.check_needs_rehash(stored_hash)
        rehashed = self.hasher.hash(password) if stale else None
        with session_scope(self.sessions) as session:
            self.throttle.give_back(session, keys, attempt)
            if rehashed is not None:
                row = session.get(StaffUserRow, user.id)
                if row is not None:
                    row.password_hash = rehashed
            _audit(
                session,
                user.actor,
                "staff.sign_in.succeeded",
                str(user.id),
                {"rehashed": rehashed is not None},
            )

    def _locked_refusal(self) -> SignInRefused:
        minutes = self.settings.sign_in_lockout_minutes
        return SignInRefused(
            "There have been too many attempts to sign in.",
            reason="locked",
            hint=f"Wait {minutes} minutes, then try again. Ask an administrator if you have "
            "forgotten your password.",
        )

    @staticmethod
    def _failure_event(session: Session, known: StaffUser | None, reason: str) -> None:
        _audit(
            session,
            known.actor if known else "anonymous",
            "staff.sign_in.failed",
            str(known.id) if known else "",
            {"reason": reason, "known_account": known is not None},
        )

    # --- sessions (see staff_sessions) -------------------------------------------------

    def start_session(self, user: StaffUser) -> str:
        """A new session for ``user``; returns the token for the cookie (only its hash is kept)."""
        return self.session_store.start(user)

    def session_for(self, token: str) -> StaffSession | None:
        """The live session for ``token``; None when unknown, expired, ended or disabled."""
        return self.session_store.find(token)

    def user_for_session(self, token: str) -> StaffUser | None:
        live = self.session_store.find(token)
        return live.user if live else None

    def end_session(self, token: str) -> None:
        """Sign out: end the session for ``token`` (an unknown token does nothing)."""
        self.session_store.end(token)

    def end_all_sessions(self, user_id: int) -> int:
        """Sign out everywhere: end every session of the user; returns how many ended."""
        return self.session_store.end_all(user_id)

    # --- helpers ----------------------------------------------------------------------

    @staticmethod
    def _by_email(session: Session, email: str) -> StaffUserRow | None:
        return session.execute(
            select(StaffUserRow).where(StaffUserRow.email == email)
        ).scalar_one_or_none()

    def _require(self, session: Session, email: str) -> StaffUserRow:
        row = self._by_email(session, normalise_email(email))
        if row is None:
            raise AccountError(
                "there is no account with that email address.",
                hint="Use `civicdesk users list` to see accounts.",
                code="E906",
            )
        return row


def _audit(
    session: Session, actor: str, action: str, user_id: str, payload: dict[str, Any] | None = None
) -> None:
    """An audit event about a staff account, named by its id (never its email)."""
    record_event(
        session,
        actor=actor,
        action=action,
        object_type="staff_user",
        object_id=user_id,
        payload=payload,
    )
