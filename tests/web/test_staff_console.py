"""The caseworker console through the real app over HTTP: queues, a case, every action on it,
search and metrics, signed in as each role through the real sign-in form.

Every action here is a plain form post with no JavaScript, which is how the console works
without it; the browser journey is in tests/e2e/test_casework_journey.py.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from staff_login import StaffClient, add_staff, csrf_from, sign_in
from web_client import AppClient, web_settings_for

from civicdesk.casework.permissions import Role
from civicdesk.knowledge import ingest_paths, sample_council_path
from civicdesk.store import migrate
from civicdesk.store.audit import AuditEvent
from civicdesk.store.engine import session_scope
from civicdesk.web.app import create_app
from civicdesk.web.casework_views import desk_of

HANDOVER = "I want to speak to a person about my council tax"
CRISIS = "I don't want to live any more, I want to end my life"
REFERENCE = re.compile(r"CD-[0-9A-Z]{4}-[0-9A-Z]{4}")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    """The app on a migrated SQLite database holding the sample council's guidance."""
    settings = web_settings_for(tmp_path)
    application = create_app(settings)
    migrate.upgrade(application.state.engine)
    ingest_paths(settings, application.state.engine, [sample_council_path()])
    yield application
    application.state.engine.dispose()


def hand_over(client: AppClient, question: str = HANDOVER) -> str:
    """Ask a question that needs a person, as a citizen; return its reference."""
    page = client.post("/ask", data={"text": question})
    assert page.status_code == 200
    found = REFERENCE.search(page.text)
    assert found, "the answer page shows no reference"
    return found.group(0)


def staff_as(app: FastAPI, client: AppClient, role: Role, name: str = "") -> StaffClient:
    """A new account with ``role``, signed in through the form."""
    handle = (name or role.value).lower().replace(" ", ".")
    user = add_staff(app, role, email=f"{handle}@example.gov.uk", name=name or f"Test {role.value}")
    return sign_in(client, user.email)


def form_post(staff: StaffClient, page_url: str, action: str, **fields: str) -> httpx.Response:
    """Send one of the page's forms as a browser would: with the token that form carries.

    ``action`` is the form's action or a button's formaction; the token comes from the form
    that holds it, so one-time tokens are used exactly as the page hands them out.
    """
    page = staff.get(page_url)
    assert page.status_code == 200, page.text[:300]
    forms = re.findall(r"<form\b.*?</form>", page.text, flags=re.S)
    form = next(f for f in forms if f'action="{action}"' in f or f'formaction="{action}"' in f)
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    data.update(fields)
    return staff.post(action, data=data)


def text_of(response: httpx.Response) -> str:
    """The page's main content as plain text, for reading what a person would see."""
    main = response.text.split('id="main-content"', 1)[-1]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def textarea(response: httpx.Response, field_id: str) -> str:
    found = re.search(rf'<textarea[^>]*id="{field_id}"[^>]*>(.*?)</textarea>', response.text, re.S)
    assert found, f"no textarea #{field_id}"
    return html.unescape(found.group(1)).strip("\n")


# --- queues ---------------------------------------------------------------------------------


def test_queues_show_counts_and_crisis_cases_first(app: FastAPI, client: AppClient) -> None:
    normal = hand_over(client)
    crisis = hand_over(client, CRISIS)
    worker = staff_as(app, client, Role.CASEWORKER)

    page = worker.get("/staff")
    assert page.status_code == 200
    rows = re.findall(
        r'<tr class="govuk-table__row" data-queue="([^"]+)">(.*?)</tr>', page.text, re.S
    )
    counts = {key: re.search(r"data-open>(\d+)<", row).group(1) for key, row in rows}  # type: ignore[union-attr]
    assert counts["council_tax"] == "1"
    assert sum(int(n) for n in counts.values()) == 2
    listed = re.findall(r'data-reference="([^"]+)"', page.text)
    assert listed == [crisis, normal]  # crisis first
    assert 'data-priority="crisis"' in page.text

    only_tax = worker.get("/staff?queue=council_tax")
    assert re.findall(r'data-reference="([^"]+)"', only_tax.text) == [normal]
    nothing_mine = worker.get("/staff?mine=1")
    assert "No cases match these filters." in nothing_mine.text
    form_post(worker, f"/staff/cases/{normal}", f"/staff/cases/{normal}/claim")
    mine = worker.get("/staff?mine=1&status=in_progress")
    assert re.findall(r'data-reference="([^"]+)"', mine.text) == [normal]
    assert "Test caseworker" in text_of(mine)


