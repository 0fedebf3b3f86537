"""The citizen question and answer pages: ask, read the answer, feedback, a person."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse

from civicdesk.assistant.service import Assistant
from civicdesk.assistant.stages.intake import QuestionRejected
from civicdesk.casework.tokens import citizen_token, token_matches
from civicdesk.domain.inquiry import AnswerPart, Channel, Outcome
from civicdesk.privacy.labels import describe_types
from civicdesk.web.casework_views import desk_of
from civicdesk.web.i18n import scope_language
from civicdesk.web.routes.citizen_inquiry import inquiry_url
from civicdesk.web.templating import render

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

TABLE_CELL = " | "


@dataclass
class AnswerBlock:
    """Paragraph sentences, a bulleted list, or a table, each item with its source number."""

    kind: str  # "paragraph", "list" or "table"
    items: list[tuple[str, int]] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    rows: list[tuple[list[str], int]] = field(default_factory=list)


def answer_blocks(parts: Sequence[AnswerPart]) -> list[AnswerBlock]:
    """Group an answer's parts for display; table rows ("Permit | £45") become a table."""
    blocks: list[AnswerBlock] = []
    for part in parts:
        kind = "table" if TABLE_CELL in part.text else "list" if part.is_list_item else "paragraph"
        if not blocks or blocks[-1].kind != kind:
            blocks.append(AnswerBlock(kind))
        block = blocks[-1]
        if kind == "table":
            cells = part.text.split(TABLE_CELL)
            if not part.is_list_item and not block.header and not block.rows:
                block.header = cells
            else:
                block.rows.append((cells, part.citation + 1))
        else:
            block.items.append((part.text, part.citation + 1))
    return blocks


_lock = threading.Lock()


def assistant_for(request: Request) -> Assistant:
    return assistant_of(request.app)


def assistant_of(app: FastAPI) -> Assistant:
    """One assistant per app, built on first use (it loads the index and the privacy engine).

    `civicdesk serve` builds it before the first request (civicdesk.web.server).
    """
    state = app.state
    existing: Assistant | None = getattr(state, "assistant", None)
    if existing is not None:
        return existing
    with _lock:
        if getattr(state, "assistant", None) is None:
            # A handed-over inquiry opens its case in the same transaction (casework's hook),
            # and the desk drafts replies from the assistant's index (one copy per process).
            desk = desk_of(app)
            state.assistant = Assistant.from_settings(
                state.settings, state.engine, on_handover=[desk.on_handover]
            )
            desk.knowledge.share(state.assistant.retriever)
        built: Assistant = state.assistant
        return built


@router.post("/ask")
def ask(request: Request, text: Annotated[str, Form()] = "") -> HTMLResponse:
    lang = scope_language(request.scope)
    try:
        reply = assistant_for(request).ask(text, channel=Channel.WEB)
    except QuestionRejected as rejected:
        return render(
            request,
            "start.html",
            {"question_text": text[:10_000], "question_error": rejected.message},
            status_code=rejected.status,
        )
    removed = describe_types(reply.removed_data_types, lang)
    crisis = reply.outcome is Outcome.SIGNPOSTED and any(
        r.startswith("crisis:") for r in reply.reasons
    )
    handed_over = crisis or reply.outcome is Outcome.HANDED_OVER
    page = render(
        request,
        "citizen/answer.html",
        {
            "reply": reply,
            "token": citizen_token(request.app.state.settings, reply.reference),
            "blocks": answer_blocks(reply.parts),
            "removed": removed,
            "crisis": crisis,
            "page_title": _title(reply.outcome.value),
            "inquiry_url": inquiry_url(request.app.state.settings, reply.reference, lang)
            if handed_over
            else "",
        },
    )
    page.headers["Cache-Control"] = "no-store"  # its forms carry the citizen's token
    return page


def N_(message: str) -> str:
    """Mark a string for translation where it is defined; templates translate it."""
    return message


TITLES = {
    "answered": N_("Answer to your question"),
    "handed_over": N_("We have passed your question to our team"),
    "signposted": N_("Who can help"),
    "refused": N_("We cannot help with that"),
}


def _title(outcome: str) -> str:
    return TITLES[outcome]


@router.post("/inquiries/{reference}/feedback")
def feedback(
    request: Request,
    reference: str,
    useful: Annotated[str, Form()] = "",
    token: Annotated[str, Form()] = "",
) -> HTMLResponse:
    reference = reference.strip().upper()
    if not token_matches(request.app.state.settings, reference, token):
        return render(request, "errors/404.html", status_code=404)  # as for an unknown one
    if useful not in ("yes", "no"):
        return render(request, "citizen/feedback.html", {"bad": True}, status_code=422)
    found = assistant_for(request).record_feedback(reference, useful == "yes")
    if not found:
        return render(request, "errors/404.html", status_code=404)
    return render(request, "citizen/feedback.html", {"useful": useful == "yes"})


@router.post("/inquiries/{reference}/person")
def talk_to_person(
    request: Request, reference: str, token: Annotated[str, Form()] = ""
) -> HTMLResponse:
    """Hand an answered question to a person. The form carries the asker's token: a
    reference alone is not secret (it is read out on the phone and shown to staff), and
    this page shows the link to the citizen's replies."""
    reference = reference.strip().upper()
    settings = request.app.state.settings
    if not token_matches(settings, reference, token):
        return render(request, "errors/404.html", status_code=404)
    if not assistant_for(request).request_person(reference):
        return render(request, "errors/404.html", status_code=404)
    link = inquiry_url(settings, reference, scope_language(request.scope))
    page = render(request, "citizen/person.html", {"reference": reference, "inquiry_url": link})
    page.headers["Cache-Control"] = "no-store"  # it carries the citizen's token
    return page
