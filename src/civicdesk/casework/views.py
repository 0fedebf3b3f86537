"""What the console and the citizen page read about cases: plain frozen data, no rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from civicdesk.casework.status import CaseStatus, Priority
from civicdesk.domain.inquiry import Citation

DraftState = Literal["pending", "approved", "edited", "discarded"]


@dataclass(frozen=True)
class QueueView:
    key: str
    title: str
    open: int
    breached: int
    sla_working_days: int = 0


@dataclass(frozen=True)
class CaseSummary:
    reference: str
    queue: str
    priority: Priority
    status: CaseStatus
    assignee: str | None  # the holder's name
    summary: str
    created_at: datetime
    due_at: datetime
    breached: bool
    version: int
    assignee_id: int | None
    queue_title: str


@dataclass(frozen=True)
class Message:
    sender: str  # "citizen" | "staff" | "assistant"
    text: str
    at: datetime
    author: str = ""


@dataclass(frozen=True)
class Draft:
    """The working draft. ``state`` says how it has been treated; ``sent`` once a reply used it."""

    text: str
    citations: list[Citation]
    state: DraftState
    version: int
    sent: bool = False
    ai_text: str = ""  # the draft as the assistant wrote it, for comparison


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor: str
    action: str
    detail: str


@dataclass(frozen=True)
class Reply:
    text: str
    at: datetime
    author: str
    delivery: str  # what happened to it, in words
    delivery_state: str = (
        "page"  # page | email_pending | email_sent | email_retrying | email_failed
    )
    source: str = "own"  # approved | edited | own
    edit_distance: int | None = None


@dataclass(frozen=True)
class CaseDetail(CaseSummary):
    language: str
    channel: str
    conversation: list[Message]
    sources: list[Citation]
    trace: list[dict[str, Any]]
    draft: Draft | None
    notes: list[Message]
    history: list[HistoryEntry]
    replies: list[Reply]
    removed_data_types: list[str] = field(default_factory=list)
    has_contact: bool = False
    vulnerability: str | None = None


@dataclass(frozen=True)
class CitizenCase:
    """What the citizen sees with their reference and token: status and replies, nothing else."""

    reference: str
    status: CaseStatus
    language: str
    question: str
    created_at: datetime
    due_at: datetime
    replies: list[Message]
    has_contact: bool


@dataclass(frozen=True)
class QueueMetrics:
    key: str
    title: str
    open: int
    breached: int
    cases: int
    first_response_median: timedelta | None
    resolution_median: timedelta | None
    approved: int  # first replies that were the AI draft unchanged
    edited: int  # first replies made by editing the AI draft
    own: int  # first replies written without the draft (discarded or none)
    discarded: int  # drafts discarded
    mean_edit_distance: float | None  # words changed, over replies that used a draft
