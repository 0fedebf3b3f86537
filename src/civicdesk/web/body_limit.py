"""Refuse request bodies larger than ``settings.max_body_bytes`` with a 413.

The declared Content-Length is checked before the app runs; bodies sent without one (chunked)
are counted as they stream in, and the app is cut off as soon as the limit is passed.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from civicdesk.web.errors import error_response


class BodyTooLarge(Exception):
    """Raised inside the app's receive() once the streamed body passes the limit."""


def declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _detail(self) -> str:
        return f"The request body is larger than the {self.max_bytes} bytes this service accepts."

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = declared_length(scope)
        if length is not None and length > self.max_bytes:
            await error_response(scope, 413, self._detail())(scope, receive, send)
            return

        received = 0
        exceeded = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def answer_too_large() -> None:
            nonlocal started
            started = True
            await error_response(scope, 413, self._detail())(scope, receive, send)

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                # The app caught the error and answered (a 400, say): answer 413 instead.
                if not started and message["type"] == "http.response.start":
                    await answer_too_large()
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except BodyTooLarge:
            if not started:
                await answer_too_large()
