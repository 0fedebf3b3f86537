"""Error pages in the request's language, and JSON errors for /api/ paths.

Unhandled exceptions are caught by :class:`ErrorPageMiddleware`, which logs the request id
and the exception's type and place (never its message or the request body, either of which
may hold personal data) and shows the 500 page. Nobody sees a traceback.
"""

from __future__ import annotations

import traceback

from fastapi.exception_handlers import http_exception_handler as default_http_handler
from fastapi.exception_handlers import (
    request_validation_exception_handler as default_validation_handler,
)
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from civicdesk.logging import get_logger
from civicdesk.web.i18n import language_from_path
from civicdesk.web.templating import render_scope

log = get_logger("civicdesk.web")

PAGES = {
    404: "errors/404.html",
    413: "errors/413.html",
    429: "errors/429.html",
    500: "errors/500.html",
}


def is_api_path(scope: Scope) -> bool:
    route_path = language_from_path(scope.get("path", "/"))[1]
    return route_path == "/api" or route_path.startswith("/api/")


def api_error(status_code: int, message: str, code: str | None = None) -> JSONResponse:
    """The API's one error shape: ``{"error": {"code", "message"}}``."""
    return JSONResponse(
        {"error": {"code": code or f"E{status_code}", "message": message}},
        status_code=status_code,
    )


def error_response(scope: Scope, status_code: int, detail: str) -> Response:
    """The API's JSON error for /api/ paths, else the page for this status."""
    template = PAGES.get(status_code)
    if is_api_path(scope) or template is None:
        return api_error(status_code, detail)
    return render_scope(scope, template, status_code=status_code)


async def validation_exception_handler(request: Request, exc: Exception) -> Response:
    """A body that is not the JSON the API expects gets one coded sentence, not a list."""
    if not is_api_path(request.scope) or not isinstance(exc, RequestValidationError):
        return await default_validation_handler(request, exc)  # type: ignore[arg-type]
    first = exc.errors()[0] if exc.errors() else {}
    where_ = ".".join(str(part) for part in first.get("loc", ()) if part != "body") or "body"
    return api_error(
        422,
        'Send a JSON object like {"text": "your question"}. '
        f"Problem at {where_}: {first.get('msg', 'invalid request')}.",
        "E510",
    )


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    """404s get our page; other HTTP errors keep FastAPI's JSON answer."""
    if isinstance(exc, HTTPException) and exc.status_code == 400 and is_api_path(request.scope):
        return api_error(
            400,
            "The request body could not be read. "
            'Send JSON in UTF-8 like {"text": "your question"}.',
            "E510",
        )
    if isinstance(exc, HTTPException) and exc.status_code in PAGES:
        response = error_response(request.scope, exc.status_code, str(exc.detail))
        if exc.headers:
            response.headers.update(exc.headers)
        return response
    return await default_http_handler(request, exc)  # type: ignore[arg-type]


def where(exc: BaseException) -> str:
    """``module.py:line in function`` of the innermost frame, for the log."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "unknown"
    last = frames[-1]
    return f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno} in {last.name}"


class ErrorPageMiddleware:
    """Turn any unhandled exception into the 500 page (or JSON for the API)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            log.error(
                "unhandled error",
                error_type=f"{type(exc).__module__}.{type(exc).__qualname__}",
                at=where(exc),
                method=scope.get("method"),
                path=scope.get("path"),
            )
            if started:
                raise  # too late for an error page; let the server drop the connection
            detail = "Sorry, there is a problem with the service. Try again later."
            try:
                response = error_response(scope, 500, detail)
            except Exception as page_error:  # the error page itself failed: plain text
                log.error("error page failed", error_type=type(page_error).__name__)
                response = PlainTextResponse(detail, status_code=500)
            await response(scope, receive, send)
