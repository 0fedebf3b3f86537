"""Staff sessions: an opaque random token in the browser, only its SHA-256 in the database.

A session ends after ``staff_session_minutes`` without a request, ``staff_session_absolute_hours``
after sign-in however busy, when its user signs out (here or everywhere), and at once when the
user is disabled, because every lookup joins the account and checks it is active. Roles are
read on every lookup, so a role change applies to the next request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, sessionmaker

from civicdesk.casework.staff_user import Clock, StaffUser, user_from_row
from civicdesk.settings import Settings
from civicdesk.store.audit import record_event
from civicdesk.store.engine import session_scope
from civicdesk.store.staff import StaffSessionRow, StaffUserRow, as_utc

# A busy user's session is written back at most this often, not on every request.
LAST_SEEN_GRANULARITY = timedelta(seconds=30)


@dataclass(frozen=True)
class StaffSession:
    """A live session: its row id (form tokens are bound to it) and its user."""

    id: int
    user: StaffUser
    created_at: datetime


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def end_sessions_of(session: Session, user_id: int) -> int:
    """Delete every session of ``user_id`` inside the caller's transaction; how many ended."""
    result = session.execute(delete(StaffSessionRow).where(StaffSessionRow.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)


class SessionStore:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock
        self.idle = timedelta(minutes=settings.staff_session_minutes)
        self.lifetime = timedelta(hours=settings.staff_session_absolute_hours)

    def start(self, user: StaffUser) -> str:
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with session_scope(self.sessions) as session:
            # Sessions nobody came back for are removed here rather than by a scheduled job.
            session.execute(
                delete(StaffSessionRow).where(
                    or_(
                        StaffSessionRow.last_seen_at < now - self.idle,
                        StaffSessionRow.created_at < now - self.lifetime,
                    )
                )
            )
            session.add(
                StaffSessionRow(
                    token_hash=token_digest(token),
                    user_id=user.id,
                    created_at=now,
                    last_seen_at=now,
                )
            )
        return token

    def find(self, token: str) -> StaffSession | None:
        """The live session for ``token``, touched; an expired one is deleted."""
        if not token:
            return None
        now = self.clock()
        with session_scope(self.sessions) as session:
            found = session.execute(
                select(StaffSessionRow, StaffUserRow)
                .join(StaffUserRow, StaffUserRow.id == StaffSessionRow.user_id)
                .where(StaffSessionRow.token_hash == token_digest(token))
            ).one_or_none()
            if found is None:
                return None
            row, user_row = found
            last_seen = as_utc(row.last_seen_at)
            created = as_utc(row.created_at)
            if not user_row.active or now - last_seen > self.idle or now - created > self.lifetime:
                session.delete(row)
                return None
            if now - last_seen >= LAST_SEEN_GRANULARITY:
                row.last_seen_at = now
            return StaffSession(id=row.id, user=user_from_row(user_row), created_at=created)

    def end(self, token: str) -> None:
        with session_scope(self.sessions) as session:
            row = session.execute(
                select(StaffSessionRow).where(StaffSessionRow.token_hash == token_digest(token))
            ).scalar_one_or_none()
            if row is None:
                return
            session.delete(row)
            record_event(
                session,
                actor=f"staff:{row.user_id}",
                action="staff.signed_out",
                object_type="staff_user",
                object_id=str(row.user_id),
            )

    def end_all(self, user_id: int) -> int:
        with session_scope(self.sessions) as session:
            ended = end_sessions_of(session, user_id)
            record_event(
                session,
                actor=f"staff:{user_id}",
                action="staff.signed_out_everywhere",
                object_type="staff_user",
                object_id=str(user_id),
                payload={"sessions_ended": ended},
            )
            return ended