def test_roles_without_case_access_are_refused(app: FastAPI, client: AppClient) -> None:
    reference = hand_over(client)
    analyst = staff_as(app, client, Role.ANALYST)
    auditor = staff_as(app, client, Role.AUDITOR)
    assert analyst.get("/staff").status_code == 403
    assert analyst.get(f"/staff/cases/{reference}").status_code == 403
    assert auditor.get("/staff").status_code == 403
    assert client.get("/staff").status_code == 303  # not signed in: to the sign-in page


# --- the case view --------------------------------------------------------------------------


def test_case_view_shows_redacted_conversation_sources_draft_and_history(
    app: FastAPI, client: AppClient
) -> None:
    reference = hand_over(client, HANDOVER + ". My email is jo.bloggs@example.com")
    worker = staff_as(app, client, Role.CASEWORKER)

    page = worker.get(f"/staff/cases/{reference}")
    assert page.status_code == 200
    text = text_of(page)
    assert "jo.bloggs@example.com" not in page.text
    assert "<EMAIL_ADDRESS>" in text
    assert "council tax" in text.lower()
    sources = re.findall(r'<a class="govuk-link" href="(https://[^"]+)"', page.text)
    assert any("council-tax" in url for url in sources)
    assert "The assistant drafted this reply" in text
    assert "Claim this case to edit and send the reply." in text
    assert 'data-action="opened"' in page.text and 'data-action="draft_written"' in page.text
    assert page.headers["Cache-Control"] == "no-store"

    unknown = worker.get("/staff/cases/CD-AAAA-2222")
    assert unknown.status_code == 404
    lower = worker.get(f"/staff/cases/{reference.lower()}", follow_redirects=False)
    assert lower.status_code == 303 and lower.headers["location"] == f"/staff/cases/{reference}"


def test_claim_edit_approve_and_send(app: FastAPI, client: AppClient) -> None:
    reference = hand_over(client)
    worker = staff_as(app, client, Role.CASEWORKER, "Alex Caseworker")
    case_url = f"/staff/cases/{reference}"

    claimed = form_post(worker, case_url, f"{case_url}/claim")
    assert claimed.status_code == 303 and claimed.headers["location"] == f"{case_url}?done=claimed"
    page = worker.get(claimed.headers["location"])
    assert "You hold this case now." in text_of(page)
    draft = textarea(page, "reply-text")
    assert reference in draft  # the AI draft is in the editor

    edited = draft.replace("Hello,", "Dear resident,", 1) + "\n\nYours, Alex"
    saved = form_post(worker, case_url, f"{case_url}/draft", text=edited)
    assert saved.status_code == 303
    page = worker.get(saved.headers["location"])
    assert "Your draft is saved. It has not been sent." in text_of(page)
    assert textarea(page, "reply-text") == edited.replace("\r\n", "\n")

    sent = form_post(worker, case_url, f"{case_url}/reply", text=edited)
    assert sent.status_code == 303 and sent.headers["location"].endswith("done=sent")
    page = worker.get(sent.headers["location"])
    text = text_of(page)
    assert "Your reply is sent." in text
    assert "The assistant's draft, edited (" in text
    assert "Yours, Alex" in text
    assert 'data-delivery="page"' in page.text
    assert 'data-action="reply_sent"' in page.text
    assert textarea(page, "reply-text") == ""  # a follow-up starts from a clean page
    assert "A reply has gone to the citizen" in text

    follow_up = "One more thing: your next bill arrives in March."
    form_post(worker, case_url, f"{case_url}/draft", text=follow_up)
    assert textarea(worker.get(case_url), "reply-text") == follow_up


