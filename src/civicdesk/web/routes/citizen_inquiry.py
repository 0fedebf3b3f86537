"""The citizen's inquiry page: the status of a handed-over question and our replies.

It opens only with the reference and its secret token (``?token=``, from the answer page or
a reply email). A wrong or missing token gets exactly the 404 an unknown reference gets, so
the page cannot be used to find out which references exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from civicdesk.casework.cases import CaseInputRejected, CaseStatus, CitizenCase
from civicdesk.casework.status import OPEN
from civicdesk.casework.tokens import citizen_token
from civicdesk.settings import Settings
from civicdesk.web.casework_views import citizen_date, desk_for, paragraphs
from civicdesk.web.i18n import Language, localised_path, scope_language
from civicdesk.web.templating import render

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


def N_(message: str) -> str:
    """Mark a string for translation where it is defined; the template translates it."""
    return message


@dataclass(frozen=True)
class StatusText:
    label: str
    explanation: str
    colour: str


STATUSES = {
    CaseStatus.NEW: StatusText(
        N_("Received"),
        N_("We have your question. A member of our team will look at it soon."),
        "govuk-tag--blue",
    ),
    CaseStatus.IN_PROGRESS: StatusText(
        N_("In progress"),
        N_("A member of our team is working on your question."),
        "govuk-tag--light-blue",
    ),
    CaseStatus.WAITING: StatusText(
        N_("Waiting for you"),
        N_("We need more information from you. Read our latest reply."),
        "govuk-tag--yellow",
    ),
    CaseStatus.RESOLVED: StatusText(
        N_("Resolved"),
        N_("We have answered your question. If you still need help, ask another question."),
        "govuk-tag--green",
    ),
    CaseStatus.CLOSED: StatusText(N_("Closed"), N_("This inquiry is closed."), "govuk-tag--grey"),
}
BAD_EMAIL = N_("Enter an email address in the correct format, like name@example.com")
NO_EMAIL = N_("Enter your email address")


def inquiry_url(settings: Settings, reference: str, lang: Language) -> str:
    """The link to a citizen's inquiry page, in their language, token included."""
    token = quote(citizen_token(settings, reference), safe="")
    return localised_path(f"/inquiries/{reference}", lang) + f"?token={token}"


def inquiry_page(
    request: Request,
    inquiry: CitizenCase,
    token: str,
    *,
    contact_email: str = "",
    contact_error: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    lang = scope_language(request.scope)
    replies = [
        {"sent": citizen_date(reply.at, lang), "paragraphs": paragraphs(reply.text)}
        for reply in inquiry.replies
    ]
    response = render(
        request,
        "citizen/inquiry.html",
        {
            "inquiry": inquiry,
            "token": token,
            "status": STATUSES[inquiry.status],
            "received": citizen_date(inquiry.created_at, lang),
            "reply_by": citizen_date(inquiry.due_at, lang)
            if not inquiry.replies and inquiry.status in OPEN
            else "",
            "replies": replies,
            "offer_email": request.app.state.settings.email_enabled,
            "contact_saved": request.query_params.get("saved") == "email",
            "contact_email": contact_email,
            "contact_error": contact_error,
        },
        status_code=status_code,
    )
    response.headers["Cache-Control"] = "no-store"  # the page is only for the link's holder
    return response


def found(request: Request, reference: str, token: str) -> CitizenCase:
    """The inquiry, or the same 404 whether the reference or the token is wrong."""
    inquiry = desk_for(request).citizen_view(reference, token)
    if inquiry is None:
        raise HTTPException(status_code=404)
    return inquiry


@router.get("/inquiries/{reference}")
def show(request: Request, reference: str, token: str = "") -> Response:
    inquiry = found(request, reference, token)
    return inquiry_page(request, inquiry, token)


@router.post("/inquiries/{reference}/contact")
def give_email(
    request: Request,
    reference: str,
    token: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
) -> Response:
    """The citizen leaves an email address for replies (only offered when email is on)."""
    inquiry = found(request, reference, token)
    if not request.app.state.settings.email_enabled:
        raise HTTPException(status_code=404)
    error = NO_EMAIL if not email.strip() else ""
    if not error:
        try:
            if not desk_for(request).set_contact(inquiry.reference, token, email):
                raise HTTPException(status_code=404)
        except CaseInputRejected:
            error = BAD_EMAIL
    if error:
        return inquiry_page(
            request, inquiry, token, contact_email=email[:320], contact_error=error, status_code=422
        )
    target = inquiry_url(
        request.app.state.settings, inquiry.reference, scope_language(request.scope)
    )
    return RedirectResponse(target + "&saved=email", status_code=303)
