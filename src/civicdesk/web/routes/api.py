"""The JSON API: ask a question, look up an inquiry's status."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from civicdesk.assistant.public import public_reply
from civicdesk.assistant.stages.intake import QuestionRejected
from civicdesk.domain.inquiry import Channel
from civicdesk.web.errors import api_error
from civicdesk.web.routes.citizen import assistant_for
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
