"""Cases: opened on handover (atomically), queued and prioritised, claimed, worked, replied to."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from desks import ANSWERABLE, CRISIS, HANDOVER, VULNERABLE, Desk
from sqlalchemy import select, update

from civicdesk.assistant.service import Assistant
from civicdesk.casework.cases import (
    CaseConflict,
    CaseInputRejected,
    CaseNotFound,
    CaseStatus,
    NoteRejected,
    NotPermitted,
    OriginalNotKept,
    Priority,
    StaleEdit,
    citizen_token,
)
from civicdesk.casework.sla import WorkingCalendar
from civicdesk.domain.inquiry import Channel
from civicdesk.store.audit import AuditEvent, verify_chain
from civicdesk.store.base import utcnow
from civicdesk.store.cases import CaseHistoryRow, CaseNoteRow, CaseRow
from civicdesk.store.engine import make_sessionmaker, session_scope
from civicdesk.store.inquiries import InquiryRow


def audit_actions(env: Desk, reference: str) -> list[str]:
    return [e.action for e in env.rows(AuditEvent, object_id=reference)]


# --- opening ----------------------------------------------------------------------------------


def test_a_handover_opens_a_case_with_history_audit_and_draft(desk_on: Desk) -> None:
    env = desk_on
    reference = env.handed_over(HANDOVER)
    [row] = env.rows(CaseRow, reference=reference)
    assert (row.queue, row.status, row.priority) == ("complaints", "new", Priority.NORMAL)
    assert row.summary.startswith("I want to make a formal complaint")
    assert row.draft_state == "pending" and row.draft_text == row.ai_draft
    case = env.desk.find(reference)
    assert case is not None
    assert [h.action for h in case.history] == ["opened", "draft_written"]
    assert "because: reason:handover:complaint" in case.history[0].detail
    assert case.conversation[0].sender == "citizen"
    assert case.conversation[0].text == HANDOVER
    assert case.trace and case.trace[0]["stage"] == "intake"
    assert {"inquiry.completed", "case.opened", "case.draft_written"} <= set(
        audit_actions(env, reference)
    )
    with make_sessionmaker(env.engine)() as session:
        assert verify_chain(session).ok


def test_an_answered_question_opens_no_case(desk: Desk) -> None:
    reply = desk.ask(ANSWERABLE)
    assert reply.outcome.value == "answered"
    assert desk.rows(CaseRow, reference=reply.reference) == []
    assert desk.desk.find(reply.reference) is None


class Crash(BaseException):
    """Not an Exception: like the process dying mid-transaction."""


def test_the_case_and_the_handed_over_inquiry_are_stored_together_or_not_at_all(
    desk: Desk,
) -> None:
    def crash(*_: object) -> None:
        raise Crash

    crashing = Assistant.from_settings(
        desk.settings, desk.engine, on_handover=[desk.desk.on_handover, crash]
    )
    with pytest.raises(Crash):
        crashing.ask(HANDOVER, channel=Channel.WEB)
    [inquiry] = desk.rows(InquiryRow)
    assert inquiry.status == "received" and not inquiry.needs_person  # rolled back whole
    assert desk.rows(CaseRow) == []


def test_a_failing_hook_costs_the_citizen_nothing_and_sync_repairs_it(desk: Desk) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("bug in a hook")

    flaky = Assistant.from_settings(desk.settings, desk.engine, on_handover=[broken])
    reply = flaky.ask(HANDOVER, channel=Channel.WEB)
    assert reply.outcome.value == "handed_over"
    assert desk.rows(CaseRow) == []
    assert desk.desk.sync() == 1
    assert desk.desk.sync() == 0  # idempotent
    [row] = desk.rows(CaseRow)
    assert row.reference == reply.reference
    assert [h.actor for h in desk.rows(CaseHistoryRow, case_id=row.id)] == ["sync"]


def test_the_console_catches_up_on_first_use(desk: Desk) -> None:
    plain = Assistant.from_settings(desk.settings, desk.engine)
    reference = plain.ask(HANDOVER, channel=Channel.WEB).reference
    assert [c.reference for c in desk.desk.list_cases()] == [reference]


class Ticker:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_the_console_keeps_catching_up_not_only_once(desk: Desk) -> None:
    ticker = Ticker()
    desk.desk.opening.clock = ticker
    assert desk.desk.list_cases() == []  # the first catch-up, with nothing to do
    plain = Assistant.from_settings(desk.settings, desk.engine)  # no hook: as if it failed
    reference = plain.ask(HANDOVER, channel=Channel.WEB).reference
    ticker.now += 5
    assert desk.desk.list_cases() == []  # not on every page
    ticker.now += 60
    assert [c.reference for c in desk.desk.list_cases()] == [reference]
    assert [q.open for q in desk.desk.queues() if q.key == "complaints"] == [1]


def test_a_case_opened_late_is_dated_from_the_inquiry(desk: Desk) -> None:
    ticker = Ticker()
    desk.desk.opening.clock = ticker
    desk.desk.list_cases()  # caught up; the next minute's pages do not sync again
    plain = Assistant.from_settings(desk.settings, desk.engine)  # no hook: as if it failed
    looked_at, synced = (plain.ask(HANDOVER, channel=Channel.WEB).reference for _ in range(2))
    asked = (utcnow() - timedelta(days=30)).replace(microsecond=0)
    with session_scope(make_sessionmaker(desk.engine)) as session:
        session.execute(
            update(InquiryRow).values(created_at=asked, completed_at=asked + timedelta(seconds=2))
        )
    days = {q.key: q.sla_working_days for q in desk.desk.queues()}

    first_look = desk.desk.find(looked_at)  # opened by the first look
    assert first_look is not None
    assert desk.desk.sync() == 1  # and the other by the sync
    late = desk.desk.find(synced)
    assert late is not None
    received = asked + timedelta(seconds=2)  # completed_at, when the handover happened
    for case in (first_look, late):
        assert case.created_at == received
        assert case.due_at == WorkingCalendar().due_at(received, days[case.queue])
        assert case.breached  # weeks past its deadline: the wait counts from the question
        assert [h.actor for h in case.history][:1] == ["sync"]


def test_the_audit_trail_gets_no_vulnerability(desk: Desk) -> None:
    reference = desk.handed_over(VULNERABLE)
    [opened] = [e for e in desk.rows(AuditEvent, object_id=reference) if e.action == "case.opened"]
    assert json.loads(opened.payload) == {"queue": "council_tax", "priority": "vulnerable"}
    assert "disability" not in opened.payload
    case = desk.desk.find(reference)
    assert case is not None and case.vulnerability == "disability"  # kept in case history
    crisis = desk.handed_over(CRISIS)
    [opened] = [e for e in desk.rows(AuditEvent, object_id=crisis) if e.action == "case.opened"]
    assert json.loads(opened.payload) == {"queue": "safeguarding", "priority": "crisis"}


def test_evaluation_runs_never_become_cases(desk: Desk) -> None:
    reply = desk.ask(HANDOVER, channel=Channel.EVAL)
    assert reply.outcome.value == "handed_over"
    assert desk.desk.sync() == 0
    assert desk.desk.find(reply.reference) is None
    assert desk.rows(CaseRow) == []


def test_asking_for_a_person_opens_a_case_once(desk: Desk) -> None:
    reply = desk.ask(ANSWERABLE)
    assert desk.assistant.request_person(reply.reference)
    assert desk.assistant.request_person(reply.reference)
    [row] = desk.rows(CaseRow, reference=reply.reference)
    assert row.queue == "care"  # the blue badge page's queue
    [inquiry] = desk.rows(InquiryRow, reference=reply.reference)
    assert "citizen_asked_for_person" in inquiry.reasons


# --- queues and priority -----------------------------------------------------------------------


def test_crisis_first_then_vulnerable_then_normal(desk: Desk) -> None:
    normal = desk.handed_over(HANDOVER)
    vulnerable = desk.handed_over(VULNERABLE)
    crisis = desk.handed_over(CRISIS)
    listed = desk.desk.list_cases()
    assert [c.reference for c in listed] == [crisis, vulnerable, normal]
    assert [c.priority for c in listed] == [Priority.CRISIS, Priority.VULNERABLE, Priority.NORMAL]
    assert [c.queue for c in listed] == ["safeguarding", "council_tax", "complaints"]
    detail = desk.desk.find(vulnerable)
    assert detail is not None and detail.vulnerability == "disability"
    queues = {q.key: q for q in desk.desk.queues()}
    assert (queues["safeguarding"].open, queues["general"].open) == (1, 0)
    assert desk.desk.list_cases(queue="safeguarding")[0].reference == crisis


def test_a_crisis_draft_starts_with_the_help_lines(desk: Desk) -> None:
    case = desk.desk.find(desk.handed_over(CRISIS))
    assert case is not None and case.draft is not None
    first_line = case.draft.text.splitlines()[0]
    assert first_line.startswith("If you or someone else is in danger now, call 999.")
    assert "Samaritans: 116 123" in case.draft.text
    assert case.draft.text.index("Samaritans") < case.draft.text.index("Thank you")


# --- claiming and working ----------------------------------------------------------------------


def test_claim_release_and_who_may_release(desk: Desk) -> None:
    alice, bob, sam = desk.staff["alice"], desk.staff["bob"], desk.staff["sam"]
    reference = desk.handed_over()
    claimed = desk.desk.claim(reference, alice)
    assert (claimed.status, claimed.assignee, claimed.assignee_id) == (
        CaseStatus.IN_PROGRESS,
        "Alice",
        alice.id,
    )
    assert desk.desk.claim(reference, alice).version == claimed.version  # again: no change
    with pytest.raises(CaseConflict, match="Alice is already working on case"):
        desk.desk.claim(reference, bob)
    with pytest.raises(NotPermitted):
        desk.desk.release(reference, bob)
    released = desk.desk.release(reference, sam)  # a supervisor may
    assert (released.status, released.assignee) == (CaseStatus.NEW, None)
    assert desk.desk.claim(reference, bob).assignee == "Bob"
    assert [h.action for h in released.history][-2:] == ["claimed", "released"]
    assert "from: Alice" in released.history[-1].detail
    assert desk.desk.list_cases(mine=bob.id)[0].reference == reference
    assert desk.desk.list_cases(mine=alice.id) == []


def test_working_a_case_needs_the_claim(desk: Desk) -> None:
    reference = desk.handed_over()
    case = desk.desk.find(reference)
    assert case is not None
    with pytest.raises(CaseConflict, match="is not claimed"):
        desk.desk.save_draft(reference, desk.staff["alice"], "text", case.version)
    desk.desk.claim(reference, desk.staff["alice"])
    with pytest.raises(CaseConflict, match="Alice is working on case"):
        desk.desk.send_reply(reference, desk.staff["bob"], "hello", case.version + 1)
    with pytest.raises(CaseNotFound):
        desk.desk.claim("CD-XXXX-XXXX", desk.staff["alice"])


def test_a_stale_edit_keeps_both_versions(desk_on: Desk) -> None:
    desk = desk_on
    alice = desk.staff["alice"]
    reference = desk.handed_over()
    seen = desk.desk.claim(reference, alice)
    assert seen.draft is not None
    newer = desk.desk.save_draft(reference, alice, "First edit, in another tab.", seen.version)
    with pytest.raises(StaleEdit) as stale:
        desk.desk.save_draft(reference, alice, "My edit from the old page.", seen.version)
    assert stale.value.yours == "My edit from the old page."
    assert stale.value.current.draft is not None
    assert stale.value.current.draft.text == "First edit, in another tab."
    assert stale.value.current.version == newer.version
    assert stale.value.code == "E703"


def test_approving_the_draft_unchanged(desk_on: Desk) -> None:
    desk = desk_on
    alice = desk.staff["alice"]
    reference = desk.handed_over()
    case = desk.desk.claim(reference, alice)
    assert case.draft is not None
    sent = desk.desk.send_reply(reference, alice, case.draft.text, case.version)
    [reply] = sent.replies
    assert (reply.source, reply.edit_distance, reply.delivery_state) == ("approved", 0, "page")
    assert sent.draft is not None and sent.draft.state == "approved" and sent.draft.sent
    assert sent.conversation[-1].sender == "staff"
    [metrics] = desk.desk.metrics("complaints")
    assert (metrics.approved, metrics.edited, metrics.own, metrics.open) == (1, 0, 0, 1)
    assert metrics.first_response_median is not None


def test_editing_the_draft_records_the_edit_distance(desk: Desk) -> None:
    alice = desk.staff["alice"]
    reference = desk.handed_over()
    case = desk.desk.claim(reference, alice)
    assert case.draft is not None
    edited = case.draft.text.replace("Hello,", "Dear resident,") + "\n\nWith best wishes"
    saved = desk.desk.save_draft(reference, alice, edited, case.version)
    assert saved.draft is not None and saved.draft.state == "edited"
    sent = desk.desk.send_reply(reference, alice, edited, saved.version)
    assert (sent.replies[0].source, sent.replies[0].edit_distance) == ("edited", 5)
    [metrics] = desk.desk.metrics("complaints")
    assert (metrics.edited, metrics.mean_edit_distance) == (1, 5.0)


def test_discarding_the_draft_and_writing_an_own_reply(desk: Desk) -> None:
    alice = desk.staff["alice"]
    reference = desk.handed_over()
    case = desk.desk.claim(reference, alice)
    discarded = desk.desk.discard_draft(reference, alice, case.version)
    assert discarded.draft is not None and discarded.draft.state == "discarded"
    assert discarded.draft.text == "" and discarded.draft.ai_text
    own = "We have looked into your complaint and will call you on Monday."
    saved = desk.desk.save_draft(reference, alice, own, discarded.version)
    assert saved.draft is not None and saved.draft.state == "discarded"  # still their own
    sent = desk.desk.send_reply(reference, alice, own, saved.version)
    assert sent.replies[0].source == "own"
    second = desk.desk.send_reply(reference, alice, "A follow-up.", sent.version)
    assert [r.source for r in second.replies] == ["own", "own"]
    [metrics] = desk.desk.metrics("complaints")
    assert (metrics.own, metrics.discarded, metrics.approved) == (1, 1, 0)


def test_html_in_a_reply_is_stored_as_typed(desk: Desk) -> None:
    alice = desk.staff["alice"]
    reference = desk.handed_over()
    case = desk.desk.claim(reference, alice)
    text = '<script>alert("x")</script> & <b>bold</b>'
    sent = desk.desk.send_reply(reference, alice, text, case.version)
    assert sent.replies[0].text == text  # the templates escape it when shown


def test_replies_and_drafts_have_limits(desk: Desk) -> None:
    alice = desk.staff["alice"]
    reference = desk.handed_over()
    case = desk.desk.claim(reference, alice)
    with pytest.raises(CaseInputRejected, match="empty"):
        desk.desk.send_reply(reference, alice, "   ", case.version)
    with pytest.raises(CaseInputRejected, match="the limit is 20,000"):
        desk.desk.save_draft(reference, alice, "x" * 20_001, case.version)


def test_statuses_follow_the_allowed_transitions(desk_on: Desk) -> None:
    desk = desk_on
    alice = desk.staff["alice"]
    reference = desk.handed_over()
    case = desk.desk.claim(reference, alice)
    waiting = desk.desk.set_status(reference, alice, CaseStatus.WAITING, case.version)
    assert waiting.status == CaseStatus.WAITING
    with pytest.raises(CaseConflict, match="release it"):
        desk.desk.set_status(reference, alice, CaseStatus.NEW, waiting.version)
    resolved = desk.desk.set_status(reference, alice, CaseStatus.RESOLVED, waiting.version)
    assert desk.desk.list_cases() == []
    assert [c.reference for c in desk.desk.list_cases(status=CaseStatus.RESOLVED)] == [reference]
    closed = desk.desk.set_status(reference, alice, CaseStatus.CLOSED, resolved.version)
    with pytest.raises(CaseConflict, match="cannot go from closed to in_progress"):
        desk.desk.set_status(reference, alice, CaseStatus.IN_PROGRESS, closed.version)
    assert [h.detail for h in closed.history if h.action == "status_changed"] == [
        "from: in_progress, to: waiting_for_citizen",
        "from: waiting_for_citizen, to: resolved",
        "from: resolved, to: closed",
    ]
    [metrics] = desk.desk.metrics("complaints")
    assert metrics.resolution_median is not None and metrics.open == 0


# --- notes and originals -----------------------------------------------------------------------


def test_notes_are_redacted_and_limited(desk: Desk) -> None:
    alice = desk.staff["alice"]
    reference = desk.handed_over()
    case = desk.desk.add_note(reference, alice, "Rang back on 07700 900123, NI JH 12 34 56 C.")
    [note] = case.notes
    assert "07700" not in note.text and "JH 12" not in note.text
    assert "<UK_NINO>" in note.text and note.author == "Alice"
    [stored] = desk.rows(CaseNoteRow)
    assert "JH 12 34 56 C" not in stored.text  # sealed, not kept in clear
    with pytest.raises(NoteRejected, match="the limit is 10,000"):
        desk.desk.add_note(reference, alice, "x" * 10_001)
    with pytest.raises(NoteRejected, match="empty"):
        desk.desk.add_note(reference, alice, " \n ")


def test_the_original_of_a_web_question_was_not_kept(desk: Desk) -> None:
    reference = desk.handed_over(HANDOVER + " My NI number is JH 12 34 56 C.")
    with pytest.raises(OriginalNotKept, match="removed: UK_NINO"):
        desk.desk.reveal_original(reference, desk.staff["alice"])
    assert "case.original_requested" in audit_actions(desk, reference)


def test_revealing_a_sealed_original_needs_permission_and_is_audited(desk_on: Desk) -> None:
    desk = desk_on
    case = desk.desk.create_case(
        "Caller says NI number JH 12 34 56 C and wants to complain about a missed bin.",
        actor="staff:1",
        channel="phone",
    )
    assert "JH 12" not in case.conversation[0].text
    assert "<UK_NINO>" in case.conversation[0].text
    with pytest.raises(NotPermitted):
        desk.desk.reveal_original(case.reference, desk.staff["ann"])  # analyst
    original = desk.desk.reveal_original(case.reference, desk.staff["alice"])
    assert "JH 12 34 56 C" in original
    actions = audit_actions(desk, case.reference)
    assert "case.reveal_refused" in actions and "privacy.reveal" in actions
    revealed = [e for e in desk.rows(AuditEvent, action="privacy.reveal")]
    assert "JH 12" not in revealed[0].payload
    assert json.loads(revealed[0].payload)["types"] == ["UK_NINO"]


# --- other channels and the citizen ------------------------------------------------------------


def test_a_case_from_another_channel(desk: Desk) -> None:
    case = desk.desk.create_case(
        "I want to kill myself. Please ring me.",
        actor="api-key",
        channel="phone",
        email="citizen@example.com",
    )
    assert (case.priority, case.queue, case.channel) == (Priority.CRISIS, "safeguarding", "phone")
    assert case.has_contact and case.draft is not None
    assert case.draft.text.startswith("If you or someone else is in danger now")
    [row] = desk.rows(CaseRow, reference=case.reference)
    assert row.contact is not None and "citizen@example.com" not in row.contact
    with pytest.raises(CaseInputRejected, match="correct format"):
        desk.desk.create_case("Help with my bins", actor="api-key", email="not-an-address")
    with pytest.raises(CaseInputRejected, match="channel"):
        desk.desk.create_case("Help with my bins", actor="api-key", channel="Phone Line!")
    assert len(desk.rows(CaseRow)) == 1  # nothing stored for the refused ones


def test_the_citizen_sees_replies_with_the_right_token_only(desk: Desk) -> None:
    alice = desk.staff["alice"]
    reference = desk.handed_over()
    token = citizen_token(desk.settings, reference)
    assert desk.desk.citizen_view(reference, "wrong-token") is None
    assert desk.desk.citizen_view(reference, token[:-1]) is None
    view = desk.desk.citizen_view(reference.lower(), token)
    assert view is not None and view.replies == [] and view.status == CaseStatus.NEW
    case = desk.desk.claim(reference, alice)
    desk.desk.send_reply(reference, alice, "We have booked a collection.", case.version)
    view = desk.desk.citizen_view(reference, token)
    assert view is not None
    assert [r.text for r in view.replies] == ["We have booked a collection."]
    assert view.replies[0].author == ""  # staff names are not shown to citizens
    assert not desk.desk.set_contact(reference, "wrong", "me@example.com")
    assert desk.desk.set_contact(reference, token, "me@example.com")
    [row] = desk.rows(CaseRow, reference=reference)
    assert row.contact is not None and "me@example.com" not in row.contact
    with desk.engine.connect() as connection:
        dumped = " ".join(
            str(value)
            for table in ("cases", "case_history", "audit_events")
            for record in connection.execute(select(CaseRow.__table__.metadata.tables[table]))
            for value in record
        )
    assert "me@example.com" not in dumped


def test_queue_metrics_count_breaches(desk: Desk) -> None:
    reference = desk.handed_over()
    with make_sessionmaker(desk.engine)() as session, session.begin():
        row = session.execute(select(CaseRow).where(CaseRow.reference == reference)).scalar_one()
        row.due_at = row.created_at  # already late
    [metrics] = desk.desk.metrics("complaints")
    assert (metrics.breached, metrics.open, metrics.cases) == (1, 1, 1)
    assert {q.key: q.breached for q in desk.desk.queues()}["complaints"] == 1
    assert desk.desk.list_cases()[0].breached
