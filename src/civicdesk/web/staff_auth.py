"""Who is signed in, what they may do, and CSRF checks: what every staff route depends on.

A staff route names the permission it needs::

    @router.get("/staff/metrics")
    def metrics(request: Request, user: Annotated[StaffUser, Depends(require("queues.metrics"))]):

and every staff POST adds ``Depends(check_csrf)``; its form renders ``{{ csrf_input() }}``.
Without a session a page request is sent to the sign-in page (303, with ``next``) and an
/api/ request gets a 401 in the API's error shape; signed in without the permission gets 403.

:func:`install` wires this into an app: the handler that turns :class:`StaffAccessDenied`
into those responses, the template globals ``csrf_input()``, ``signed_in_staff()`` and
``can(permission)``, and a middleware that marks staff responses ``no-store`` (they show
personal data, which must not linger in a shared computer's cache).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, Literal, TypeVar, cast
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from civicdesk.casework.accounts import Accounts, StaffSession, StaffUser
from civicdesk.casework.permissions import PERMISSIONS, UnknownPermission, allowed
from civicdesk.casework.staff_sessions import token_digest
from civicdesk.web.csrf import FormTokens, SignInTokens
from civicdesk.web.errors import api_error, is_api_path
from civicdesk.web.templating import environment, render

COOKIE_NAME = "civicdesk_staff"
SIGN_IN_COOKIE = "civicdesk_sign_in"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SIGN_IN_PATH = "/staff/sign-in"
HOME_PATH = "/staff"
SIGNED_IN = "signed_in"  # a route any signed-in person may use, whatever their role

FORM_EXPIRED = "This form has expired or was already sent. Go back, reload the page and try again."

_lock = threading.Lock()
_current_scope: ContextVar[Scope | None] = ContextVar("civicdesk_staff_scope", default=None)
_NOT_LOOKED_UP = "not looked up"
T = TypeVar("T")


class StaffAccessDenied(Exception):
    """Raised by the dependencies; :func:`install` turns it into the right response."""

    def __init__(
        self, kind: Literal["sign_in", "forbidden", "form_expired"], permission: str = ""
    ) -> None:
        super().__init__(kind)
        self.kind = kind
        self.permission = permission


# --- the app's shared objects ---------------------------------------------------------------


def accounts_for(request: Request) -> Accounts:
    """One Accounts per app (it holds the dummy hash used for unknown emails)."""
    return _shared(request, "accounts", lambda state: Accounts(state.settings, state.sessions))


def form_tokens_for(request: Request) -> FormTokens:
    return _shared(request, "form_tokens", lambda state: FormTokens(state.settings, state.sessions))


def sign_in_tokens_for(request: Request) -> SignInTokens:
    return _shared(request, "sign_in_tokens", lambda state: SignInTokens(state.settings))


def _shared(request: Request, name: str, build: Callable[[Any], T]) -> T:
    state = request.app.state
    existing = getattr(state, name, None)
    if existing is None:
        with _lock:
            existing = getattr(state, name, None)
            if existing is None:
                existing = build(state)
                setattr(state, name, existing)
    return cast(T, existing)


# --- who is signed in -----------------------------------------------------------------------


def current_session(request: Request) -> StaffSession | None:
    """The live session of this request, looked up once and kept in the request's state."""
    state = request.scope.setdefault("state", {})
    cached = state.get("staff_session", _NOT_LOOKED_UP)
    if cached != _NOT_LOOKED_UP:
        return cached  # type: ignore[no-any-return]
    token = request.cookies.get(COOKIE_NAME, "")
    live = accounts_for(request).session_for(token) if token else None
    state["staff_session"] = live
    return live


def current_staff(request: Request) -> StaffUser | None:
    live = current_session(request)
    return live.user if live else None


def require(permission: str) -> Any:
    """A dependency giving the signed-in StaffUser who holds ``permission`` (or "signed_in")."""
    if permission != SIGNED_IN and permission not in PERMISSIONS:
        raise UnknownPermission(permission)

    def dependency(request: Request) -> StaffUser:
        live = current_session(request)
        if live is None:
            raise StaffAccessDenied("sign_in")
        if permission != SIGNED_IN and not allowed(live.user.role, permission):
            raise StaffAccessDenied("forbidden", permission)
        return live.user

    dependency.__name__ = f"require_{permission.replace('.', '_')}"
    return dependency


# --- CSRF -----------------------------------------------------------------------------------


async def check_csrf(request: Request) -> None:
    """Dependency for every staff POST: the form's one-time token must be this session's and
    unused. Without a session the request is sent to sign in, like :func:`require`."""
    live = await run_in_threadpool(current_session, request)
    if live is None:
        raise StaffAccessDenied("sign_in")
    token = request.headers.get(CSRF_HEADER)
    if token is None:
        value = (await request.form()).get(CSRF_FIELD)
        token = value if isinstance(value, str) else None
    digest = token_digest(request.cookies.get(COOKIE_NAME, ""))
    used = await run_in_threadpool(
        form_tokens_for(request).use, token, session_id=live.id, session_digest=digest
    )
    if not used:
        raise StaffAccessDenied("form_expired")


