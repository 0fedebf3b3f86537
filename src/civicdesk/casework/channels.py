"""Cases from other channels (phone, letter, an email inbox), and the citizen's email address.

Text from another channel is redacted like a web question, but with the sealing operator: the
originals are encrypted in place so permitted staff can reveal them (audited), since a person
on the phone often gave details the reply needs. It is checked against the crisis and handover
rules for its priority, and stored as a handed-over inquiry, so its reference and the
citizen's page work the same way as for a web question.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from civicdesk.assistant.routing import Action, load_rules
from civicdesk.assistant.service import new_reference
from civicdesk.casework.errors import (
    MAX_REPLY_CHARS,
    CaseInputRejected,
    check_channel,
    check_email,
    check_size,
)
from civicdesk.casework.ledger import Ledger
from civicdesk.casework.opening import Opener
from civicdesk.casework.reading import readable
from civicdesk.domain.inquiry import AssistantReply, HelpLine, Outcome
from civicdesk.language.detect import PAGE_LANGUAGES, detect_language
from civicdesk.privacy import PrivacyEngine
from civicdesk.privacy.operators import Seal
from civicdesk.store.cases import CaseRow
from civicdesk.store.engine import session_scope
from civicdesk.store.inquiries import complete_inquiry, create_inquiry, get_inquiry

CONTACT_KIND = "EMAIL_ADDRESS"


class Channels:
    def __init__(self, ledger: Ledger, opener: Opener, privacy: PrivacyEngine, seal: Seal) -> None:
        self.ledger = ledger
        self.opener = opener
        self.privacy = privacy
        self.seal = seal

    def open_case(
        self,
        text: str,
        *,
        actor: str,
        channel: str = "api",
        language: str | None = None,
        email: str | None = None,
    ) -> str:
        """Open a case from another channel; its reference. Nothing is stored if refused."""
        check_size(text, MAX_REPLY_CHARS, "case text")
        check_channel(channel)
        if language not in (None, *PAGE_LANGUAGES):
            raise CaseInputRejected(
                f"language {str(language)[:20]!r} is not supported.", hint="Use en or cy."
            )
        if email is not None:
            check_email(email)
        redacted = self.privacy.redact(text, operator=self.seal)
        plain = readable(redacted.text)
        detected = detect_language(plain).code
        chosen = language or (detected if detected in PAGE_LANGUAGES else "en")
        match = load_rules(self.ledger.settings.assistant_rules_path).first_match(
            plain, (Action.CRISIS, Action.HANDOVER)
        )
        reasons = [f"channel:{channel}"]
        help_lines: tuple[HelpLine, ...] = ()
        if match is not None:
            kind = "crisis" if match.action is Action.CRISIS else "handover"
            reasons.insert(0, f"{kind}:{match.name}")
            if match.action is Action.CRISIS:
                help_lines = match.rule.help_lines(chosen)
        reference = new_reference()
        reply = AssistantReply(
            reference=reference,
            outcome=Outcome.HANDED_OVER,
            answer="",
            parts=(),
            citations=(),
            language=chosen,
            confidence=1.0,
            reasons=tuple(reasons),
            help_lines=help_lines,
            removed_data_types=tuple(sorted(redacted.types)),
        )
        with session_scope(self.ledger.sessions) as session:
            create_inquiry(
                session,
                reference=reference,
                channel=channel,
                text=redacted.text,
                removed_data_types=list(reply.removed_data_types),
            )
            complete_inquiry(session, reply, needs_person=True)
            inquiry = get_inquiry(session, reference)
            assert inquiry is not None
            self.opener.open(session, inquiry, actor)
            if email is not None:
                self.store_contact(session, self.ledger.case(session, reference), email, actor)
        self.opener.write_draft(reference)
        return reference

    def store_contact(self, session: Session, row: CaseRow, email: str, actor: str) -> None:
        """Keep the citizen's email address sealed (encrypted); history notes only that."""
        row.contact = self.seal(check_email(email), CONTACT_KIND)
        self.ledger.record(session, row, actor, "contact_given", {})
