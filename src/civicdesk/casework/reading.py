"""Turn stored rows into the views the console and the citizen page read."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.casework.queues import QueueBook
from civicdesk.casework.status import CaseStatus, Priority
from civicdesk.casework.views import (
    CaseDetail,
    CaseSummary,
    CitizenCase,
    Draft,
    DraftState,
    HistoryEntry,
    Message,
    Reply,
)
from civicdesk.domain.inquiry import Citation
from civicdesk.privacy.operators import SEALED
from civicdesk.store.cases import CaseHistoryRow, CaseNoteRow, CaseReplyRow, CaseRow, OutboxRow
from civicdesk.store.inquiries import InquiryRow
from civicdesk.store.staff import StaffUserRow


def readable(text: str) -> str:
    """Sealed values (``<EMAIL_ADDRESS:token>``) shown as their type only (``<EMAIL_ADDRESS>``)."""
    return SEALED.sub(lambda match: f"<{match.group(1)}>", text)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands timezone-aware columns back naive; they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def optional_utc(moment: datetime | None) -> datetime | None:
    return as_utc(moment) if moment is not None else None


def is_breached(row: CaseRow, now: datetime) -> bool:
    """Late: the first reply (or the resolution, if no reply was needed) came after the due time,
    or it has not come and the due time has passed."""
    answered = row.first_response_at or row.resolved_at
    return as_utc(answered or now) > as_utc(row.due_at)


def staff_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(
        select(StaffUserRow.id, StaffUserRow.name).where(StaffUserRow.id.in_(wanted))
    )
    return {row.id: row.name for row in rows}


def summary_of(row: CaseRow, names: dict[int, str], book: QueueBook, now: datetime) -> CaseSummary:
    queue = book.get(row.queue)
    return CaseSummary(
        reference=row.reference,
        queue=row.queue,
        priority=Priority(row.priority),
        status=CaseStatus(row.status),
        assignee=names.get(row.assignee_id) if row.assignee_id is not None else None,
        summary=row.summary,
        created_at=as_utc(row.created_at),
        due_at=as_utc(row.due_at),
        breached=is_breached(row, now),
        version=row.version,
        assignee_id=row.assignee_id,
        queue_title=queue.title if queue else row.queue,
    )


def describe(detail: dict[str, Any]) -> str:
    return ", ".join(f"{key}: {value}" for key, value in detail.items())


def delivery_of(outbox: OutboxRow | None, max_attempts: int) -> tuple[str, str]:
    """What happened to a reply, as (state, words for the caseworker)."""
    page = "On the citizen's page"
    if outbox is None:
        return "page", page
    if outbox.status == "sent":
        sent = optional_utc(outbox.sent_at)
        when = f" at {sent:%d %b %Y %H:%M} UTC" if sent else ""
        return "email_sent", f"{page}; email sent{when}"
    if outbox.status == "failed":
        return "email_failed", (
            f"{page}; email failed after {outbox.attempts} "
            f"{'try' if outbox.attempts == 1 else 'tries'} ({outbox.last_error}). Check the "
            "email settings, then run `civicdesk cases deliver --retry-failed`."
        )
    if outbox.status == "retrying":
        return "email_retrying", (
            f"{page}; email not sent yet ({outbox.last_error}); tried {outbox.attempts} of "
            f"{max_attempts} times, next try after "
            f"{as_utc(outbox.next_attempt_at):%d %b %Y %H:%M} UTC"
        )
    return "email_pending", f"{page}; email waiting to be sent"


def detail_of(
    session: Session,
    row: CaseRow,
    inquiry: InquiryRow,
    book: QueueBook,
    now: datetime,
    max_attempts: int,
) -> CaseDetail:
    history = list(
        session.execute(
            select(CaseHistoryRow)
            .where(CaseHistoryRow.case_id == row.id)
            .order_by(CaseHistoryRow.id)
        ).scalars()
    )
    notes = list(
        session.execute(
            select(CaseNoteRow).where(CaseNoteRow.case_id == row.id).order_by(CaseNoteRow.id)
        ).scalars()
    )
    replies = list(
        session.execute(
            select(CaseReplyRow).where(CaseReplyRow.case_id == row.id).order_by(CaseReplyRow.id)
        ).scalars()
    )
    outbox = {
        o.reply_id: o
        for o in session.execute(select(OutboxRow).where(OutboxRow.case_id == row.id)).scalars()
    }
    names = staff_names(session, [row.assignee_id])
    summary = summary_of(row, names, book, now)
    answer = inquiry.answer or {}
    draft_citations = [Citation(**c) for c in row.draft_citations]
    inquiry_citations = [Citation(**c) for c in answer.get("citations", [])]
    sources = list({c.url: c for c in [*draft_citations, *inquiry_citations]}.values())
    conversation = [Message("citizen", readable(inquiry.text), as_utc(inquiry.created_at))]
    if answer.get("text"):
        conversation.append(
            Message(
                "assistant",
                str(answer["text"]),
                as_utc(inquiry.completed_at or inquiry.created_at),
                "assistant",
            )
        )
    reply_views: list[Reply] = []
    for reply in replies:
        delivery_state, words = delivery_of(outbox.get(reply.id), max_attempts)
        reply_views.append(
            Reply(
                text=reply.text,
                at=as_utc(reply.at),
                author=reply.author,
                delivery=words,
                delivery_state=delivery_state,
                source=reply.source,
                edit_distance=reply.edit_distance,
            )
        )
        conversation.append(Message("staff", reply.text, as_utc(reply.at), reply.author))
    draft = None
    if row.draft_state is not None:
        draft = Draft(
            text=row.draft_text or "",
            citations=draft_citations,
            state=cast(DraftState, row.draft_state),
            version=row.version,
            sent=any(r.source in ("approved", "edited") for r in replies),
            ai_text=row.ai_draft or "",
        )
    opened = next((h.detail for h in history if h.action == "opened"), {})
    return CaseDetail(
        **summary.__dict__,
        language=row.language,
        channel=row.channel,
        conversation=conversation,
        sources=sources,
        trace=list(inquiry.trace),
        draft=draft,
        notes=[Message("staff", readable(n.text), as_utc(n.at), n.author) for n in notes],
        history=[
            HistoryEntry(as_utc(h.at), h.actor, h.action, describe(h.detail)) for h in history
        ],
        replies=reply_views,
        removed_data_types=list(inquiry.removed_data_types),
        has_contact=row.contact is not None,
        vulnerability=opened.get("vulnerability"),
    )


def citizen_case_of(row: CaseRow, inquiry: InquiryRow, session: Session) -> CitizenCase:
    replies = session.execute(
        select(CaseReplyRow).where(CaseReplyRow.case_id == row.id).order_by(CaseReplyRow.id)
    ).scalars()
    return CitizenCase(
        reference=row.reference,
        status=CaseStatus(row.status),
        language=row.language,
        question=readable(inquiry.text),
        created_at=as_utc(row.created_at),
        due_at=as_utc(row.due_at),
        replies=[Message("staff", reply.text, as_utc(reply.at)) for reply in replies],
        has_contact=row.contact is not None,
    )
