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


@dataclass(frozen=True)
class Attempt:
    """What counting one sign-in attempt did: refused it, or took a try (and maybe locked)."""

    refused: Lockout | None
    locked: list[Lockout]


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

    def take(self, session: Session, keys: dict[Scope, str], now: datetime) -> Attempt:
        """Count this attempt as a failure before its password is checked, or refuse it.

        Counting first is what makes the limit hold against guesses sent in parallel: every
        attempt locks its counter rows (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's
        ``BEGIN IMMEDIATE`` runs one writer at a time) and either finds them locked or takes
        one of the remaining tries, so at most the limit's worth of passwords are ever checked.
        The attempt that reaches the limit locks at once and is still checked; a success gives
        its try back (see ``give_back``). Rows are locked account first, then client, in every
        transaction, so two attempts cannot deadlock.
        """
        rows: dict[Scope, SignInAttemptRow] = {}
        for scope, key in keys.items():
            self._ensure_row(session, scope, key, now)
            row = self._row(session, scope, key, for_update=True)
            assert row is not None  # inserted just above, in this transaction
            rows[scope] = row
        for scope, row in rows.items():
            if row.locked_until is not None and as_utc(row.locked_until) > now:
                return Attempt(refused=Lockout(scope, as_utc(row.locked_until)), locked=[])
        locked: list[Lockout] = []
        for scope, row in rows.items():
            if as_utc(row.window_started_at) <= now - self.window:
                row.failures, row.window_started_at, row.locked_until = 0, now, None
            row.failures += 1
            if row.failures >= self.limits[scope]:
                # The count stays at the limit while locked, so a success can give its try
                # back; the window restarts with the lock, so both end together.
                row.window_started_at = now
                row.locked_until = now + self.window
                locked.append(Lockout(scope, row.locked_until))
        session.flush()
        return Attempt(refused=None, locked=locked)

    def give_back(self, session: Session, keys: dict[Scope, str], attempt: Attempt) -> None:
        """A successful sign-in: forget the account's failures and return the client's try.

        The account's count is cleared (its owner is back); the address's count only loses
        the try this attempt took, and the lock this attempt set if it set one, so one good
        account cannot reset an address's count between guesses at others.
        """
        self.clear_account(session, keys)
        row = self._row(session, Scope.CLIENT, keys[Scope.CLIENT], for_update=True)
        if row is None:
            return
        row.failures = max(row.failures - 1, 0)
        if any(lock.scope == Scope.CLIENT for lock in attempt.locked):
            row.locked_until = None
        if row.failures == 0 and row.locked_until is None:
            session.delete(row)  # nothing left to count: keep no row for this address
        session.flush()

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
        # Rows another sign-in is counting are skipped rather than waited for, so pruning
        # never holds one counter while waiting for another (PostgreSQL; SQLite has one writer).
        expired = (
            select(SignInAttemptRow.id)
            .where(
                and_(
                    SignInAttemptRow.window_started_at < now - self.window,
                    or_(
                        SignInAttemptRow.locked_until.is_(None),
                        SignInAttemptRow.locked_until < now,
                    ),
                )
            )
            .with_for_update(skip_locked=True)
        )
        session.execute(
            delete(SignInAttemptRow)
            .where(SignInAttemptRow.id.in_(expired))
            .execution_options(synchronize_session=False)
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
