"""receive: the (redacted) inquiry is stored before any work, so a crash never loses it."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from civicdesk.assistant.context import InquiryContext, Verdict
from civicdesk.store.engine import session_scope
from civicdesk.store.inquiries import create_inquiry


class Receive:
    name = "receive"
    always = False

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def __call__(self, context: InquiryContext) -> Verdict:
        with session_scope(self.sessions) as session:
            create_inquiry(
                session,
                reference=context.reference,
                channel=context.channel.value,
                text=context.text,
                removed_data_types=list(context.removed_data_types),
            )
        return Verdict("stored", {"reference": context.reference})
