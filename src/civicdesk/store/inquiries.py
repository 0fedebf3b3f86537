"""Inquiries: stored on arrival (redacted), completed with answer and trace before reply."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from civicdesk.domain.inquiry import AssistantReply
from civicdesk.store.base import Base, utcnow

STATUS_RECEIVED = "received"
STATUS_COMPLETED = "completed"


class InquiryRow(Base):
    __tablename__ = "inquiries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(20), nullable=False, unique=True)
    channel: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    text: Mapped[str] = mapped_column(Text, nullable=False)  # redacted, never the original
    removed_data_types: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    language: Mapped[str | None] = mapped_column(String(12))
    outcome: Mapped[str | None] = mapped_column(String(20), index=True)
    confidence: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    trace: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False, default=list)
    needs_person: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    useful: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# Core statements on the table: these run twice for every question, and the ORM's bulk
# statement machinery costs more than the writes themselves.
_INQUIRIES: Table = Base.metadata.tables["inquiries"]
_ADD = insert(_INQUIRIES)
_COMPLETE = update(_INQUIRIES).where(_INQUIRIES.c.reference == bindparam("ref"))


def create_inquiry(
    session: Session, *, reference: str, channel: str, text: str, removed_data_types: list[str]
) -> None:
    """Store an inquiry as it arrives (its text already redacted)."""
    session.execute(
        _ADD,
        {
            "reference": reference,
            "channel": channel,
            "status": STATUS_RECEIVED,
            "text": text,
            "removed_data_types": removed_data_types,
            "reasons": [],
            "trace": [],
            "needs_person": False,
            "created_at": utcnow(),
        },
    )


def complete_inquiry(session: Session, reply: AssistantReply, *, needs_person: bool) -> None:
    """Store the outcome, the answer and the trace of a finished inquiry."""
    answer = {
        "text": reply.answer,
        "parts": [asdict(part) for part in reply.parts],
        "citations": [asdict(citation) for citation in reply.citations],
        "help_lines": [asdict(line) for line in reply.help_lines],
        "guidance_language": reply.guidance_language,
        "question_language": reply.question_language,
        "message_language": reply.message_language,
        "notice": reply.notice,
        "generated": reply.generated,
        "related": [asdict(page) for page in reply.related],
    }
    trace = [
        {
            "stage": record.stage,
            "verdict": record.verdict,
            "duration_ms": record.duration_ms,
            "detail": record.detail,
        }
        for record in reply.trace
    ]
    session.execute(
        _COMPLETE,
        {
            "ref": reply.reference,
            "status": STATUS_COMPLETED,
            "language": reply.language,
            "outcome": reply.outcome.value,
            "confidence": reply.confidence,
            "reasons": list(reply.reasons),
            "answer": answer,
            "trace": trace,
            "needs_person": needs_person,
            "completed_at": utcnow(),
        },
    )


def get_inquiry(session: Session, reference: str) -> InquiryRow | None:
    return session.execute(
        select(InquiryRow).where(InquiryRow.reference == reference)
    ).scalar_one_or_none()
