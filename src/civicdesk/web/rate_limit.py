"""Limit how fast one client can send questions: a token bucket per address, per process.

Only question-sending requests are limited (POST /ask, POST /answer/stream and
POST /api/v1/inquiries, in either language). The address is held in memory to count
requests, never logged or stored. Behind a proxy, uvicorn's proxy headers give the client's
own address. With several workers each keeps its own buckets, so the effective limit is the
setting times the number of workers.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict

from starlette.types import ASGIApp, Receive, Scope, Send

from civicdesk.web.errors import error_response
from civicdesk.web.i18n import language_from_path

LIMITED_PATHS = frozenset({"/ask", "/answer/stream", "/api/v1/inquiries"})
MAX_CLIENTS = 50_000


class TokenBuckets:
    """`per_minute` requests a minute on average, `burst` at once, for each key."""

    def __init__(self, per_minute: int, burst: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str, now: float) -> float:
        """0 when a request may go ahead (and it is counted), else seconds to wait."""
        tokens, last = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
        self._buckets[key] = (tokens - 1 if wait == 0 else tokens, now)
        while len(self._buckets) > MAX_CLIENTS:
            self._buckets.popitem(last=False)  # forget the least recently seen client
        return wait


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, per_minute: int, burst: int) -> None:
        self.app = app
        self.buckets = TokenBuckets(per_minute, burst) if per_minute > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.buckets is None
            or scope["type"] != "http"
            or scope.get("method") != "POST"
            or language_from_path(scope.get("path", "/"))[1] not in LIMITED_PATHS
        ):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.buckets.take(client[0] if client else "unknown", time.monotonic())
        if wait == 0:
            await self.app(scope, receive, send)
            return
        seconds = max(1, math.ceil(wait))
        response = error_response(
            scope, 429, f"Too many questions too quickly. Try again in {seconds} seconds."
        )
        response.headers["Retry-After"] = str(seconds)
        await response(scope, receive, send)
