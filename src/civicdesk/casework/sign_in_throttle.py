"""Count failed sign-ins per account and per client address, and lock either out for a while.

Counting by email whether or not an account exists is deliberate: if only real accounts could
be locked, the lockout message would tell an attacker which addresses have accounts. Keys are
stored as a keyed hash (HMAC with the secret key), never as the email or address itself.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from civicdesk.settings import Settings
from civicdesk.store.staff import SignInAttemptRow, as_utc


class Scope(StrEnum):
    ACCOUNT = "account"
    CLIENT = "client"


@dataclass(frozen=True)
class Lockout:
    """A scope that has just been locked by a failure, or is still locked."""

    scope: Scope
    until: datetime


class SignInThrottle:
    """Failure counters in ``sign_in_attempts``, used inside the caller's transaction."""

    def __init__(self, settings: Settings) -> None:
        self._key = settings.secret_key.get_secret_value().encode()
        self.window = timedelta(minutes=settings.sign_in_lockout_minutes)
        self.limits = {
            Scope.ACCOUNT: settings.sign_in_max_failures,
            Scope.CLIENT: settings.sign_in_client_max_failures,
        }

    def keys(self, email: str, client: str) -> dict[Scope, str]:
        """The stored keys for an (already normalised) email and a client address."""
        return {
            Scope.ACCOUNT: self._digest(Scope.ACCOUNT, email),
            Scope.CLIENT: self._digest(Scope.CLIENT, client),
        }

    def _digest(self, scope: Scope, value: str) -> str:
        message = f"sign-in|{scope.value}|{value}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def locked(self, session: Session, keys: dict[Scope, str], now: datetime) -> Lockout | None:
        """The first scope still locked at ``now``, if any."""
        for scope, key in keys.items():
            row = self._row(session, scope, key)
            if row is not None and row.locked_until is not None and as_utc(row.locked_until) > now:
                return Lockout(scope, as_utc(row.locked_until))
        return None

    def fail(self, session: Session, keys: dict[Scope, str], now: datetime) -> list[Lockout]:
        """Count one failure against each key; return the scopes this failure locked."""
        locked: list[Lockout] = []
        for scope, key in keys.items():
            self._ensure_row(session, scope, key, now)
            row = self._row(session, scope, key, for_update=True)
            assert row is not None  # inserted just above, in this transaction
            if as_utc(row.window_started_at) <= now - self.window:
                row.failures, row.window_started_at, row.locked_until = 0, now, None
            row.failures += 1
            if row.failures >= self.limits[scope]:
                row.failures, row.window_started_at = 0, now
                row.locked_until = now + self.window
                locked.append(Lockout(scope, row.locked_until))
        session.flush()
        return locked

    def clear_account(self, session: Session, keys: dict[Scope, str]) -> None:
        """A successful sign-in forgets the account's failures (not the address's: one good
        account must not let a client reset its count between guesses at others)."""
        session.execute(
            delete(SignInAttemptRow).where(
                SignInAttemptRow.scope == Scope.ACCOUNT.value,
                SignInAttemptRow.key_hash == keys[Scope.ACCOUNT],
            )
        )

    def prune(self, session: Session, now: datetime) -> None:
        """Forget counters whose window and lock have both passed."""
        session.execute(
            delete(SignInAttemptRow).where(
                and_(
                    SignInAttemptRow.window_started_at < now - self.window,
                    or_(
                        SignInAttemptRow.locked_until.is_(None),
                        SignInAttemptRow.locked_until < now,
                    ),
                )
            )
        )

    @staticmethod
    def _row(
        session: Session, scope: Scope, key: str, *, for_update: bool = False
    ) -> SignInAttemptRow | None:
        query = select(SignInAttemptRow).where(
            SignInAttemptRow.scope == scope.value, SignInAttemptRow.key_hash == key
        )
        if for_update:
            query = query.with_for_update().execution_options(populate_existing=True)
        return session.execute(query).scalar_one_or_none()

    @staticmethod
    def _ensure_row(session: Session, scope: Scope, key: str, now: datetime) -> None:
        """Insert the counter if missing; two first failures at once both end up counting."""
        values = {
            "scope": scope.value,
            "key_hash": key,
            "failures": 0,
            "window_started_at": now,
            "locked_until": None,
        }
        dialect = session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        session.execute(
            insert(SignInAttemptRow)
            .values(values)
            .on_conflict_do_nothing(index_elements=["scope", "key_hash"])
        )
