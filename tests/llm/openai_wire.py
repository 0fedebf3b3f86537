"""A real HTTP server that speaks the OpenAI wire format (chat completions and embeddings),
for contract tests.

Each request takes the next scripted behaviour (a reply, an error status, a delay, a broken
body, an SSE stream, an embeddings reply out of order or of the wrong length); with the script
empty, a small "model" answers from the numbered sources in the prompt by quoting the first
full sentence of source [1] and citing it (as an SSE stream when the request asks for one),
and `POST /v1/embeddings` answers with `bag_of_words` vectors. Every request is recorded
(body, headers, time) so tests can see what the client really sent. Standard library only;
responses close the connection, so no socket outlives a test.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import struct
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
class Vectors:
    """A 200 embeddings reply of `bag_of_words` rows, one per input unless `count` says how
    many to send (the wrong count); `shuffled` sends the rows out of index order."""

    shuffled: bool = False
    count: int | None = None


@dataclass(frozen=True)
class Slow:
    """Wait `seconds` before answering with `then` (longer than the client's timeout: a
    timeout). On the embeddings path a `then` that is not `Vectors` means `Vectors()`."""

    seconds: float
    then: Reply | Vectors = Reply('{"sentences": []}')


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


Behaviour = Reply | Status | Slow | Raw | Stream | Vectors

DIMENSIONS = 64  # of the embeddings
MAX_INPUTS = 2048  # per embeddings request, as OpenAI's API allows


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

    def answer(self, body: dict[str, Any]) -> Reply | Stream:
        """What the "model" says unscripted: its reply, streamed when a stream was asked for."""
        reply = self.model(body)
        if body.get("stream"):
            return Stream(tuple(deltas(reply.content)), usage=reply.usage)
        return reply

    def completions(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def embeddings(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/embeddings")]

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _next(
        self, body: dict[str, Any], default: Callable[[dict[str, Any]], Behaviour]
    ) -> Behaviour:
        with self._lock:
            if self._script:
                return self._script.popleft()
        return default(body)

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
                if self.path.endswith("/embeddings"):
                    self._embeddings(body)
                    return
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
                    self._behave(server._next(body, server.answer), body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to answer

            def _embeddings(self, body: dict[str, Any]) -> None:
                texts = body.get("input")
                if isinstance(texts, str):
                    texts = [texts]
                problem = embeddings_input_problem(texts)
                if problem:
                    error = {"message": problem, "type": "invalid_request_error", "param": "input"}
                    self._json(400, {"error": error})
                    return
                try:
                    self._behave(server._next(body, lambda _: Vectors()), body, texts)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _behave(
                self, behaviour: Behaviour, body: dict[str, Any], texts: list[str] | None = None
            ) -> None:
                """Answer with `behaviour`; `texts` are the inputs of an embeddings request."""
                if isinstance(behaviour, Slow):
                    time.sleep(behaviour.seconds)
                    behaviour = behaviour.then
                if isinstance(behaviour, Status):
                    error = {"error": {"message": behaviour.message, "type": "server_error"}}
                    self._json(behaviour.status, error, behaviour.headers)
                elif isinstance(behaviour, Raw):
                    self._send(200, behaviour.body, behaviour.content_type)
                elif texts is not None:
                    vectors = behaviour if isinstance(behaviour, Vectors) else Vectors()
                    self._json(200, embedding_list(vectors, texts, body))
                elif isinstance(behaviour, Stream):
                    self._stream(behaviour, body)
                elif isinstance(behaviour, Reply):
                    self._json(200, completion(behaviour, str(body.get("model", ""))))
                else:
                    self._json(400, {"error": {"message": f"{behaviour!r} is for embeddings"}})

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


def bag_of_words(text: str) -> list[float]:
    """A deterministic embedding: each lower-cased word adds 1 to one of DIMENSIONS slots
    chosen by its hash, and a constant slot holds 0.5 so no row is zero. Not normalised (the
    client's normalisation shows); texts that share words point the same way."""
    row = [0.0] * DIMENSIONS
    row[0] = 0.5
    for word in re.findall(r"\w+", text.lower()):
        digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
        row[1 + int.from_bytes(digest, "little") % (DIMENSIONS - 1)] += 1.0
    return row


def embeddings_input_problem(texts: object) -> str | None:
    """What OpenAI's API would refuse in `input` (strings only here), or None."""
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        return "'$.input' must be a string or a list of strings"
    if not texts or len(texts) > MAX_INPUTS:
        return f"'$.input' must hold 1 to {MAX_INPUTS} items"
    if any(t == "" for t in texts):
        return "'$.input' is invalid: an input cannot be an empty string"
    return None


def embedding_list(vectors: Vectors, texts: list[str], body: dict[str, Any]) -> dict[str, Any]:
    """The embeddings response body, as floats or (encoding_format "base64") as base64 of
    little-endian float32, which is what the openai SDK asks for by default."""
    count = len(texts) if vectors.count is None else vectors.count
    rows = [(i, bag_of_words(texts[i % len(texts)])) for i in range(count)]
    if vectors.shuffled and len(rows) > 1:
        shuffled = rows[:]
        random.Random(len(rows)).shuffle(shuffled)
        rows = shuffled if shuffled != rows else rows[::-1]
    as_base64 = body.get("encoding_format") == "base64"
    data = [
        {
            "object": "embedding",
            "index": index,
            "embedding": base64.b64encode(struct.pack(f"<{len(row)}f", *row)).decode("ascii")
            if as_base64
            else row,
        }
        for index, row in rows
    ]
    tokens = sum(len(re.findall(r"\w+", t)) for t in texts)
    return {
        "object": "list",
        "data": data,
        "model": str(body.get("model", "")),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


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