def test_approving_the_draft_unchanged_is_recorded(app: FastAPI, client: AppClient) -> None:
    reference = hand_over(client)
    worker = staff_as(app, client, Role.CASEWORKER)
    case_url = f"/staff/cases/{reference}"
    form_post(worker, case_url, f"{case_url}/claim")
    draft = textarea(worker.get(case_url), "reply-text")
    form_post(worker, case_url, f"{case_url}/reply", text=draft)
    assert "The assistant's draft, approved unchanged." in text_of(worker.get(case_url))


def test_discard_the_draft_and_write_your_own(app: FastAPI, client: AppClient) -> None:
    reference = hand_over(client)
    worker = staff_as(app, client, Role.CASEWORKER)
    case_url = f"/staff/cases/{reference}"
    form_post(worker, case_url, f"{case_url}/claim")

    discarded = form_post(worker, case_url, f"{case_url}/discard")
    assert discarded.status_code == 303
    page = worker.get(discarded.headers["location"])
    assert "The assistant's draft was discarded. Write your own reply." in text_of(page)
    assert textarea(page, "reply-text") == ""
    assert f'formaction="{case_url}/discard"' not in page.text

    form_post(worker, case_url, f"{case_url}/reply", text="We have looked into your account.")
    assert "Written by staff." in text_of(worker.get(case_url))


def test_html_in_a_reply_is_shown_as_text(app: FastAPI, client: AppClient) -> None:
    reference = hand_over(client)
    worker = staff_as(app, client, Role.CASEWORKER)
    case_url = f"/staff/cases/{reference}"
    form_post(worker, case_url, f"{case_url}/claim")
    hostile = '<script>alert("x")</script><b onclick="steal()">bold</b>'
    form_post(worker, case_url, f"{case_url}/reply", text=hostile)

    page = worker.get(case_url)
    assert "<script>alert" not in page.text and "<b onclick" not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    assert hostile in text_of(page)


def test_an_empty_reply_is_refused_with_a_message(app: FastAPI, client: AppClient) -> None:
    reference = hand_over(client)
    worker = staff_as(app, client, Role.CASEWORKER)
    case_url = f"/staff/cases/{reference}"
    form_post(worker, case_url, f"{case_url}/claim")
    refused = form_post(worker, case_url, f"{case_url}/reply", text="   ")
    assert refused.status_code == 422
    assert "govuk-error-summary" in refused.text
    assert "The reply is empty." in text_of(refused)
    assert 'href="#reply-text"' in refused.text


def test_a_stale_edit_shows_both_versions(app: FastAPI, client: AppClient) -> None:
    reference = hand_over(client)
    worker = staff_as(app, client, Role.CASEWORKER)
    case_url = f"/staff/cases/{reference}"
    form_post(worker, case_url, f"{case_url}/claim")

    # Two tabs on the same case: both loaded at the same version.
    first_tab = worker.get(case_url)
    version = re.search(r'name="version" value="(\d+)"', first_tab.text).group(1)  # type: ignore[union-attr]
    theirs = "Their version: your band was reduced from April."
    yours = "Your version: <we> will check your band & reply."
    assert (
        worker.post(f"{case_url}/draft", data={"version": version, "text": theirs}).status_code
        == 303
    )

    stale = worker.post(f"{case_url}/reply", data={"version": version, "text": yours})
    assert stale.status_code == 409
    text = text_of(stale)
    assert "changed while you were working on it" in text
    assert theirs in text  # the version now saved
    assert textarea(stale, "reply-text") == yours  # and theirs, kept in an editor
    assert "&lt;we&gt; will check your band &amp; reply." in stale.text
    assert 'data-action="reply_sent"' not in worker.get(case_url).text  # nothing was sent

    # From the conflict page, sending theirs-or-yours works at the new version.
    resent = form_post(worker, case_url, f"{case_url}/reply", text=yours)
    assert resent.status_code == 303


