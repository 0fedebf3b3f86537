"""An OpenAI-compatible API over the assistant: `POST /v1/chat/completions`, `GET /v1/models`.

Existing OpenAI clients and tools can ask civicdesk questions. The last user message is the
question; earlier turns and any system message are ignored, so a client cannot change the
assistant's rules. Each reply runs the whole pipeline (privacy, routing, grounding) and is
stored with a reference like any other inquiry. The answer carries its citations twice: as
[n] markers and a "Sources" list in the text, and as data in the `civicdesk` extension
field. Streaming sends the same checked answer in chunks: nothing is sent before the
grounding checks have passed. Clients send `Authorization: Bearer <key>` with one of
`chat_api_keys`; with none set the API is closed. Each key has its own budget of chat
completions a minute (`chat_api_rate_per_minute`); over it the client gets OpenAI's 429 with
`Retry-After`, so OpenAI SDKs wait and retry by themselves. Keys are never logged: a short
hash names one where needed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import time
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, ValidationError

from civicdesk.assistant.stages.intake import QuestionRejected
from civicdesk.domain.inquiry import AssistantReply, Channel, Outcome
from civicdesk.errors import describe_validation
from civicdesk.logging import get_logger
from civicdesk.web.rate_limit import TokenBuckets
from civicdesk.web.routes.citizen import assistant_for

log = get_logger("civicdesk.web.chat_api")
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


def _accepted_key(request: Request) -> str | None:
    """The configured key the request carries, or None."""
    configured = request.app.state.settings.chat_api_keys.get_secret_value()
    keys = [key.strip() for key in configured.split(",") if key.strip()]
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if not keys or scheme.lower() != "bearer":
        return None
    found = None
    for key in keys:  # every key is compared, so the time taken says nothing about which
        if hmac.compare_digest(given.strip().encode(), key.encode()):
            found = key
    return found


def key_id(key: str) -> str:
    """A short, one-way name for a key, fit for logs and counting."""
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def _buckets(app: FastAPI) -> TokenBuckets:
    """Each key's budget, kept for the app's life (per worker, in memory)."""
    buckets: TokenBuckets | None = getattr(app.state, "chat_api_buckets", None)
    if buckets is None:
        per_minute = app.state.settings.chat_api_rate_per_minute
        buckets = TokenBuckets(per_minute, burst=per_minute)
        app.state.chat_api_buckets = buckets
    return buckets


def _over_budget(request: Request, key: str) -> JSONResponse | None:
    """OpenAI's 429 when this key has used its budget, else None (and one use is counted)."""
    per_minute: int = request.app.state.settings.chat_api_rate_per_minute
    if per_minute <= 0:
        return None
    wait = _buckets(request.app).take(key_id(key), time.monotonic())
    if wait == 0:
        return None
    seconds = max(1, math.ceil(wait))
    log.info("chat API key over its rate limit", key=key_id(key), retry_after=seconds)
    response = openai_error(
        429,
        f"Rate limit reached for this API key: {per_minute} chat completions a minute. "
        f"Try again in {seconds} seconds.",
        "requests",
        "rate_limit_exceeded",
    )
    response.headers["Retry-After"] = str(seconds)
    response.headers["retry-after-ms"] = str(math.ceil(wait * 1000))  # read by OpenAI SDKs
    response.headers["x-ratelimit-limit-requests"] = str(per_minute)
    response.headers["x-ratelimit-remaining-requests"] = "0"
    response.headers["x-ratelimit-reset-requests"] = f"{seconds}s"
    return response


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
    if _accepted_key(request) is None:
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
    key = _accepted_key(request)
    if key is None:
        return _unauthorised()
    limited = _over_budget(request, key)
    if limited is not None:
        return limited
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
    if reply.notice:  # e.g. translated by a model, or guidance only in English
        lines.append("")
        lines.append(reply.notice)
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
        "guidance_language": reply.guidance_language,
        "question_language": reply.question_language or None,
        "notice": {"text": reply.notice, "language": reply.message_language}
        if reply.notice
        else None,
        "generated": reply.generated,
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
