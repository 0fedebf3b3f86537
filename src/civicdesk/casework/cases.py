"""The case desk: everything staff (and the citizen's page) do with cases, in one object.

Web routes and CLI commands call only this. It reads cases itself and hands each kind of
change to the part that owns it: opening cases and their drafts (:mod:`.opening`), other
channels and contact details (:mod:`.channels`), working a case (:mod:`.work`), email
(:mod:`.delivery`). See ADR 0051.
"""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from civicdesk.assistant.context import InquiryContext
from civicdesk.assistant.guardrails.output import load_output_policy
from civicdesk.assistant.stages.persist import FollowUp
from civicdesk.assistant.stages.retrieve import Retriever
from civicdesk.casework.channels import Channels
from civicdesk.casework.delivery import DeliveryReport, Outbox
from civicdesk.casework.drafts import DraftWriter, Knowledge
from civicdesk.casework.errors import (
    MAX_NOTE_CHARS,
    MAX_REPLY_CHARS,
    CaseConflict,
    CaseInputRejected,
    CaseNotFound,
    NoteRejected,
    NotPermitted,
    OriginalNotKept,
    StaleEdit,
)
from civicdesk.casework.ledger import Ledger, Staff, normalise
from civicdesk.casework.metrics import queue_metrics
from civicdesk.casework.opening import Opener, may_open
from civicdesk.casework.queues import QueueBook, load_queues
from civicdesk.casework.reading import citizen_case_of, is_breached, staff_names, summary_of
from civicdesk.casework.senders import sender_from_settings
from civicdesk.casework.status import OPEN, CaseStatus, Priority
from civicdesk.casework.tokens import citizen_token, token_matches
from civicdesk.casework.views import (
    CaseDetail,
    CaseSummary,
    CitizenCase,
    Draft,
    HistoryEntry,
    Message,
    QueueMetrics,
    QueueView,
    Reply,
)
from civicdesk.casework.work import Workbench
from civicdesk.domain.inquiry import AssistantReply
from civicdesk.privacy import PrivacyEngine, install
from civicdesk.privacy.keys import sealer
from civicdesk.settings import Settings
from civicdesk.store.base import utcnow
from civicdesk.store.cases import CaseRow
from civicdesk.store.engine import make_sessionmaker, session_scope
from civicdesk.store.inquiries import get_inquiry

__all__ = [
    "CaseConflict",
    "CaseDesk",
    "CaseDetail",
    "CaseInputRejected",
    "CaseNotFound",
    "CaseStatus",
    "CaseSummary",
    "CitizenCase",
    "Draft",
    "HistoryEntry",
    "Message",
    "NotPermitted",
    "NoteRejected",
    "OriginalNotKept",
    "Priority",
    "QueueMetrics",
    "QueueView",
    "Reply",
    "Staff",
    "StaleEdit",
    "citizen_token",
]

LIST_LIMIT = 1000