def test_a_stale_status_change_shows_both(app: FastAPI, client: AppClient) -> None:
    reference = hand_over(client)
    worker = staff_as(app, client, Role.CASEWORKER)
    case_url = f"/staff/cases/{reference}"
    form_post(worker, case_url, f"{case_url}/claim")
    page = worker.get(case_url)
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)  # type: ignore[union-attr]
    form_post(worker, case_url, f"{case_url}/draft", text="A newer draft")
    stale = worker.post(f"{case_url}/status", data={"version": version, "status": "resolved"})
    assert stale.status_code == 409
    assert re.search(r'<option value="resolved"\s+selected', stale.text)


def test_status_change_and_a_bad_status(app: FastAPI, client: AppClient) -> None:
    reference = hand_over(client)
    worker = staff_as(app, client, Role.CASEWORKER)
    case_url = f"/staff/cases/{reference}"
    form_post(worker, case_url, f"{case_url}/claim")

    changed = form_post(worker, case_url, f"{case_url}/status", status="waiting_for_citizen")
    assert changed.status_code == 303
    page = worker.get(changed.headers["location"])
    assert 'data-status="waiting_for_citizen"' in page.text
    assert "The status is changed." in text_of(page)

    bad = form_post(worker, case_url, f"{case_url}/status", status="on_fire")
    assert bad.status_code == 422
    assert "Choose a status from the list" in text_of(bad)

    reopened_as_new = form_post(worker, case_url, f"{case_url}/status", status="new")
    assert reopened_as_new.status_code == 422 or reopened_as_new.status_code == 409
    assert "release it" in text_of(reopened_as_new)


def test_notes_are_redacted_and_an_oversized_note_is_refused_and_kept(
    app: FastAPI, client: AppClient
) -> None:
    reference = hand_over(client)
    worker = staff_as(app, client, Role.CASEWORKER)
    case_url = f"/staff/cases/{reference}"

    added = form_post(
        worker, case_url, f"{case_url}/notes", text="Called back on 07700 900123, no answer."
    )
    assert added.status_code == 303
    page = worker.get(added.headers["location"])
    assert "07700 900123" not in page.text
    assert "Called back on" in text_of(page)

    too_long = "Long note. " * 1_000 + "The end."
    refused = form_post(worker, case_url, f"{case_url}/notes", text=too_long)
    assert refused.status_code == 422
    assert "govuk-error-summary" in refused.text
    assert 'href="#note-text"' in refused.text
    text = text_of(refused)
    assert "the limit is 10,000" in text
    assert "govuk-form-group--error" in refused.text
    assert textarea(refused, "note-text") == too_long  # nothing typed is lost
    assert refused.text.count("Long note.") >= 1_000


def test_only_one_caseworker_holds_a_case_and_a_supervisor_can_release_it(
    app: FastAPI, client: AppClient
) -> None:
    reference = hand_over(client)
    case_url = f"/staff/cases/{reference}"
    first = staff_as(app, client, Role.CASEWORKER, "Sam First")
    second = staff_as(app, client, Role.CASEWORKER, "Kim Second")
    supervisor = staff_as(app, client, Role.SUPERVISOR, "Pat Supervisor")

    # Both load the page while the case is free; the second claim loses.
    first_page, second_page = first.get(case_url), second.get(case_url)
    token_first = csrf_from(first_page.text.split(f'action="{case_url}/claim"')[1])
    token_second = csrf_from(second_page.text.split(f'action="{case_url}/claim"')[1])
    assert first.post(f"{case_url}/claim", data={"csrf_token": token_first}).status_code == 303
    lost = second.post(f"{case_url}/claim", data={"csrf_token": token_second})
    assert lost.status_code == 409
    assert "govuk-error-summary" in lost.text
    assert "Sam First" in text_of(lost)

    seen_by_second = second.get(case_url)
    assert f'action="{case_url}/release"' not in seen_by_second.text
    assert "Sam First holds this case." in text_of(seen_by_second)
    not_theirs = second.post(f"{case_url}/release")  # a crafted form: still refused
    assert not_theirs.status_code == 409
    assert "govuk-error-summary" in not_theirs.text

    seen_by_supervisor = supervisor.get(case_url)
    assert "Release Sam First&#39;s claim" in seen_by_supervisor.text
    released = form_post(supervisor, case_url, f"{case_url}/release")
    assert released.status_code == 303
    page = supervisor.get(released.headers["location"])
    assert "Held by Nobody" in text_of(page)


