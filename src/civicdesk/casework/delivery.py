"""Reply emails: an outbox in the database, sent by SMTP or GOV.UK Notify, retried with backoff.

A reply is stored (and shown on the citizen's page) first; the email is only a copy. The
outbox row is written in the reply's transaction, then a sender claims it with a conditional
UPDATE (so two senders never send the same row), sends outside any transaction, and records
the result. A temporary failure is retried after ``email_retry_seconds``, doubling each time,
up to ``email_max_attempts``; a permanent one (a 5xx from SMTP, a 400 or 403 from Notify)
fails at once. Either way the case shows what happened, and nothing is deleted. Errors are
kept as codes: never an address, never the server's words (which may quote the address).
One bad row (an address sealed with another key, a sender that breaks) fails on its own: it
never stops the rest of a batch, nor undoes the reply it belongs to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from civicdesk.casework.senders import DeliveryFailed, Email, Sender
from civicdesk.casework.tokens import citizen_token
from civicdesk.logging import get_logger
from civicdesk.privacy.keys import sealer
from civicdesk.privacy.operators import SEALED, SealedValueError
from civicdesk.settings import Settings
from civicdesk.store.audit import record_event
from civicdesk.store.base import utcnow
from civicdesk.store.cases import CaseHistoryRow, CaseReplyRow, CaseRow, OutboxRow
from civicdesk.store.engine import session_scope

log = get_logger(__name__)

LEASE = timedelta(minutes=5)  # a send that crashed mid-way is tried again after this
LONGEST_WAIT = timedelta(hours=6)
DUE = ("pending", "retrying", "sending")

WORDS = {
    "en": {
        "subject": "A reply to your question {reference}",
        "footer": "Your reference: {reference}\nRead every reply to your question: {link}",
    },
    "cy": {
        "subject": "Ateb i'ch cwestiwn {reference}",
        "footer": "Eich cyfeirnod: {reference}\nDarllenwch bob ateb i'ch cwestiwn: {link}",
    },
}


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(
            self.sent + other.sent, self.retrying + other.retrying, self.failed + other.failed
        )


class Outbox:
    """Queues reply emails with their reply and sends what is due."""

    def __init__(
        self, settings: Settings, sessions: sessionmaker[Session], sender: Sender | None
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.sender = sender

    def enqueue(self, session: Session, *, case_id: int, reply_id: int) -> int | None:
        """Add the email for a reply in the caller's transaction; None when email is off."""
        if self.sender is None:
            return None
        row = OutboxRow(
            reply_id=reply_id,
            case_id=case_id,
            provider=self.sender.name,
            status="pending",
            attempts=0,
            next_attempt_at=utcnow(),
            created_at=utcnow(),
        )
        session.add(row)
        session.flush()
        return row.id

    def retry_failed(self) -> int:
        """Give every failed email a fresh set of tries (after fixing the settings)."""
        with session_scope(self.sessions) as session:
            result = session.execute(
                update(OutboxRow)
                .where(OutboxRow.status == "failed")
                .values(status="pending", attempts=0, next_attempt_at=utcnow())
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    def deliver(self, ids: Sequence[int] | None = None, limit: int = 100) -> DeliveryReport:
        """Send every due email (or just ``ids``), each claimed first so none goes twice."""
        if self.sender is None:
            return DeliveryReport()
        with session_scope(self.sessions) as session:
            query = select(OutboxRow.id).where(
                OutboxRow.status.in_(DUE), OutboxRow.next_attempt_at <= utcnow()
            )
            if ids is not None:
                query = query.where(OutboxRow.id.in_(list(ids)))
            due = list(session.execute(query.order_by(OutboxRow.id).limit(limit)).scalars())
        report = DeliveryReport()
        for outbox_id in due:
            try:
                report = report + self._deliver_one(outbox_id, self.sender)
            except Exception as exc:  # noqa: BLE001 (one row must not stop the batch)
                # Claiming or recording failed (the database, most likely). A claimed row is
                # tried again once its lease ends; an unclaimed one is still due.
                log.warning("reply_email_error", outbox_id=outbox_id, error=type(exc).__name__)
                report = report + DeliveryReport(retrying=1)
        return report

    def _deliver_one(self, outbox_id: int, sender: Sender) -> DeliveryReport:
        claimed = self._claim(outbox_id)
        if claimed is None:
            return DeliveryReport()  # someone else has it, or it is no longer due
        case, reply, attempt = claimed
        try:
            email = self._email(case, reply)
            if email is None:
                raise DeliveryFailed("no email address on the case", permanent=True)
            provider_id = sender.send(email)
        except DeliveryFailed as failure:
            return self._record_failure(outbox_id, attempt, failure)
        except Exception as exc:  # noqa: BLE001 (a sender's bug is this row's failure)
            broken = DeliveryFailed(f"unexpected {type(exc).__name__}")
            return self._record_failure(outbox_id, attempt, broken)
        self._record(outbox_id, "sent", attempt, provider_id=provider_id)
        return DeliveryReport(sent=1)

    def _claim(self, outbox_id: int) -> tuple[CaseRow, CaseReplyRow, int] | None:
        """Take the row for one try (the case and reply to send, and which try this is), or
        None when another sender has it or it is no longer due. Nothing that can fail for
        this row alone happens here, so a claim is never rolled back by a bad row."""
        now = utcnow()
        with session_scope(self.sessions) as session:
            claimed = session.execute(
                update(OutboxRow)
                .where(
                    OutboxRow.id == outbox_id,
                    OutboxRow.status.in_(DUE),
                    OutboxRow.next_attempt_at <= now,
                )
                .values(
                    status="sending",
                    attempts=OutboxRow.attempts + 1,
                    next_attempt_at=now + LEASE,
                )
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return None
            outbox = session.get(OutboxRow, outbox_id)
            assert outbox is not None
            case = session.get(CaseRow, outbox.case_id)
            reply = session.get(CaseReplyRow, outbox.reply_id)
            assert case is not None and reply is not None
            return case, reply, outbox.attempts

    def _email(self, case: CaseRow, reply: CaseReplyRow) -> Email | None:
        """The email for a reply; None without an address. An address that cannot be opened
        (sealed under another encryption key, or altered) fails for good: retrying with the
        same key cannot open it."""
        sealed = SEALED.fullmatch(case.contact or "")
        if sealed is None:
            return None
        try:
            address = sealer(self.settings).open(sealed.group(2), sealed.group(1))
        except SealedValueError as error:
            raise DeliveryFailed(
                f"address cannot be opened with this key, {error.code}", permanent=True
            ) from None
        words = WORDS.get(case.language, WORDS["en"])
        prefix = "/cy" if case.language == "cy" else ""
        token = citizen_token(self.settings, case.reference)
        link = (
            f"{self.settings.public_url.rstrip('/')}{prefix}/inquiries/{case.reference}"
            f"?token={token}"
        )
        footer = words["footer"].format(reference=case.reference, link=link)
        return Email(
            to=address,
            subject=words["subject"].format(reference=case.reference),
            body=f"{reply.text}\n\n---\n{footer}\n\n{self.settings.organisation_name}\n",
            reply=reply.text,
            reference=case.reference,
            link=link,
        )

    def _record_failure(
        self, outbox_id: int, attempt: int, failure: DeliveryFailed
    ) -> DeliveryReport:
        if failure.permanent or attempt >= self.settings.email_max_attempts:
            self._record(outbox_id, "failed", attempt, error=failure.reason)
            return DeliveryReport(failed=1)
        wait = timedelta(seconds=self.settings.email_retry_seconds * 2 ** (attempt - 1))
        self._record(
            outbox_id, "retrying", attempt, error=failure.reason, wait=min(wait, LONGEST_WAIT)
        )
        return DeliveryReport(retrying=1)

    def _record(
        self,
        outbox_id: int,
        status: str,
        attempt: int,
        *,
        provider_id: str | None = None,
        error: str | None = None,
        wait: timedelta | None = None,
    ) -> None:
        now = utcnow()
        with session_scope(self.sessions) as session:
            outbox = session.get(OutboxRow, outbox_id)
            assert outbox is not None
            outbox.status = status
            outbox.last_error = error
            if status == "sent":
                outbox.sent_at = now
                outbox.provider_id = (provider_id or "")[:200]
            outbox.next_attempt_at = now + (wait or timedelta())
            case = session.get(CaseRow, outbox.case_id)
            assert case is not None
            detail: dict[str, object] = {"provider": outbox.provider, "attempt": attempt}
            if error:
                detail["error"] = error
            action = {"sent": "email_sent", "failed": "email_failed"}.get(status, "email_retry")
            session.add(
                CaseHistoryRow(
                    case_id=case.id, at=now, actor="outbox", action=action, detail=detail
                )
            )
            record_event(
                session,
                actor="outbox",
                action=f"case.{action}",
                object_type="case",
                object_id=case.reference,
                payload=detail,
            )
        log.info("reply_email", status=status, attempt=attempt, provider=detail["provider"])