class CaseDesk:
    note_limit = MAX_NOTE_CHARS
    reply_limit = MAX_REPLY_CHARS

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        *,
        book: QueueBook,
        privacy: PrivacyEngine,
        knowledge: Knowledge,
        outbox: Outbox,
    ) -> None:
        self.settings = settings
        self.ledger = Ledger(settings, sessions, book)
        self.knowledge = knowledge
        self.drafts = DraftWriter(
            knowledge.get,
            privacy,
            settings.organisation_name,
            settings.answer_threshold,
            load_output_policy(settings.output_rules_path),
        )
        self.outbox = outbox
        seal = sealer(settings)
        self.opening = Opener(self.ledger, self.drafts)
        self.channels = Channels(self.ledger, self.opening, privacy, seal)
        self.work = Workbench(self.ledger, outbox, privacy, seal)

    @classmethod
    def from_settings(
        cls, settings: Settings, engine: Engine, *, retriever: Retriever | None = None
    ) -> CaseDesk:
        """The desk on the configured queues, privacy engine, knowledge index and email.

        Without ``retriever`` the index loads on the first draft; composition roots that also
        build the assistant share its index instead (``desk.knowledge.share(...)``).
        """
        sessions = make_sessionmaker(engine)
        return cls(
            settings,
            sessions,
            book=load_queues(settings.queues_path),
            privacy=install(settings),
            knowledge=Knowledge(settings, engine, retriever),
            outbox=Outbox(settings, sessions, sender_from_settings(settings)),
        )

    # --- opening ---------------------------------------------------------------------------

    def on_handover(
        self, session: Session, reply: AssistantReply, context: InquiryContext | None
    ) -> FollowUp | None:
        """The assistant's handover hook (see civicdesk.assistant.stages.persist)."""
        return self.opening.on_handover(session, reply, context)

    def sync(self) -> int:
        """Open a case for every inquiry that needs a person and has none; how many opened."""
        return self.opening.sync()

    def create_case(
        self,
        text: str,
        *,
        actor: str,
        channel: str = "api",
        language: str | None = None,
        email: str | None = None,
    ) -> CaseDetail:
        """Open a case from another channel (phone, letter, an email inbox)."""
        reference = self.channels.open_case(
            text, actor=actor, channel=channel, language=language, email=email
        )
        return self.ledger.detail(reference)

    # --- reading ---------------------------------------------------------------------------

    def queues(self) -> list[QueueView]:
        """Every queue with its open and overdue cases, in the queues file's order."""
        self.opening.ensure_synced()
        now = utcnow()
        with session_scope(self.ledger.sessions) as session:
            rows = list(
                session.execute(select(CaseRow).where(CaseRow.status.in_(list(OPEN)))).scalars()
            )
        book = self.ledger.book
        keys = [q.key for q in book.queues]
        keys += sorted({row.queue for row in rows} - set(keys))  # queues since removed
        views = []
        for key in keys:
            in_queue = [row for row in rows if row.queue == key]
            queue = book.get(key)
            views.append(
                QueueView(
                    key=key,
                    title=queue.title if queue else key,
                    open=len(in_queue),
                    breached=sum(1 for row in in_queue if is_breached(row, now)),
                    sla_working_days=queue.sla_working_days if queue else 0,
                )
            )
        return views

    def list_cases(
        self,
        queue: str | None = None,
        status: CaseStatus | None = None,
        mine: int | None = None,
    ) -> list[CaseSummary]:
        """Cases most urgent first (priority, then due time). With no ``status``, open ones."""
        self.opening.ensure_synced()
        query = select(CaseRow)
        if queue is not None:
            query = query.where(CaseRow.queue == queue)
        if status is not None:
            query = query.where(CaseRow.status == CaseStatus(status).value)
        else:
            query = query.where(CaseRow.status.in_(list(OPEN)))
        if mine is not None:
            query = query.where(CaseRow.assignee_id == mine)
        query = query.order_by(CaseRow.priority, CaseRow.due_at, CaseRow.id).limit(LIST_LIMIT)
        now = utcnow()
        with session_scope(self.ledger.sessions) as session:
            rows = list(session.execute(query).scalars())
            names = staff_names(session, [row.assignee_id for row in rows])
        return [summary_of(row, names, self.ledger.book, now) for row in rows]

    def find(self, reference: str) -> CaseDetail | None:
        """The whole case; opened (and its draft written) on first look if need be."""
        self.opening.ensure_synced()
        ref = normalise(reference)
        if not self.opening.open_if_needed(ref):
            return None
        return self.ledger.detail(ref)

    def metrics(self, queue: str | None = None) -> list[QueueMetrics]:
        """Per queue: open, late, median first response and resolution, draft acceptance."""
        self.opening.ensure_synced()
        with session_scope(self.ledger.sessions) as session:
            return queue_metrics(session, self.ledger.book, utcnow(), queue)

    # --- staff work (see civicdesk.casework.work) ------------------------------------------

    def claim(self, reference: str, user: Staff) -> CaseDetail:
        return self.work.claim(reference, user)

    def release(self, reference: str, user: Staff) -> CaseDetail:
        return self.work.release(reference, user)

    def save_draft(self, reference: str, user: Staff, text: str, version: int) -> CaseDetail:
        return self.work.save_draft(reference, user, text, version)

    def discard_draft(self, reference: str, user: Staff, version: int) -> CaseDetail:
        return self.work.discard_draft(reference, user, version)

    def send_reply(self, reference: str, user: Staff, text: str, version: int) -> CaseDetail:
        return self.work.send_reply(reference, user, text, version)

    def set_status(
        self, reference: str, user: Staff, status: CaseStatus, version: int
    ) -> CaseDetail:
        return self.work.set_status(reference, user, status, version)

    def add_note(self, reference: str, user: Staff, text: str) -> CaseDetail:
        return self.work.add_note(reference, user, text)

    def reveal_original(self, reference: str, user: Staff) -> str:
        return self.work.reveal_original(reference, user)

    # --- the citizen -----------------------------------------------------------------------

    def citizen_view(self, reference: str, token: str) -> CitizenCase | None:
        """The citizen's page: None unless ``token`` is the one for ``reference``."""
        ref = normalise(reference)
        if not token_matches(self.settings, ref, token):
            return None
        with session_scope(self.ledger.sessions) as session:
            inquiry = get_inquiry(session, ref)
            if inquiry is None or not may_open(inquiry):
                return None
            self.opening.open_late(session, inquiry)  # a no-op when it has its case
            return citizen_case_of(self.ledger.case(session, ref), inquiry, session)

    def set_contact(self, reference: str, token: str, email: str) -> bool:
        """The citizen gives an email address for replies; it is stored sealed, never plain.
        False for a wrong token or an inquiry with no case."""
        ref = normalise(reference)
        if self.citizen_view(ref, token) is None:
            return False
        with session_scope(self.ledger.sessions) as session:
            self.channels.store_contact(session, self.ledger.case(session, ref), email, "citizen")
        return True

    # --- email -----------------------------------------------------------------------------

    def deliver(self, *, retry_failed: bool = False) -> DeliveryReport:
        """Send reply emails that are due (and, with ``retry_failed``, those that gave up)."""
        if retry_failed:
            self.outbox.retry_failed()
        return self.outbox.deliver()