def test_a_reply_sent_after_losing_the_claim_is_kept_read_only(
    app: FastAPI, client: AppClient
) -> None:
    reference = hand_over(client)
    case_url = f"/staff/cases/{reference}"
    worker = staff_as(app, client, Role.CASEWORKER, "Sam First")
    supervisor = staff_as(app, client, Role.SUPERVISOR, "Pat Supervisor")
    form_post(worker, case_url, f"{case_url}/claim")

    # The caseworker has the editor open; meanwhile a supervisor releases the claim.
    editor = worker.get(case_url)
    version = re.search(r'name="version" value="(\d+)"', editor.text).group(1)  # type: ignore[union-attr]
    token = csrf_from(editor.text.split('id="reply-form"', 1)[1])
    assert form_post(supervisor, case_url, f"{case_url}/release").status_code == 303

    typed = "Dear resident,\n\nWe have <checked> your band & it is correct."
    for action in ("reply", "draft"):
        refused = worker.post(
            f"{case_url}/{action}", data={"version": version, "text": typed, "csrf_token": token}
        )
        assert refused.status_code == 409
        assert "govuk-error-summary" in refused.text
        assert 'href="#kept-text"' in refused.text
        text = text_of(refused)
        assert "Claim the case before you change it." in text
        assert "your text was not saved or sent" in text
        assert textarea(refused, "kept-text") == typed  # nothing typed is lost
        assert re.search(r'<textarea[^>]*id="kept-text"[^>]*readonly', refused.text)
        assert "&lt;checked&gt; your band &amp; it is correct." in refused.text
        assert 'id="reply-form"' not in refused.text  # no editor: the case is not theirs
        token = csrf_from(worker.get("/staff/account").text)
    page = worker.get(case_url).text
    assert 'data-action="reply_sent"' not in page and 'data-action="draft_saved"' not in page


def test_an_admin_sees_cases_but_cannot_work_them(app: FastAPI, client: AppClient) -> None:
    reference = hand_over(client)
    admin = staff_as(app, client, Role.ADMIN)
    page = admin.get(f"/staff/cases/{reference}")
    assert page.status_code == 200
    assert "/claim" not in page.text and 'id="note-text"' not in page.text
    assert f'action="/staff/cases/{reference}/reveal"' in page.text


def audit_actions(app: FastAPI, reference: str) -> list[str]:
    with session_scope(app.state.sessions) as session:
        rows = session.query(AuditEvent).filter(AuditEvent.object_id == reference)
        return [row.action for row in rows]


def test_revealing_the_original_shows_it_on_that_response_only_and_is_audited(
    app: FastAPI, client: AppClient
) -> None:
    # A case from another channel keeps its original sealed, so it can be revealed.
    phoned = desk_of(app).create_case(
        HANDOVER + ". Call me back on 07700 900123.", actor="api", channel="phone"
    )
    reference = phoned.reference
    worker = staff_as(app, client, Role.CASEWORKER)
    case_url = f"/staff/cases/{reference}"
    page = worker.get(case_url)
    assert "07700 900123" not in page.text and "&lt;PHONE_NUMBER&gt;" in page.text

    shown = form_post(worker, case_url, f"{case_url}/reveal")
    assert shown.status_code == 200
    assert "07700 900123" in text_of(shown)
    assert "Your viewing of this text was recorded" in text_of(shown)
    assert shown.headers["Cache-Control"] == "no-store"
    assert "case.original_viewed" in audit_actions(app, reference)
    assert "07700 900123" not in worker.get(case_url).text  # not kept on the page


