"""The citizen question and answer pages: ask, read the answer, feedback, a person.

With a model configured, the question form's script asks at /answer/stream instead and shows
each checked sentence as it is written (civicdesk.web.live_answer); without JavaScript, or
when anything goes wrong, the form posts to /ask and the whole answer page comes back.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from civicdesk.assistant.live import LiveEvent, LiveSentence
from civicdesk.assistant.service import Assistant
from civicdesk.assistant.stages.intake import QuestionRejected
from civicdesk.casework.tokens import citizen_token, token_matches
from civicdesk.domain.inquiry import AnswerPart, AssistantReply, Channel, Outcome
from civicdesk.privacy.labels import describe_types
from civicdesk.web.casework_views import desk_of
from civicdesk.web.i18n import scope_language, translations
from civicdesk.web.live_answer import Answered, Failed, LiveAnswer
from civicdesk.web.routes.citizen_inquiry import inquiry_url
from civicdesk.web.templating import environment, page_context, render

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
    try:
        reply = assistant_for(request).ask(
            text, channel=Channel.WEB, page_language=scope_language(request.scope)
        )
    except QuestionRejected as rejected:
        return _rejected(request, text, rejected)
    page = render(request, "citizen/answer.html", answer_context(request, reply))
    page.headers["Cache-Control"] = "no-store"  # its forms carry the citizen's token
    return page


STREAM_TYPE = "application/x-ndjson"


@router.post("/answer/stream")
def answer_stream(request: Request, text: Annotated[str, Form()] = "") -> Response:
    """The question form's answer as it is written, one JSON event a line: `sentence` (a
    checked sentence), `reset` (forget them: the extractive answer follows), then `done`
    with the answer as the answer page renders it. Intake, rate and size limits are those
    of /ask; a question /ask would refuse gets the same page here, so the script falls
    back to posting the form."""
    events = iter(
        LiveAnswer(
            assistant_for(request),
            text,
            channel=Channel.WEB,
            page_language=scope_language(request.scope),
        )
    )
    first = next(events)
    if isinstance(first, Failed):
        if isinstance(first.error, QuestionRejected):
            return _rejected(request, text, first.error)
        raise first.error  # before any event: the error page, as /ask would show
    return StreamingResponse(
        _event_lines(request, first, events),
        media_type=STREAM_TYPE,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _event_lines(
    request: Request, first: LiveEvent | Answered, rest: Iterator[LiveEvent | Answered | Failed]
) -> Iterator[str]:
    for event in chain((first,), rest):
        yield json.dumps(_event(request, event), ensure_ascii=False) + "\n"


def _event(request: Request, event: LiveEvent | Answered | Failed) -> dict[str, Any]:
    if isinstance(event, Answered):
        return _done(request, event.reply)
    if isinstance(event, Failed):  # too late for an error page: the script posts the form
        return {"event": "error"}
    if isinstance(event, LiveSentence):
        return {
            "event": event.event,
            "text": event.text,
            "sources": list(event.sources),
            "list_item": event.is_list_item,
        }
    return {"event": event.event}


def _done(request: Request, reply: AssistantReply) -> dict[str, Any]:
    """The last event: the answer page's content, rendered by the same template."""
    context = answer_context(request, reply)
    values = page_context(request.scope) | {"request": request} | context
    html = environment().get_template("citizen/answer_body.html").render(values)
    return {
        "event": "done",
        "outcome": reply.outcome.value,
        "reference": reply.reference,
        "title": translations(values["lang"]).gettext(context["answer_title"]),
        "inquiry_url": context["inquiry_url"],
        "html": html,
    }


def answer_context(request: Request, reply: AssistantReply) -> dict[str, Any]:
    """What the answer page's template needs for `reply`."""
    settings = request.app.state.settings
    lang = scope_language(request.scope)
    crisis = reply.outcome is Outcome.SIGNPOSTED and any(
        r.startswith("crisis:") for r in reply.reasons
    )
    handed_over = crisis or reply.outcome is Outcome.HANDED_OVER
    return {
        "reply": reply,
        "token": citizen_token(settings, reply.reference),
        "blocks": answer_blocks(reply.parts),
        "removed": describe_types(reply.removed_data_types, lang),
        "crisis": crisis,
        "answer_title": _title(reply.outcome.value, reply.reasons),
        "inquiry_url": inquiry_url(settings, reply.reference, lang) if handed_over else "",
    }


def _rejected(request: Request, text: str, rejected: QuestionRejected) -> HTMLResponse:
    """The question page again, with what was typed and why it was not accepted."""
    return render(
        request,
        "start.html",
        {"question_text": text[:10_000], "question_error": rejected.message},
        status_code=rejected.status,
    )


def N_(message: str) -> str:
    """Mark a string for translation where it is defined; templates translate it."""
    return message


TITLES = {
    "answered": N_("Answer to your question"),
    "handed_over": N_("We have passed your question to our team"),
    "signposted": N_("Who can help"),
    "refused": N_("We cannot help with that"),
    "nonsense": N_("Please ask your question again"),
}


def _title(outcome: str, reasons: Sequence[str] = ()) -> str:
    if any(reason.startswith("nonsense:") for reason in reasons):
        return TITLES["nonsense"]
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