def csrf_token(request: Request) -> str:
    """A token for one form: one-time for a session, the sign-in token before one."""
    live = current_session(request)
    if live is not None:
        digest = token_digest(request.cookies.get(COOKIE_NAME, ""))
        return form_tokens_for(request).issue(digest)
    cookie_value = request.scope.get("state", {}).get("sign_in_cookie")
    if not cookie_value:
        raise RuntimeError("csrf_input() needs a signed-in session or the sign-in page")
    return sign_in_tokens_for(request).form_value(cookie_value)


def csrf_input(request: Request) -> Markup:
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        CSRF_FIELD, csrf_token(request)
    )


# --- where to go ----------------------------------------------------------------------------


def safe_next(target: str | None) -> str:
    """``target`` when it is a path on this site, else the console home."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return HOME_PATH
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return HOME_PATH
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return HOME_PATH
    return target


def sign_in_url(request: Request, *, ended: bool = False) -> str:
    """The sign-in page, coming back here afterwards (for a page; forms go home)."""
    url = SIGN_IN_PATH
    query: list[str] = []
    if request.method == "GET":
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if here != HOME_PATH:
            query.append("next=" + quote(here, safe="/"))
    if ended:
        query.append("ended=1")
    return url + ("?" + "&".join(query) if query else "")


def clear_staff_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        COOKIE_NAME, path="/", secure=is_production(request), httponly=True, samesite="lax"
    )


def set_staff_cookie(response: Response, request: Request, token: str) -> None:
    """The session cookie: no Max-Age (it goes when the browser closes; the server's idle
    and absolute limits apply anyway), HttpOnly, SameSite=Lax, Path=/ so it also reaches
    the staff API, and Secure in production."""
    response.set_cookie(
        COOKIE_NAME,
        token,
        path="/",
        secure=is_production(request),
        httponly=True,
        samesite="lax",
    )


def is_production(request: Request) -> bool:
    return bool(request.app.state.settings.environment == "production")


# --- responses ------------------------------------------------------------------------------

DENIED_MESSAGES = {
    "forbidden": "You do not have permission to do this.",
    "form_expired": FORM_EXPIRED,
}


async def staff_access_denied(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StaffAccessDenied)
    api = is_api_path(request.scope)
    if exc.kind == "sign_in":
        if api:
            return api_error(401, "Sign in first: this needs a staff session cookie.", "E907")
        stale = COOKIE_NAME in request.cookies
        response = RedirectResponse(sign_in_url(request, ended=stale), status_code=303)
        if stale:
            clear_staff_cookie(response, request)
        return response
    message = DENIED_MESSAGES[exc.kind]
    if api:
        return api_error(403, message, "E908" if exc.kind == "forbidden" else "E909")
    user = current_staff(request)
    return render(
        request,
        "staff/403.html",
        {
            "kind": exc.kind,
            "message": message,
            "role": user.role.value if user else "",
            "page_title": "Form expired" if exc.kind == "form_expired" else "No permission",
        },
        status_code=403,
    )


# --- installing it into an app --------------------------------------------------------------


def _template_request(context: Context) -> Request:
    request = context.get("request")
    if isinstance(request, Request):
        return request
    scope = _current_scope.get()
    if scope is None:
        raise RuntimeError("staff template helpers need a request")
    return Request(scope)


@pass_context
def _csrf_input_global(context: Context) -> Markup:
    return csrf_input(_template_request(context))


@pass_context
def _signed_in_staff_global(context: Context) -> StaffUser | None:
    return current_staff(_template_request(context))


@pass_context
def _can_global(context: Context, permission: str) -> bool:
    user = current_staff(_template_request(context))
    return user is not None and allowed(user.role, permission)


STAFF_PREFIXES = ("/staff", "/api/v1/cases")


class StaffResponseMiddleware:
    """Remember the request for the template helpers; mark staff responses ``no-store``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        reset = _current_scope.set(scope)
        path = scope.get("path", "")
        staff = any(path == p or path.startswith(p + "/") for p in STAFF_PREFIXES)

        async def send_marked(message: Message) -> None:
            if staff and message["type"] == "http.response.start":
                MutableHeaders(scope=message)["Cache-Control"] = "no-store"
            await send(message)

        try:
            await self.app(scope, receive, send_marked)
        finally:
            _current_scope.reset(reset)


def install(app: FastAPI) -> None:
    """Wire staff sign-in into ``app``: call once from the app factory."""
    app.add_exception_handler(StaffAccessDenied, staff_access_denied)
    app.add_middleware(StaffResponseMiddleware)
    environment().globals.update(
        csrf_input=_csrf_input_global,
        signed_in_staff=_signed_in_staff_global,
        can=_can_global,
    )