def test_a_web_question_has_no_original_to_reveal(app: FastAPI, client: AppClient) -> None:
    reference = hand_over(client, HANDOVER + ". My phone is 07700 900123")
    worker = staff_as(app, client, Role.CASEWORKER)
    case_url = f"/staff/cases/{reference}"
    shown = form_post(worker, case_url, f"{case_url}/reveal")
    assert shown.status_code == 200
    assert "The original text was not kept" in text_of(shown)
    assert "07700 900123" not in shown.text
    assert "case.original_requested" in audit_actions(app, reference)


def test_a_replayed_form_token_is_refused(app: FastAPI, client: AppClient) -> None:
    reference = hand_over(client)
    worker = staff_as(app, client, Role.CASEWORKER)
    case_url = f"/staff/cases/{reference}"
    page = worker.get(case_url)
    token = csrf_from(page.text.split(f'action="{case_url}/notes"')[1])
    first = worker.post(f"{case_url}/notes", data={"csrf_token": token, "text": "First note"})
    assert first.status_code == 303
    again = worker.post(f"{case_url}/notes", data={"csrf_token": token, "text": "Second note"})
    assert again.status_code == 403
    assert "This form has expired" in text_of(again)
    assert "Second note" not in worker.get(case_url).text


# --- search and metrics ---------------------------------------------------------------------


def test_search_by_reference_forgives_case_and_spaces(app: FastAPI, client: AppClient) -> None:
    reference = hand_over(client)
    worker = staff_as(app, client, Role.CASEWORKER)
    assert worker.get("/staff/search").status_code == 200
    compact = reference.replace("-", "")
    for typed in (
        reference,
        reference.lower(),
        f"  {compact[:2]} {compact[2:6]} {compact[6:]} ",
        compact[2:],
    ):
        found = worker.get("/staff/search", params={"reference": typed})
        assert found.status_code == 303, typed
        assert found.headers["location"] == f"/staff/cases/{reference}"

    missing = worker.get("/staff/search", params={"reference": "cd-zzzz-9999"})
    assert missing.status_code == 404
    assert "No case has the reference CD-ZZZZ-9999." in text_of(missing)
    assert "govuk-error-summary" in missing.text
    empty = worker.get("/staff/search", params={"reference": "  "})
    assert empty.status_code == 422
    assert "Enter a case reference" in text_of(empty)
    pasted = worker.get("/staff/search", params={"reference": "<b>" + "x" * 500})
    assert pasted.status_code == 422 and "<b>x" not in pasted.text


def test_a_supervisor_sees_each_queues_metrics(app: FastAPI, client: AppClient) -> None:
    reference = hand_over(client)
    hand_over(client, CRISIS)
    worker = staff_as(app, client, Role.CASEWORKER)
    case_url = f"/staff/cases/{reference}"
    form_post(worker, case_url, f"{case_url}/claim")
    draft = textarea(worker.get(case_url), "reply-text")
    form_post(worker, case_url, f"{case_url}/reply", text=draft)

    supervisor = staff_as(app, client, Role.SUPERVISOR)
    page = supervisor.get("/staff/metrics")
    assert page.status_code == 200
    rows = dict(re.findall(r'data-queue="([^"]+)">(.*?)</tr>', page.text, re.S))
    tax = re.search(
        r'<tr class="govuk-table__row" data-queue="council_tax">(.*?)</tr>.*?'
        r'<tr class="govuk-table__row" data-queue="council_tax">(.*?)</tr>',
        page.text,
        re.S,
    )
    assert tax, "the council tax queue is in both tables"
    load, drafts = tax.group(1), tax.group(2)
    assert re.search(r"data-cases>1<", load)
    assert "Under a minute" in load or "minute" in load
    assert "1 (100%)" in re.search(r"data-approved>(.*?)</td>", drafts).group(1)  # type: ignore[union-attr]
    assert len(rows) >= 2
    assert 'href="/staff/metrics"' in supervisor.get("/staff").text  # in the menu

    assert worker.get("/staff/metrics").status_code == 403
    analyst = staff_as(app, client, Role.ANALYST)
    assert analyst.get("/staff/metrics").status_code == 200
