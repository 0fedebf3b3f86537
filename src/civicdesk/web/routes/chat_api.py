"""An OpenAI-compatible API over the assistant: `POST /v1/chat/completions`, `GET /v1/models`.

Existing OpenAI clients and tools can ask civicdesk questions. The last user message is the
question; earlier turns and any system message are ignored, so a client cannot change the
assistant's rules. Each reply runs the whole pipeline (privacy, routing, grounding) and is
stored with a reference like any other inquiry. The answer carries its citations twice: as
[n] markers and a "Sources" list in the text, and as data in the `civicdesk` extension
field. Streaming sends the same checked answer in chunks: nothing is sent before the
grounding checks have passed. Clients send `Authorization: Bearer <key>` with one of
`chat_api_keys`; with none set the API is closed.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, ValidationError

from civicdesk.assistant.stages.intake import QuestionRejected
from civicdesk.domain.inquiry import AssistantReply, Channel, Outcome
from civicdesk.errors import describe_validation
from civicdesk.web.routes.citizen import assistant_for

router = APIRouter(prefix="/v1", tags=["OpenAI-compatible"])

MODEL_ID = "civicdesk"
SOURCES_HEADING = {"en": "Sources:", "cy": "Ffynonellau:"}


class TextPart(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str
    text: str = ""


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: str
    content: str | list[TextPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(part.text for part in self.content if part.type == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")  # temperature, top_p ... mean nothing here

    model: str = MODEL_ID
    messages: list[ChatMessage]
    stream: bool = False
    language: Literal["en", "cy"] | None = None  # civicdesk's own: the reply language


def openai_error(status: int, message: str, kind: str, code: str) -> JSONResponse:
    """Errors in OpenAI's shape, so clients raise their usual exceptions."""
    return JSONResponse(
        {"error": {"message": message, "type": kind, "param": None, "code": code}},
        status_code=status,
    )


def _key_accepted(request: Request) -> bool:
    configured = request.app.state.settings.chat_api_keys.get_secret_value()
    keys = [key.strip() for key in configured.split(",") if key.strip()]
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if not keys or scheme.lower() != "bearer":
        return False
    return any(hmac.compare_digest(given.strip().encode(), key.encode()) for key in keys)


def _unauthorised() -> JSONResponse:
    return openai_error(
        401,
        "Send Authorization: Bearer with one of this service's chat API keys.",
        "invalid_request_error",
        "invalid_api_key",
    )


@router.get("/models")
def list_models(request: Request) -> JSONResponse:
    """The one model: civicdesk's assistant over this body's guidance."""
    if not _key_accepted(request):
        return _unauthorised()
    owner = request.app.state.settings.organisation_name
    return JSONResponse(
        {
            "object": "list",
            "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": owner}],
        }
    )


@router.post("/chat/completions", response_model=None)
async def chat_completions(request: Request) -> Response:
    """Answer the last user message from the guidance, OpenAI style (streaming too)."""
    if not _key_accepted(request):
        return _unauthorised()
    try:
        chat = ChatRequest.model_validate_json(await request.body())
    except ValidationError as exc:
        return openai_error(
            400,
            f"Invalid request ({describe_validation(exc, 'body')}).",
            "invalid_request_error",
            "invalid_request",
        )
    question = next((m.text() for m in reversed(chat.messages) if m.role == "user"), "")
    assistant = assistant_for(request)
    try:
        reply = await run_in_threadpool(
            assistant.ask, question, language=chat.language, channel=Channel.OPENAI
        )
    except QuestionRejected as rejected:
        return openai_error(400, rejected.message, "invalid_request_error", rejected.code)
    content = render_content(reply)
    created = int(time.time())
    completion_id = f"chatcmpl-{reply.reference}"
    extension = civicdesk_extension(reply)
    if chat.stream:
        return StreamingResponse(
            _events(completion_id, created, content, extension),
            media_type="text/event-stream",
        )
    return JSONResponse(
        {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": MODEL_ID,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                    "finish_reason": "stop",
                    "logprobs": None,
                }
            ],
            "civicdesk": extension,
        }
    )


def render_content(reply: AssistantReply) -> str:
    """The answer as text: each sentence with its [n] source, list items on their own lines,
    then the numbered sources; other outcomes are the message the citizen would read."""
    lines: list[str] = []
    if reply.outcome is not Outcome.ANSWERED or not reply.parts:
        lines.append(reply.answer)
        for line in reply.help_lines:
            contact = ", ".join(p for p in (line.phone, line.text, line.url) if p)
            lines.append(f"- {line.name}: {contact}")
        return "\n".join(lines)
    paragraph: list[str] = []
    for part in reply.parts:
        text = f"{part.text} [{part.citation + 1}]"
        if part.is_list_item:
            if paragraph:
                lines.append(" ".join(paragraph))
                paragraph = []
            lines.append(f"- {text}")
        else:
            paragraph.append(text)
    if paragraph:
        lines.append(" ".join(paragraph))
    lines.append("")
    lines.append(SOURCES_HEADING.get(reply.language, SOURCES_HEADING["en"]))
    for number, citation in enumerate(reply.citations, start=1):
        name = f"{citation.title} > {citation.section}" if citation.section else citation.title
        lines.append(f"[{number}] {name}: {citation.url}")
    return "\n".join(lines)


def civicdesk_extension(reply: AssistantReply) -> dict[str, Any]:
    return {
        "reference": reply.reference,
        "outcome": reply.outcome.value,
        "confidence": reply.confidence,
        "language": reply.language,
        "citations": [asdict(citation) for citation in reply.citations],
        "help_lines": [asdict(line) for line in reply.help_lines],
    }


def _events(
    completion_id: str, created: int, content: str, extension: dict[str, Any]
) -> Iterator[str]:
    """Server-sent events: the role, the text a line at a time, then the end and [DONE]."""

    def event(delta: dict[str, Any], finish: str | None = None, **more: Any) -> str:
        chunk = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
            **more,
        }
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

    yield event({"role": "assistant", "content": ""})
    for line in content.splitlines(keepends=True):
        yield event({"content": line})
    yield event({}, "stop", civicdesk=extension)
    yield "data: [DONE]\n\n"
