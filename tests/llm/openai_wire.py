"""A real HTTP server that speaks the OpenAI chat-completions wire format, for contract tests.

Each request takes the next scripted behaviour (a reply, an error status, a delay, a broken
body, an SSE stream); with the script empty, a small "model" answers from the numbered
sources in the prompt by quoting the first full sentence of source [1] and citing it. Every
request is recorded (body, headers, time) so tests can see what the client really sent.
Standard library only; responses close the connection, so no socket outlives a test.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    """A 200 chat completion whose message content is `content`."""

    content: str
    finish_reason: str = "stop"
    usage: tuple[int, int] | None = (120, 30)
    refusal: str | None = None


@dataclass(frozen=True)
class Status:
    """An error response: status code, OpenAI-style error body, extra headers."""

    status: int
    message: str = "error"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Slow:
    """Wait `seconds` before answering with `then` (longer than the client's timeout: a
    timeout)."""

    seconds: float
    then: Reply = Reply('{"sentences": []}')


@dataclass(frozen=True)
class Raw:
    """A 200 whose body is `body` as is (not JSON: a broken server or proxy)."""

    body: bytes
    content_type: str = "application/json"


@dataclass(frozen=True)
class Stream:
    """Server-sent events: one chunk per delta, then a usage chunk and [DONE].

    `hold` (an Event) pauses after the first delta until the test sets it, which proves the
    client yields deltas while the server is still writing.
    """

    deltas: tuple[str, ...]
    usage: tuple[int, int] | None = (100, 20)
    hold: threading.Event | None = None
    fail_after: int | None = None  # drop the connection after this many deltas


Behaviour = Reply | Status | Slow | Raw | Stream


@dataclass
class Recorded:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    at: float


def quote_first_source(body: dict[str, Any]) -> Reply:
    """The default "model": the first full sentence of source [1] (not a lead-in, list item
    or table row), citing source 1."""
    prompt = str(body["messages"][-1]["content"])
    block = re.search(
        r"^\[1\] [^\n]*\nURL: [^\n]*\n(.*?)(?=\n\n\[2\] |\n\nQuestion: )", prompt, re.M | re.S
    )
    lines = block.group(1).splitlines() if block else []
    prose = [
        line.strip()
        for line in lines
        if line.strip() and not line.lstrip().startswith(("-", "*")) and "|" not in line
    ]
    sentences = [s for line in prose for s in re.split(r"(?<=[.!?])\s", line)]
    found = [s for s in sentences if not s.endswith(":")][:1]
    answer = {"sentences": [{"text": s, "sources": [1], "list_item": False} for s in found]}
    return Reply(json.dumps(answer))


class FakeOpenAI:
    """Start with `with FakeOpenAI() as server:`; point a client at `server.base_url`."""

    def __init__(
        self,
        *,
        supports_json_schema: bool = True,
        model: Callable[[dict[str, Any]], Reply] = quote_first_source,
    ) -> None:
        self.supports_json_schema = supports_json_schema
        self.model = model
        self.requests: list[Recorded] = []
        self._script: deque[Behaviour] = deque()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def script(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self._script.extend(behaviours)

    def completions(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _next(self, body: dict[str, Any]) -> Behaviour:
        with self._lock:
            if self._script:
                return self._script.popleft()
        return self.model(body)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return  # quiet: the tests read `server.requests`

            def do_GET(self) -> None:  # noqa: N802
                if self.path.rstrip("/").endswith("/models"):
                    self._json(200, {"object": "list", "data": [{"id": "fake", "object": "model"}]})
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append(
                    Recorded(
                        self.path,
                        body,
                        {k.lower(): v for k, v in self.headers.items()},
                        time.monotonic(),
                    )
                )
                if not self.path.endswith("/chat/completions"):
                    self._json(404, {"error": {"message": "not found"}})
                    return
                if "response_format" in body and not server.supports_json_schema:
                    self._json(
                        400,
                        {
                            "error": {
                                "message": "response_format type json_schema is not supported",
                                "type": "invalid_request_error",
                                "param": "response_format",
                            }
                        },
                    )
                    return
                try:
                    self._behave(server._next(body), body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to answer

            def _behave(self, behaviour: Behaviour, body: dict[str, Any]) -> None:
                if isinstance(behaviour, Slow):
                    time.sleep(behaviour.seconds)
                    behaviour = behaviour.then
                if isinstance(behaviour, Status):
                    error = {"error": {"message": behaviour.message, "type": "server_error"}}
                    self._json(behaviour.status, error, behaviour.headers)
                elif isinstance(behaviour, Raw):
                    self._send(200, behaviour.body, behaviour.content_type)
                elif isinstance(behaviour, Stream):
                    self._stream(behaviour, body)
                else:
                    self._json(200, completion(behaviour, str(body.get("model", ""))))

            def _stream(self, stream: Stream, body: dict[str, Any]) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("transfer-encoding", "chunked")
                self.send_header("connection", "close")
                self.end_headers()
                model = str(body.get("model", ""))
                for number, delta in enumerate(stream.deltas):
                    if stream.fail_after is not None and number >= stream.fail_after:
                        self.wfile.flush()
                        self.connection.shutdown(2)  # mid-stream: the connection drops
                        return
                    self._event(chunk(model, {"content": delta}))
                    if number == 0 and stream.hold is not None:
                        stream.hold.wait(timeout=5)
                if stream.usage is not None and (body.get("stream_options") or {}).get(
                    "include_usage"
                ):
                    self._event(chunk(model, None, stream.usage))
                self._write_chunk(b"data: [DONE]\n\n")
                self._write_chunk(b"")

            def _event(self, payload: dict[str, Any]) -> None:
                self._write_chunk(f"data: {json.dumps(payload)}\n\n".encode())

            def _write_chunk(self, data: bytes) -> None:
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

            def _json(
                self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                self._send(status, json.dumps(payload).encode(), "application/json", headers)

            def _send(
                self,
                status: int,
                data: bytes,
                content_type: str,
                headers: dict[str, str] | None = None,
            ) -> None:
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("content-length", str(len(data)))
                self.send_header("connection", "close")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
                self.wfile.flush()

        return Handler


def completion(reply: Reply, model: str) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": reply.content,
                    "refusal": reply.refusal,
                },
                "finish_reason": reply.finish_reason,
                "logprobs": None,
            }
        ],
    }
    if reply.usage is not None:
        prompt, written = reply.usage
        payload["usage"] = {
            "prompt_tokens": prompt,
            "completion_tokens": written,
            "total_tokens": prompt + written,
        }
    return payload


def chunk(
    model: str, delta: dict[str, Any] | None, usage: tuple[int, int] | None = None
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 1_700_000_000,
        "model": model,
        "choices": []
        if delta is None
        else [{"index": 0, "delta": delta, "finish_reason": None, "logprobs": None}],
    }
    if usage is not None:
        prompt, written = usage
        payload["usage"] = {
            "prompt_tokens": prompt,
            "completion_tokens": written,
            "total_tokens": prompt + written,
        }
    return payload


def answer_json(*sentences: tuple[str, list[int]]) -> str:
    """The JSON a model returns for `(text, sources)` pairs."""
    return json.dumps(
        {"sentences": [{"text": t, "sources": s, "list_item": False} for t, s in sentences]}
    )


def deltas(text: str, size: int = 7) -> Iterator[str]:
    for start in range(0, len(text), size):
        yield text[start : start + size]
