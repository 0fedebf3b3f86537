"""The caseworker console's pages: queues and cases, one case, search by reference, metrics.

Thin shells over :class:`civicdesk.casework.cases.CaseDesk`. The forms that change a case are
in :mod:`civicdesk.web.routes.staff_actions`; both render a case through :func:`case_page`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from civicdesk.casework.accounts import StaffUser
from civicdesk.casework.cases import CaseDetail, CaseStatus, Reply
from civicdesk.casework.permissions import allowed
from civicdesk.casework.status import OPEN, may_move
from civicdesk.errors import CivicdeskError
from civicdesk.web.casework_views import desk_for, duration, paragraphs, share, staff_when
from civicdesk.web.staff_auth import require
from civicdesk.web.templating import render

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

Viewer = Annotated[StaffUser, Depends(require("cases.view"))]

STATUS_NAMES = {
    CaseStatus.NEW: "New",
    CaseStatus.IN_PROGRESS: "In progress",
    CaseStatus.WAITING: "Waiting for citizen",
    CaseStatus.RESOLVED: "Resolved",
    CaseStatus.CLOSED: "Closed",
}
SENDER_NAMES = {"citizen": "Citizen", "assistant": "Assistant", "staff": "Staff"}
LANGUAGE_NAMES = {"en": "English", "cy": "Welsh (Cymraeg)"}

# What the banner says after a form posted and redirected back to the case (?done=...).
DONE = {
    "claimed": "You hold this case now. Nobody else can reply to it until you release it.",
    "released": "The case is back in its queue for anyone to claim.",
    "draft_saved": "Your draft is saved. It has not been sent.",
    "sent": "Your reply is sent. The citizen can read it on their inquiry page.",
    "discarded": "The assistant's draft is discarded. Write your own reply.",
    "note_added": "Your note is added.",
    "status": "The status is changed.",
}


def status_options(selected: str = "") -> list[dict[str, Any]]:
    return [
        {"value": status.value, "text": name, "selected": status.value == selected}
        for status, name in STATUS_NAMES.items()
    ]


def next_statuses(current: CaseStatus) -> list[dict[str, Any]]:
    """The status a held case has now and those it may move to (a release goes back to new)."""
    return [
        {"value": status.value, "text": name, "selected": status == current}
        for status, name in STATUS_NAMES.items()
        if status == current or (status != CaseStatus.NEW and may_move(current, status))
    ]


def unsent_draft(case: CaseDetail) -> str:
    """The draft text the editor starts with: empty once that text has gone to the citizen
    (sent as drafted, or edited on the way), so a follow-up starts from a clean page."""
    draft = case.draft
    if draft is None:
        return ""
    text = draft.text.strip()
    if text in {reply.text.strip() for reply in case.replies}:
        return ""
    if draft.sent and text == draft.ai_text.strip():
        return ""
    return draft.text


def reply_origin(reply: Reply) -> str:
    """How a reply was made, as the metrics count it."""
    if reply.source == "approved":
        return "The assistant's draft, approved unchanged."
    if reply.source == "edited":
        words = reply.edit_distance or 0
        return (
            f"The assistant's draft, edited ({words} {'word' if words == 1 else 'words'} changed)."
        )
    return "Written by staff."


def say(error: CivicdeskError) -> str:
    """A desk error as a sentence for the page: capitalised, with what to do."""
    text = error.message[:1].upper() + error.message[1:]
    return f"{text} {error.hint}".strip()


def staff_context() -> dict[str, Any]:
    """The helpers console templates use beyond the shared page context."""
    return {"when": staff_when, "paragraphs": paragraphs, "reply_origin": reply_origin}


def case_page(
    request: Request,
    user: StaffUser,
    case: CaseDetail,
    *,
    status_code: int = 200,
    errors: list[dict[str, str]] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> HTMLResponse:
    """The case view; actions that fail re-render it with their message and what was typed."""
    held_by_me = case.assignee_id == user.id
    can_work = allowed(user.role, "cases.work")
    editor_text = unsent_draft(case)
    context: dict[str, Any] = {
        **staff_context(),
        "case": case,
        "held_by_me": held_by_me,
        "may": {
            "work": can_work,
            "reveal": allowed(user.role, "cases.reveal"),
            "claim": can_work and case.assignee_id is None and case.status in OPEN,
            "release": case.assignee_id is not None
            and (
                (held_by_me and can_work)
                or (not held_by_me and allowed(user.role, "cases.reassign"))
            ),
        },
        "editor_text": editor_text,
        # Discarding is for the assistant's draft before it is used, not a follow-up.
        "editor_has_draft": case.draft is not None
        and case.draft.state != "discarded"
        and not case.draft.sent
        and bool(editor_text),
        "draft_used": bool(case.replies) and not editor_text,
        "language_name": LANGUAGE_NAMES.get(case.language, case.language),
        "sender_names": SENDER_NAMES,
        "status_options": next_statuses(case.status),
        "note_limit": desk_for(request).note_limit,
        "done": DONE.get(request.query_params.get("done", "")),
        "errors": errors or [],
        "original": None,
    }
    if extra:
        context.update(extra)
    return render(request, "staff/case.html", context, status_code=status_code)


@router.get("/staff")
def queues(
    request: Request, user: Viewer, queue: str = "", status: str = "", mine: str = ""
) -> HTMLResponse:
    desk = desk_for(request)
    all_queues = desk.queues()
    titles = {q.key: q.title for q in all_queues}
    queue_key = queue if queue in titles else None
    chosen = next((s for s in STATUS_NAMES if s.value == status), None)
    cases = desk.list_cases(queue=queue_key, status=chosen, mine=user.id if mine else None)
    shown = [
        titles[queue_key] if queue_key else "",
        STATUS_NAMES[chosen].lower() if chosen else "open",
        "held by you" if mine else "",
    ]
    return render(
        request,
        "staff/queues.html",
        {
            **staff_context(),
            "queues": all_queues,
            "queue_options": [{"value": q.key, "text": q.title} for q in all_queues],
            "status_options": status_options(),
            "cases": cases,
            "filters": {
                "queue": queue_key,
                "status": chosen.value if chosen else "",
                "mine": bool(mine),
                "description": ", ".join(part for part in shown if part),
            },
        },
    )


@router.get("/staff/cases/{reference}")
def case_view(request: Request, reference: str, user: Viewer) -> Response:
    case = desk_for(request).find(reference)
    if case is None:
        raise HTTPException(status_code=404)
    if case.reference != reference:
        return RedirectResponse(f"/staff/cases/{case.reference}", status_code=303)
    return case_page(request, user, case)


_SPACES_AND_DASHES = re.compile(r"[\s\-–]+")


def normalise_reference(text: str) -> str:
    """``cd 4k7p 9xq2``, ``CD4K7P9XQ2`` and ``4K7P-9XQ2`` all mean ``CD-4K7P-9XQ2``."""
    compact = _SPACES_AND_DASHES.sub("", text).upper()
    if len(compact) == 8 and compact.isalnum():
        compact = "CD" + compact
    if len(compact) == 10 and compact.startswith("CD") and compact.isalnum():
        return f"CD-{compact[2:6]}-{compact[6:]}"
    return text.strip().upper()


@router.get("/staff/search")
def search(request: Request, user: Viewer, reference: str | None = None) -> Response:
    """Find a case by reference: straight to it when found, else the form with why."""
    error, status_code = "", 200
    if reference is not None:
        wanted = normalise_reference(reference)
        if not wanted or len(wanted) > 40:
            error, status_code = "Enter a case reference, like CD-4K7P-9XQ2", 422
        else:
            case = desk_for(request).find(wanted)
            if case is not None:
                return RedirectResponse(f"/staff/cases/{case.reference}", status_code=303)
            error = f"No case has the reference {wanted}. Check the reference and try again."
            status_code = 404
    return render(
        request,
        "staff/search.html",
        {**staff_context(), "reference": (reference or "")[:100], "error": error},
        status_code=status_code,
    )


@router.get("/staff/metrics")
def metrics(
    request: Request, user: Annotated[StaffUser, Depends(require("queues.metrics"))]
) -> HTMLResponse:
    desk = desk_for(request)
    return render(
        request,
        "staff/metrics.html",
        {**staff_context(), "metrics": desk.metrics(), "duration": duration, "share": share},
    )
