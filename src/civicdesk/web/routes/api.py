"""The JSON API: ask a question, look up an inquiry's status."""

from __future__ import annotations

import hmac
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from civicdesk.assistant.public import public_reply
from civicdesk.assistant.stages.intake import QuestionRejected
from civicdesk.casework.cases import CaseInputRejected
from civicdesk.casework.tokens import citizen_token
from civicdesk.domain.inquiry import Channel
from civicdesk.web.casework_views import desk_of
from civicdesk.web.errors import api_error
from civicdesk.web.routes.citizen import assistant_for
from civicdesk.web.staff_auth import require
from civicdesk.web.templating import render

router = APIRouter(prefix="/api/v1", tags=["inquiries"])


class InquiryCreate(BaseModel):
    text: str = Field(description="The question, up to 4,000 characters.")
    language: str | None = Field(
        default=None, description="Reply language (en or cy); detected when left out."
    )


class CitationPublic(BaseModel):
    url: str
    title: str
    section: str
    snippet: str


class HelpLinePublic(BaseModel):
    name: str
    phone: str
    text: str
    url: str
    hours: str
    description: str


class RelatedPublic(BaseModel):
    url: str
    title: str


class NoticePublic(BaseModel):
    text: str
    language: str


class InquiryPublic(BaseModel):
    outcome: Literal["answered", "handed_over", "signposted", "refused"]
    answer: str
    citations: list[CitationPublic]
    language: str
    confidence: float
    reference: str
    reasons: list[str]
    help_lines: list[HelpLinePublic]
    removed_data_types: list[str]
    guidance_language: str = Field(
        default="", description="Language of the guidance the answer is taken from."
    )
    question_language: str | None = Field(
        default=None,
        description="The question's language, when no guidance is written in it.",
    )
    related: list[RelatedPublic] = Field(
        default_factory=list,
        description="Other pages that may help (offered beside an answer across languages).",
    )
    notice: NoticePublic | None = Field(
        default=None, description="Said beside the answer, e.g. that the guidance is in English."
    )


class InquiryStatusPublic(BaseModel):
    reference: str
    status: str
    outcome: str | None
    language: str | None
    needs_person: bool
    created_at: str
    completed_at: str | None


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorPublic(BaseModel):
    error: ErrorDetail


@router.post(
    "/inquiries",
    response_model=InquiryPublic,
    responses={413: {"model": ErrorPublic}, 422: {"model": ErrorPublic}},
)
def create_inquiry(request: Request, body: InquiryCreate) -> JSONResponse:
    """Answer a question from the guidance, or hand it to a person."""
    try:
        reply = assistant_for(request).ask(body.text, language=body.language, channel=Channel.API)
    except QuestionRejected as rejected:
        return api_error(rejected.status, rejected.message, rejected.code)
    return JSONResponse(InquiryPublic.model_validate(public_reply(reply)).model_dump())


@router.get(
    "/inquiries/{reference}",
    response_model=InquiryStatusPublic,
    responses={404: {"model": ErrorPublic}},
)
def inquiry_status(request: Request, reference: Annotated[str, "reference"]) -> JSONResponse:
    """The status of an inquiry, by its reference. It never shows the question."""
    status = assistant_for(request).status(reference)
    if status is None:
        return api_error(404, f"No inquiry has the reference {reference}.", "E404")
    return JSONResponse(
        InquiryStatusPublic(
            reference=status.reference,
            status=status.status,
            outcome=status.outcome,
            language=status.language,
            needs_person=status.needs_person,
            created_at=status.created_at.isoformat(),
            completed_at=status.completed_at.isoformat() if status.completed_at else None,
        ).model_dump()
    )


class CaseCreate(BaseModel):
    text: str = Field(description="What the citizen said or wrote; personal data is redacted.")
    channel: str = Field(
        default="api", description="Where it came from: phone, letter, email, ... (a-z, 0-9, _)."
    )
    language: Literal["en", "cy"] | None = Field(
        default=None, description="Language of replies; detected when left out."
    )
    email: str | None = Field(
        default=None,
        description="The citizen's email address for replies; stored encrypted, never shown.",
    )


class CasePublic(BaseModel):
    reference: str
    status: str
    queue: str
    priority: Literal["crisis", "vulnerable", "normal"]
    due_at: str
    citizen_url: str = Field(description="The citizen's page for replies: give it to them.")


_cases_user = require("cases.work")


def case_opener(request: Request) -> str | None:
    """Who is opening a case: another channel's system with the cases API key, or signed-in
    staff who may work cases (401 without either, 403 for a role that may not). None: a key
    was sent and it is wrong."""
    key = request.app.state.settings.cases_api_key.get_secret_value()
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if key and scheme.lower() == "bearer":
        return "api-key" if hmac.compare_digest(given.strip().encode(), key.encode()) else None
    return str(_cases_user(request).actor)


@router.post(
    "/cases",
    status_code=201,
    response_model=CasePublic,
    responses={
        401: {"model": ErrorPublic},
        403: {"model": ErrorPublic},
        422: {"model": ErrorPublic},
    },
)
def create_case(
    request: Request, body: CaseCreate, actor: Annotated[str | None, Depends(case_opener)]
) -> JSONResponse:
    """Open a case for a person to work, from another channel (phone, letter, email inbox).

    Send `Authorization: Bearer <cases_api_key>`, or call it signed in as staff who may work
    cases. The response's `citizen_url` is the citizen's page for replies.
    """
    if actor is None:
        return api_error(401, "The cases API key is not right.", "E401")
    try:
        case = desk_of(request.app).create_case(
            body.text, actor=actor, channel=body.channel, language=body.language, email=body.email
        )
    except CaseInputRejected as rejected:
        return api_error(422, rejected.message[:1].upper() + rejected.message[1:], rejected.code)
    token = citizen_token(request.app.state.settings, case.reference)
    prefix = "/cy" if case.language == "cy" else ""
    base = request.app.state.settings.public_url.rstrip("/")
    return JSONResponse(
        CasePublic(
            reference=case.reference,
            status=case.status.value,
            queue=case.queue,
            priority=case.priority.name.lower(),
            due_at=case.due_at.isoformat(),
            citizen_url=f"{base}{prefix}/inquiries/{case.reference}?token={token}",
        ).model_dump(),
        status_code=201,
    )


docs_router = APIRouter(include_in_schema=False)


@docs_router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """The API described for people: every operation in the OpenAPI description, on one page."""
    spec = request.app.openapi()
    operations = []
    for path, methods in spec.get("paths", {}).items():
        for method, operation in methods.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "request": _schema_name(body.get("schema", {})),
                    "responses": [
                        (code, answer.get("description", ""))
                        for code, answer in operation.get("responses", {}).items()
                    ],
                }
            )
    return render(request, "api_docs.html", {"operations": operations, "spec": spec})


def _schema_name(schema: dict[str, object]) -> str:
    reference = schema.get("$ref")
    return str(reference).rsplit("/", 1)[-1] if reference else ""
