"""What every part of the case desk shares: who acts, finding a case, recording a change.

Every change to a case writes a history row (shown on the case) and an audit event (the
hash-chained trail) in the same transaction. Neither ever holds text or addresses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from civicdesk.casework.errors import CaseNotFound
from civicdesk.casework.permissions import Role
from civicdesk.casework.queues import QueueBook
from civicdesk.casework.reading import detail_of
from civicdesk.casework.sla import WorkingCalendar
from civicdesk.casework.views import CaseDetail
from civicdesk.settings import Settings
from civicdesk.store.audit import record_event
from civicdesk.store.base import utcnow
from civicdesk.store.cases import CaseHistoryRow, CaseRow
from civicdesk.store.engine import session_scope
from civicdesk.store.inquiries import get_inquiry


class Staff(Protocol):
    """Who is acting: a signed-in staff member (civicdesk.casework.accounts.StaffUser)."""

    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...

    @property
    def role(self) -> Role: ...


def normalise(reference: str) -> str:
    return reference.strip().upper()


def actor_of(user: Staff) -> str:
    """How the audit trail names staff: by id, never by email."""
    return f"staff:{user.id}"


class Ledger:
    def __init__(
        self, settings: Settings, sessions: sessionmaker[Session], book: QueueBook
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.book = book
        self.calendar = WorkingCalendar(settings.sla_region)

    def case(self, session: Session, reference: str) -> CaseRow:
        row = session.execute(
            select(CaseRow).where(CaseRow.reference == normalise(reference))
        ).scalar_one_or_none()
        if row is None:
            raise CaseNotFound(
                f"no case has the reference {normalise(reference)}.",
                hint="Check the reference; it looks like CD-ABCD-2345.",
            )
        return row

    def record(
        self,
        session: Session,
        row: CaseRow,
        who: Staff | str,
        action: str,
        detail: Mapping[str, object],
    ) -> None:
        """A history row and an audit event for one change, in the caller's transaction."""
        name = who if isinstance(who, str) else who.name
        session.add(
            CaseHistoryRow(
                case_id=row.id, at=utcnow(), actor=name, action=action, detail=dict(detail)
            )
        )
        record_event(
            session,
            actor=who if isinstance(who, str) else actor_of(who),
            action=f"case.{action}",
            object_type="case",
            object_id=row.reference,
            payload=detail,
        )

    def detail(self, reference: str) -> CaseDetail:
        with session_scope(self.sessions) as session:
            row = self.case(session, reference)
            inquiry = get_inquiry(session, row.reference)
            assert inquiry is not None  # a case's inquiry is never deleted (foreign key)
            return detail_of(
                session, row, inquiry, self.book, utcnow(), self.settings.email_max_attempts
            )
