"""Working a case: claim and release, drafts and replies, status, notes, the original text.

Every change is a conditional UPDATE checked by its row count, so it is safe with several web
workers on SQLite or PostgreSQL: a claim only takes a case nobody holds
(``WHERE assignee_id IS NULL``), and an edit only lands on the version the editor saw, by the
person holding the case (``WHERE version = :seen AND assignee_id = :me``).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, update
from sqlalchemy.orm import Session

from civicdesk.casework.delivery import Outbox
from civicdesk.casework.drafts import word_edit_distance
from civicdesk.casework.errors import (
    MAX_NOTE_CHARS,
    MAX_REPLY_CHARS,
    CaseConflict,
    NoteRejected,
    NotPermitted,
    OriginalNotKept,
    StaleEdit,
    check_size,
)
from civicdesk.casework.ledger import Ledger, Staff, actor_of, normalise
from civicdesk.casework.permissions import allowed
from civicdesk.casework.reading import staff_names
from civicdesk.casework.status import CaseStatus, may_move
from civicdesk.casework.views import CaseDetail
from civicdesk.privacy import PrivacyEngine
from civicdesk.privacy.operators import SEALED, Seal
from civicdesk.privacy.reveal import reveal
from civicdesk.store.audit import record_event
from civicdesk.store.base import utcnow
from civicdesk.store.cases import CaseNoteRow, CaseReplyRow, CaseRow
from civicdesk.store.engine import session_scope
from civicdesk.store.inquiries import get_inquiry

Change = Callable[[Session, CaseRow], dict[str, object]]


class _Stale(Exception):
    """Raised inside a transaction; turned into StaleEdit once it is rolled back."""


class Workbench:
    def __init__(self, ledger: Ledger, outbox: Outbox, privacy: PrivacyEngine, seal: Seal) -> None:
        self.ledger = ledger
        self.outbox = outbox
        self.privacy = privacy
        self.seal = seal

    # --- claiming --------------------------------------------------------------------------

    def claim(self, reference: str, user: Staff) -> CaseDetail:
        """Take the case. Exactly one of several people claiming at once gets it; claiming a
        case you already hold changes nothing."""
        ref = normalise(reference)
        with session_scope(self.ledger.sessions) as session:
            row = self.ledger.case(session, ref)
            if row.status == CaseStatus.CLOSED.value:
                raise CaseConflict(f"case {ref} is closed.", hint="A closed case stays closed.")
            taken = session.execute(
                update(CaseRow)
                .where(
                    CaseRow.id == row.id,
                    CaseRow.assignee_id.is_(None),
                    CaseRow.status != CaseStatus.CLOSED.value,
                )
                .values(
                    assignee_id=user.id,
                    status=func.coalesce(  # new becomes in progress; any other status stays
                        func.nullif(CaseRow.status, CaseStatus.NEW.value),
                        CaseStatus.IN_PROGRESS.value,
                    ),
                    version=CaseRow.version + 1,
                    updated_at=utcnow(),
                )
                .execution_options(synchronize_session=False)
            )
            holder = None
            if taken.rowcount == 1:  # type: ignore[attr-defined]
                self.ledger.record(session, row, user, "claimed", {})
            else:
                session.refresh(row)
                if row.assignee_id != user.id:
                    holder = staff_names(session, [row.assignee_id]).get(row.assignee_id or 0)
                    holder = holder or "someone else"
        if holder is not None:
            raise CaseConflict(
                f"{holder} is already working on case {ref}.",
                hint="Choose another case, or ask a supervisor to release this one.",
            )
        return self.ledger.detail(ref)

    def release(self, reference: str, user: Staff) -> CaseDetail:
        """Give the case back to its queue: its holder may, and so may a supervisor or admin."""
        ref = normalise(reference)
        with session_scope(self.ledger.sessions) as session:
            row = self.ledger.case(session, ref)
            holder = row.assignee_id
            if (
                holder is not None
                and holder != user.id
                and not allowed(user.role, "cases.reassign")
            ):
                raise NotPermitted(
                    f"you do not hold case {ref}.",
                    hint="Only the person working on it, a supervisor or an admin can release it.",
                )
            released = holder is not None and session.execute(
                update(CaseRow)
                .where(CaseRow.id == row.id, CaseRow.assignee_id == holder)
                .values(
                    assignee_id=None,
                    status=func.coalesce(  # in progress goes back to new; others stay
                        func.nullif(CaseRow.status, CaseStatus.IN_PROGRESS.value),
                        CaseStatus.NEW.value,
                    ),
                    version=CaseRow.version + 1,
                    updated_at=utcnow(),
                )
                .execution_options(synchronize_session=False)
            )
            if released and released.rowcount == 1:  # type: ignore[attr-defined]
                name = staff_names(session, [holder]).get(holder or 0, str(holder))
                self.ledger.record(session, row, user, "released", {"from": name})
        return self.ledger.detail(ref)

    # --- working a held case ---------------------------------------------------------------

    def save_draft(self, reference: str, user: Staff, text: str, version: int) -> CaseDetail:
        """Keep the caseworker's edit of the draft (nothing is sent)."""
        check_size(text, MAX_REPLY_CHARS, "draft", empty_ok=True)

        def change(session: Session, row: CaseRow) -> dict[str, object]:
            if row.draft_state == "discarded":
                state = "discarded"  # their own words since they set the AI's aside
            else:
                state = "pending" if _same(text, row.ai_draft or "") else "edited"
            self._change(session, row, version, user, draft_text=text, draft_state=state)
            return {"words": len(text.split())}

        return self._work(reference, user, version, text, "draft_saved", change)

    def discard_draft(self, reference: str, user: Staff, version: int) -> CaseDetail:
        """Set the AI draft aside to write an own reply; it is recorded as discarded."""

        def change(session: Session, row: CaseRow) -> dict[str, object]:
            if row.draft_state is None:
                raise CaseConflict(f"case {row.reference} has no draft to discard.")
            self._change(session, row, version, user, draft_text="", draft_state="discarded")
            return {}

        return self._work(reference, user, version, "", "draft_discarded", change)

    def send_reply(self, reference: str, user: Staff, text: str, version: int) -> CaseDetail:
        """Send a reply to the citizen: it appears on their page, and by email if they gave an
        address and email is on. The first reply records whether the AI draft was approved
        unchanged, edited or not used, and its edit distance in words from the AI draft."""
        check_size(text, MAX_REPLY_CHARS, "reply")
        queued: list[int] = []

        def change(session: Session, row: CaseRow) -> dict[str, object]:
            first = row.first_response_at is None
            ai = row.ai_draft if first else None
            if ai is not None and row.draft_state in ("pending", "edited"):
                source = "approved" if _same(text, ai) else "edited"
            else:
                source = "own"
            distance = word_edit_distance(ai, text) if ai is not None else None
            now = utcnow()
            values: dict[str, object] = {"first_response_at": row.first_response_at or now}
            if source != "own":
                values["draft_state"] = source
            self._change(session, row, version, user, **values)
            reply = CaseReplyRow(
                case_id=row.id,
                at=now,
                author=user.name,
                text=text,
                source=source,
                edit_distance=distance,
                draft_words=len(ai.split()) if ai is not None else None,
            )
            session.add(reply)
            session.flush()
            if row.contact is not None:
                email = self.outbox.enqueue(session, case_id=row.id, reply_id=reply.id)
                queued.extend([email] if email is not None else [])
            return {"source": source, "edit_distance": distance, "email": bool(queued)}

        detail = self._work(reference, user, version, text, "reply_sent", change)
        if not queued:
            return detail
        self.outbox.deliver(queued)  # the first try now; `civicdesk cases deliver` retries
        return self.ledger.detail(detail.reference)

    def set_status(
        self, reference: str, user: Staff, status: CaseStatus, version: int
    ) -> CaseDetail:
        target = CaseStatus(status)

        def change(session: Session, row: CaseRow) -> dict[str, object]:
            current = CaseStatus(row.status)
            if target == CaseStatus.NEW:
                raise CaseConflict("to give a case back to its queue, release it.")
            if not may_move(current, target):
                raise CaseConflict(
                    f"case {row.reference} cannot go from {current.value} to {target.value}.",
                    hint="A closed case stays closed; reopen a resolved one as in progress.",
                )
            resolved = utcnow() if target == CaseStatus.RESOLVED else None
            if target == CaseStatus.CLOSED:
                resolved = row.resolved_at or utcnow()
            self._change(session, row, version, user, status=target.value, resolved_at=resolved)
            return {"from": current.value, "to": target.value}

        return self._work(reference, user, version, target.value, "status_changed", change)

    def _work(
        self, reference: str, user: Staff, version: int, yours: str, action: str, change: Change
    ) -> CaseDetail:
        """Run ``change`` on a case ``user`` holds at ``version``; history, audit, or StaleEdit."""
        ref = normalise(reference)
        try:
            with session_scope(self.ledger.sessions) as session:
                row = self.ledger.case(session, ref)
                if row.assignee_id != user.id:
                    holder = staff_names(session, [row.assignee_id]).get(row.assignee_id or 0)
                    raise CaseConflict(
                        f"{holder} is working on case {ref}."
                        if holder
                        else f"case {ref} is not claimed.",
                        hint="Claim the case before you change it.",
                    )
                if row.version != version:
                    raise _Stale
                detail = change(session, row)
                self.ledger.record(session, row, user, action, detail)
        except _Stale:
            raise StaleEdit(self.ledger.detail(ref), yours) from None
        return self.ledger.detail(ref)

    def _change(
        self, session: Session, row: CaseRow, version: int, user: Staff, **values: object
    ) -> None:
        changed = session.execute(
            update(CaseRow)
            .where(
                CaseRow.id == row.id,
                CaseRow.version == version,
                CaseRow.assignee_id == user.id,
            )
            .values(version=CaseRow.version + 1, updated_at=utcnow(), **values)
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            raise _Stale

    # --- notes and originals ---------------------------------------------------------------

    def add_note(self, reference: str, user: Staff, text: str) -> CaseDetail:
        """An internal note, redacted by the privacy engine (originals sealed for reveal)."""
        check_size(text, MAX_NOTE_CHARS, "note", NoteRejected)
        ref = normalise(reference)
        redacted = self.privacy.redact(text, operator=self.seal)
        with session_scope(self.ledger.sessions) as session:
            row = self.ledger.case(session, ref)
            session.add(
                CaseNoteRow(case_id=row.id, at=utcnow(), author=user.name, text=redacted.text)
            )
            removed = {"removed": sorted(redacted.types)}
            self.ledger.record(session, row, user, "note_added", removed)
        return self.ledger.detail(ref)

    def reveal_original(self, reference: str, user: Staff) -> str:
        """The question with personal data put back, for permitted roles; always audited."""
        ref = normalise(reference)
        if not allowed(user.role, "cases.reveal"):
            with session_scope(self.ledger.sessions) as session:
                self.ledger.case(session, ref)
                record_event(
                    session,
                    actor=actor_of(user),
                    action="case.reveal_refused",
                    object_type="case",
                    object_id=ref,
                    payload={"role": user.role.value},
                )
            raise NotPermitted(
                f"the {user.role.value} role may not see personal data.",
                hint="Ask a caseworker, supervisor or admin.",
            )
        with session_scope(self.ledger.sessions) as session:
            row = self.ledger.case(session, ref)
            inquiry = get_inquiry(session, ref)
            assert inquiry is not None
            removed = list(inquiry.removed_data_types)
            if not SEALED.search(inquiry.text):
                self.ledger.record(session, row, user, "original_requested", {"kept": False})
                original = None
            else:
                revealed = reveal(
                    inquiry.text,
                    role=user.role.value,
                    actor=actor_of(user),
                    session=session,
                    settings=self.ledger.settings,
                    object_type="case",
                    object_id=ref,
                )
                self.ledger.record(
                    session, row, user, "original_viewed", {"values": revealed.count}
                )
                original = revealed.text
        if original is None:
            raise OriginalNotKept(
                "the original text was not kept: personal details were removed when the "
                "question arrived, and only the redacted text was stored"
                + (f" (removed: {', '.join(removed)})." if removed else "."),
                hint="Ask the citizen for the details you need in your reply.",
            )
        return original


def _same(a: str, b: str) -> bool:
    """The same words in the same order: spacing and line breaks are not edits."""
    return a.split() == b.split()
