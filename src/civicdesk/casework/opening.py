"""Opening a case for an inquiry that needs a person: once, whichever path gets there first.

The handover hook (inside the assistant's transaction), `CaseDesk.sync`, a first look at the
case and the cases API all come through :func:`open_case`. It inserts with ON CONFLICT DO
NOTHING on the unique reference, so two paths racing for the same inquiry make one case and
neither fails. The AI draft is written just after (see ADR 0051 for why inline).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from civicdesk.assistant.context import InquiryContext
from civicdesk.assistant.stages.persist import FollowUp
from civicdesk.casework.drafts import DraftWriter
from civicdesk.casework.ledger import Ledger
from civicdesk.casework.queues import QueueBook
from civicdesk.casework.reading import as_utc, readable
from civicdesk.casework.sla import WorkingCalendar
from civicdesk.casework.status import CaseStatus, Priority
from civicdesk.domain.inquiry import AssistantReply, Channel, HelpLine
from civicdesk.store.audit import record_event
from civicdesk.store.base import utcnow
from civicdesk.store.cases import CaseHistoryRow, CaseRow
from civicdesk.store.engine import session_scope
from civicdesk.store.inquiries import InquiryRow, get_inquiry

SUMMARY_CHARS = 160
SYNC_BATCH = 200
# How often pages re-run the catch-up sync: a hook that failed leaves an inquiry without its
# case until then. The sync is one indexed query when nothing is missing.
SYNC_EVERY_SECONDS = 60.0


def summarise(text: str) -> str:
    """The first words of the (redacted) question, on one line, cut at a word."""
    flat = " ".join(readable(text).split())
    if len(flat) <= SUMMARY_CHARS:
        return flat
    return flat[:SUMMARY_CHARS].rsplit(" ", 1)[0] + "…"


def ranked_pages(inquiry: InquiryRow) -> list[str]:
    """Guidance pages the assistant found for the inquiry, best first (cited ones first)."""
    pages = [str(c["url"]) for c in (inquiry.answer or {}).get("citations", [])]
    for record in inquiry.trace:
        if record.get("stage") == "retrieve":
            pages.extend(str(url) for url in record.get("detail", {}).get("ranked", []))
    return list(dict.fromkeys(pages))


def may_open(inquiry: InquiryRow) -> bool:
    """A case is for a citizen who needs a person; evaluation runs never are."""
    return inquiry.needs_person and inquiry.channel != Channel.EVAL.value


def open_case(
    session: Session,
    inquiry: InquiryRow,
    *,
    book: QueueBook,
    calendar: WorkingCalendar,
    actor: str,
    pages: Sequence[str] = (),
    received: datetime | None = None,
) -> bool:
    """Open the case for ``inquiry`` in the caller's transaction; False if it already has one.

    ``received`` is when the citizen's wait began, if not now: a case opened late (by the
    sync or a first look, after its hook failed) counts its age and its reply deadline from
    the inquiry, not from the moment someone noticed it had no case.
    """
    placement = book.place(inquiry.reasons, inquiry.text, [*pages, *ranked_pages(inquiry)])
    now = utcnow()
    start = as_utc(received) if received is not None else now
    values: dict[str, Any] = {
        "reference": inquiry.reference,
        "queue": placement.queue.key,
        "priority": int(placement.priority),
        "status": CaseStatus.NEW.value,
        "version": 1,
        "channel": inquiry.channel,
        "language": inquiry.language or "en",
        "summary": summarise(inquiry.text),
        "draft_citations": [],
        "created_at": start,
        "due_at": calendar.due_at(start, placement.queue.sla_working_days),
        "updated_at": now,
    }
    case_id = session.execute(_insert_once(session, values)).scalar_one_or_none()
    if case_id is None:
        return False
    detail: dict[str, Any] = {
        "queue": placement.queue.key,
        "priority": placement.priority.name.lower(),
        "because": placement.because,
    }
    if placement.marker:
        detail["vulnerability"] = placement.marker
    session.add(
        CaseHistoryRow(case_id=case_id, at=now, actor=actor, action="opened", detail=detail)
    )
    # The audit trail is kept for years and auditors read it: it gets the queue and the
    # priority only. Why the case was placed (a crisis reason) and which vulnerability was
    # seen (mental health, disability, ...) are health data, kept in the case's history.
    record_event(
        session,
        actor=actor,
        action="case.opened",
        object_type="case",
        object_id=inquiry.reference,
        payload={"queue": placement.queue.key, "priority": placement.priority.name.lower()},
    )
    return True


def _insert_once(session: Session, values: dict[str, Any]) -> Insert:
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return (
        insert(CaseRow)
        .values(values)
        .on_conflict_do_nothing(index_elements=["reference"])
        .returning(CaseRow.id)
    )


def inquiries_without_case(session: Session, limit: int = SYNC_BATCH) -> list[InquiryRow]:
    """Completed inquiries that need a person and have no case yet, oldest first."""
    return list(
        session.execute(
            select(InquiryRow)
            .outerjoin(CaseRow, CaseRow.reference == InquiryRow.reference)
            .where(
                InquiryRow.needs_person.is_(True),
                InquiryRow.channel != Channel.EVAL.value,
                CaseRow.id.is_(None),
            )
            .order_by(InquiryRow.id)
            .limit(limit)
        ).scalars()
    )


class Opener:
    """Opens cases (hook, sync, first look) and writes their AI drafts."""

    def __init__(
        self, ledger: Ledger, drafts: DraftWriter, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ledger = ledger
        self.drafts = drafts
        self.clock = clock
        self._synced_at: float | None = None
        self._lock = threading.Lock()

    def open(self, session: Session, inquiry: InquiryRow, actor: str, **kwargs: Any) -> bool:
        return open_case(
            session,
            inquiry,
            book=self.ledger.book,
            calendar=self.ledger.calendar,
            actor=actor,
            **kwargs,
        )

    def open_late(self, session: Session, inquiry: InquiryRow) -> bool:
        """Open the case of an inquiry whose hook did not, dated from the inquiry."""
        received = inquiry.completed_at or inquiry.created_at
        return self.open(session, inquiry, "sync", received=received)

    def on_handover(
        self, session: Session, reply: AssistantReply, context: InquiryContext | None
    ) -> FollowUp | None:
        """The assistant's handover hook: open the case in the inquiry's own transaction, and
        ask for the draft to be written once that transaction is committed."""
        if context is not None and context.channel is Channel.EVAL:
            return None
        inquiry = session.execute(
            select(InquiryRow)
            .where(InquiryRow.reference == reply.reference)
            .execution_options(populate_existing=True)
        ).scalar_one()
        pages = [hit.url for hit in context.hits] if context is not None else []
        if not self.open(session, inquiry, "assistant", pages=pages):
            return None

        def write_draft() -> None:
            self.write_draft(reply.reference)

        return write_draft

    def open_if_needed(self, reference: str) -> bool:
        """Make sure an inquiry that needs a person has its case (and draft); False if it is
        not one that should."""
        with session_scope(self.ledger.sessions) as session:
            exists = session.execute(
                select(CaseRow.draft_state).where(CaseRow.reference == reference)
            ).one_or_none()
            if exists is None:
                inquiry = get_inquiry(session, reference)
                if inquiry is None or not may_open(inquiry):
                    return False
                self.open_late(session, inquiry)
            needs_draft = exists is None or exists.draft_state is None
        if needs_draft:
            self.write_draft(reference)
        return True

    def sync(self) -> int:
        """Open a case for every inquiry that needs a person and has none; how many opened."""
        created = 0
        while True:
            with session_scope(self.ledger.sessions) as session:
                missing = inquiries_without_case(session)
                created += sum(self.open_late(session, inquiry) for inquiry in missing)
            if len(missing) < SYNC_BATCH:
                return created

    def ensure_synced(self) -> None:
        """Catch up with inquiries a hook did not open: on first use, then again whenever
        ``SYNC_EVERY_SECONDS`` have passed, so a failed hook is repaired within a minute or
        so rather than at the next restart."""
        if not self._sync_due():
            return
        with self._lock:
            if self._sync_due():
                self.sync()
                self._synced_at = self.clock()

    def _sync_due(self) -> bool:
        last = self._synced_at
        return last is None or self.clock() - last >= SYNC_EVERY_SECONDS

    def write_draft(self, reference: str) -> bool:
        """Write the AI draft if the case has none yet; False when it already had one."""
        with session_scope(self.ledger.sessions) as session:
            row = self.ledger.case(session, reference)
            inquiry = get_inquiry(session, row.reference)
            if row.draft_state is not None or inquiry is None:
                return False
            crisis = row.priority == Priority.CRISIS
            answer = inquiry.answer or {}
            help_lines = [HelpLine(**h) for h in answer.get("help_lines", [])] if crisis else []
            question = readable(inquiry.text)
        written = self.drafts.write(
            reference=row.reference, text=question, language=row.language, help_lines=help_lines
        )
        with session_scope(self.ledger.sessions) as session:
            done = session.execute(
                update(CaseRow)
                .where(CaseRow.id == row.id, CaseRow.draft_state.is_(None))
                .values(
                    ai_draft=written.text,
                    draft_text=written.text,
                    draft_citations=[c.__dict__ for c in written.citations],
                    draft_state="pending",
                    draft_ms=written.milliseconds,
                )
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                return False  # written meanwhile by another path
            self.ledger.record(
                session,
                row,
                "assistant",
                "draft_written",
                {
                    "citations": len(written.citations),
                    "relevance": round(written.relevance, 3),
                    "milliseconds": written.milliseconds,
                },
            )
        return True
