"""The console's forms: claim, release, draft, send, discard, note, status, reveal.

Every post checks its one-time CSRF token and the permission the route table names. Success
redirects back to the case (post/redirect/get) with a banner; a refusal shows the case again
with the message and everything that was typed; a stale edit shows both versions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from civicdesk.casework.accounts import StaffUser
from civicdesk.casework.cases import (
    CaseConflict,
    CaseDesk,
    CaseDetail,
    CaseInputRejected,
    CaseNotFound,
    CaseStatus,
    OriginalNotKept,
    StaleEdit,
)
from civicdesk.web.casework_views import desk_for
from civicdesk.web.routes.staff import case_page, next_statuses, say, staff_context
from civicdesk.web.staff_auth import check_csrf, require
from civicdesk.web.templating import render

router = APIRouter(
    include_in_schema=False,
    default_response_class=HTMLResponse,
    dependencies=[Depends(check_csrf)],
)

Worker = Annotated[StaffUser, Depends(require("cases.work"))]
Viewer = Annotated[StaffUser, Depends(require("cases.view"))]
Revealer = Annotated[StaffUser, Depends(require("cases.reveal"))]
Version = Annotated[int, Form()]
Text = Annotated[str, Form()]


def existing(request: Request, reference: str) -> CaseDetail:
    case = desk_for(request).find(reference)
    if case is None:
        raise HTTPException(status_code=404)
    return case


def attempt(
    request: Request,
    user: StaffUser,
    reference: str,
    action: Callable[[CaseDesk], object],
    *,
    done: str,
    kind: str = "",
    typed: str = "",
) -> Response:
    """Run one change; answer with the case (and a banner), or with why it did not happen.

    ``kind`` names the field the typed text belongs to ("reply", "note" or "status"), so a
    refusal puts the message there and keeps ``typed`` in it.
    """
    try:
        action(desk_for(request))
    except CaseNotFound:
        raise HTTPException(status_code=404) from None
    except StaleEdit as stale:
        return conflict(request, user, stale.current, typed, kind)
    except CaseConflict as error:
        return shown_with_error(request, user, reference, say(error), kind, typed, 409)
    except CaseInputRejected as error:
        return shown_with_error(request, user, reference, say(error), kind, typed, 422)
    reference = reference.strip().upper()
    return RedirectResponse(f"/staff/cases/{reference}?done={done}", status_code=303)


FIELDS = {"reply": "reply-text", "note": "note-text", "status": "case-status"}


def shown_with_error(
    request: Request,
    user: StaffUser,
    reference: str,
    message: str,
    kind: str,
    typed: str,
    status_code: int,
) -> Response:
    """The case as it is now, the message in an error summary and on its field, text kept.

    When the case is no longer this person's (a supervisor released it, a colleague claimed
    it), there is no editor to put the reply back in: the text is shown read-only instead, so
    it can be copied rather than lost.
    """
    case = existing(request, reference)
    held_by_me = case.assignee_id == user.id
    field = FIELDS.get(kind, "claim-actions")
    extra: dict[str, object] = {}
    if kind == "note":
        extra = {"note_text": typed, "note_error": message}
    elif kind == "reply" and held_by_me:
        extra = {"editor_text": typed, "reply_error": message}
    elif kind == "reply" and typed.strip():
        extra = {"kept_text": typed, "kept_error": message}
        field = "kept-text"
    elif not held_by_me:  # the status form and the editor are only there for the holder
        field = "claim-actions"
    errors = [{"text": message, "href": "#" + field}]
    return case_page(request, user, case, status_code=status_code, errors=errors, extra=extra)


def conflict(
    request: Request, user: StaffUser, current: CaseDetail, yours: str, kind: str
) -> Response:
    """Both versions: the case as someone else left it, and this person's text in an editor."""
    options = next_statuses(current.status)
    if kind == "status":
        options = [{**option, "selected": option["value"] == yours} for option in options]
    return render(
        request,
        "staff/conflict.html",
        {
            **staff_context(),
            "case": current,
            "yours": yours,
            "kind": kind,
            "can_edit": current.assignee_id == user.id,
            "last_change": current.history[-1] if current.history else None,
            "status_options": options,
        },
        status_code=409,
    )


@router.post("/staff/cases/{reference}/claim")
def claim(request: Request, reference: str, user: Worker) -> Response:
    return attempt(
        request, user, reference, lambda desk: desk.claim(reference, user), done="claimed"
    )


@router.post("/staff/cases/{reference}/release")
def release(request: Request, reference: str, user: Viewer) -> Response:
    # Releasing your own claim is work; releasing someone else's needs cases.reassign. The
    # desk decides which applies, so a caseworker cannot release a colleague's case.
    return attempt(
        request, user, reference, lambda desk: desk.release(reference, user), done="released"
    )


@router.post("/staff/cases/{reference}/draft")
def save_draft(
    request: Request, reference: str, user: Worker, version: Version, text: Text = ""
) -> Response:
    return attempt(
        request,
        user,
        reference,
        lambda desk: desk.save_draft(reference, user, text, version),
        done="draft_saved",
        kind="reply",
        typed=text,
    )


@router.post("/staff/cases/{reference}/reply")
def send_reply(
    request: Request, reference: str, user: Worker, version: Version, text: Text = ""
) -> Response:
    return attempt(
        request,
        user,
        reference,
        lambda desk: desk.send_reply(reference, user, text, version),
        done="sent",
        kind="reply",
        typed=text,
    )


@router.post("/staff/cases/{reference}/discard")
def discard(
    request: Request, reference: str, user: Worker, version: Version, text: Text = ""
) -> Response:
    # The editor's text comes along, so a stale discard can still show what was typed.
    return attempt(
        request,
        user,
        reference,
        lambda desk: desk.discard_draft(reference, user, version),
        done="discarded",
        kind="reply",
        typed=text,
    )


@router.post("/staff/cases/{reference}/notes")
def add_note(request: Request, reference: str, user: Worker, text: Text = "") -> Response:
    return attempt(
        request,
        user,
        reference,
        lambda desk: desk.add_note(reference, user, text),
        done="note_added",
        kind="note",
        typed=text,
    )


@router.post("/staff/cases/{reference}/status")
def set_status(
    request: Request, reference: str, user: Worker, version: Version, status: Text = ""
) -> Response:
    chosen = next((s for s in CaseStatus if s.value == status), None)
    if chosen is None:
        message = "Choose a status from the list"
        return shown_with_error(request, user, reference, message, "status", "", 422)
    return attempt(
        request,
        user,
        reference,
        lambda desk: desk.set_status(reference, user, chosen, version),
        done="status",
        kind="status",
        typed=chosen.value,
    )


@router.post("/staff/cases/{reference}/reveal")
def reveal_original(request: Request, reference: str, user: Revealer) -> Response:
    """The original text, on this response only; the desk writes the audit event."""
    case = existing(request, reference)
    try:
        original = desk_for(request).reveal_original(case.reference, user)
    except OriginalNotKept as missing:
        return case_page(request, user, case, extra={"original_missing": say(missing)})
    return case_page(request, user, existing(request, reference), extra={"original": original})
