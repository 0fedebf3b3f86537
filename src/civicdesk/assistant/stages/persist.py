"""persist: answer, trace and an audit event are stored before the citizen sees a reply."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from civicdesk.assistant.context import InquiryContext, Verdict
from civicdesk.domain.inquiry import AssistantReply
from civicdesk.store.audit import record_event
from civicdesk.store.engine import session_scope
from civicdesk.store.inquiries import complete_inquiry


class Persist:
    name = "persist"
    always = True

    def __init__(
        self, sessions: sessionmaker[Session], to_reply: Callable[[InquiryContext], AssistantReply]
    ) -> None:
        self.sessions = sessions
        self.to_reply = to_reply

    def __call__(self, context: InquiryContext) -> Verdict:
        reply = self.to_reply(context)
        with session_scope(self.sessions) as session:
            complete_inquiry(session, reply, needs_person=context.needs_person)
            record_event(
                session,
                actor=f"assistant:{context.channel.value}",
                action="inquiry.completed",
                object_type="inquiry",
                object_id=context.reference,
                payload={
                    "outcome": reply.outcome.value,
                    "reasons": list(reply.reasons),
                    "confidence": reply.confidence,
                    "language": reply.language,
                    "citations": len(reply.citations),
                    "removed_data_types": list(reply.removed_data_types),
                    "needs_person": context.needs_person,
                },
            )
        return Verdict("stored")
