"""Staff sign-in and sign-out pages. Staff pages are in English only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from civicdesk.casework.accounts import SignInRefused, StaffUser
from civicdesk.casework.permissions import PERMISSION_DESCRIPTIONS, allowed
from civicdesk.web.staff_auth import (
    COOKIE_NAME,
    FORM_EXPIRED,
    HOME_PATH,
    SIGN_IN_COOKIE,
    SIGN_IN_PATH,
    SIGNED_IN,
    accounts_for,
    check_csrf,
    clear_staff_cookie,
    current_session,
    is_production,
    require,
    safe_next,
    set_staff_cookie,
    sign_in_tokens_for,
)
from civicdesk.web.templating import render

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

NOTICES = {
    "signed_out": "You have signed out.",
    "signed_out_everywhere": "You have signed out on every device.",
}
MAX_EMAIL_FIELD = 320
MAX_PASSWORD_FIELD = 1024


def sign_in_page(
    request: Request,
    *,
    next_path: str,
    email: str = "",
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The form, with a sign-in cookie (kept if the browser already has one, so two tabs
    both work) whose MAC goes in the form."""
    tokens = sign_in_tokens_for(request)
    cookie_value = request.cookies.get(SIGN_IN_COOKIE) or tokens.new_cookie_value()
    request.scope.setdefault("state", {})["sign_in_cookie"] = cookie_value
    notice = NOTICES.get(request.query_params.get("notice", ""))
    if request.query_params.get("ended") and not errors:
        notice = "Your session has ended, so you need to sign in again."
    response = render(
        request,
        "staff/sign_in.html",
        {
            "page_title": ("Error: " if errors else "") + "Sign in",
            "email": email,
            "next_path": next_path,
            "errors": errors or {},
            "notice": notice,
        },
        status_code=status_code,
    )
    response.set_cookie(
        SIGN_IN_COOKIE,
        cookie_value,
        path=SIGN_IN_PATH,
        secure=is_production(request),
        httponly=True,
        samesite="strict",
    )
    return response


def home_for(user: StaffUser) -> str:
    """Where a role starts: its queues, else the metrics it may read, else its account."""
    if allowed(user.role, "cases.view"):
        return HOME_PATH
    if allowed(user.role, "queues.metrics"):
        return "/staff/metrics"
    return "/staff/account"


@router.get("/staff/sign-in")
def sign_in_form(request: Request, next_path: Annotated[str, Query(alias="next")] = "") -> Response:
    if current_session(request) is not None:
        return RedirectResponse(safe_next(next_path), status_code=303)
    return sign_in_page(request, next_path=safe_next(next_path))


@router.post("/staff/sign-in")
async def sign_in(
    request: Request,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next_field: Annotated[str, Form(alias="next")] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    next_path = safe_next(next_field)
    email = email.strip()[:MAX_EMAIL_FIELD]
    if not sign_in_tokens_for(request).check(request.cookies.get(SIGN_IN_COOKIE), csrf_token):
        return sign_in_page(
            request,
            next_path=next_path,
            email=email,
            errors={"form": FORM_EXPIRED + " Your browser must accept cookies to sign in."},
            status_code=403,
        )
    errors: dict[str, str] = {}
    if not email:
        errors["email"] = "Enter your email address"
    if not password:
        errors["password"] = "Enter your password"
    elif len(password) > MAX_PASSWORD_FIELD:
        errors["password"] = f"Password must be {MAX_PASSWORD_FIELD} characters or fewer"
    if errors:
        return sign_in_page(
            request, next_path=next_path, email=email, errors=errors, status_code=400
        )
    accounts = accounts_for(request)
    client = request.client.host if request.client else "unknown"
    try:
        user = await run_in_threadpool(accounts.authenticate, email, password, client=client)
    except SignInRefused as refused:
        return sign_in_page(
            request,
            next_path=next_path,
            email=email,
            errors={"form": f"{refused.message} {refused.hint}".strip()},
            status_code=429 if refused.reason == "locked" else 400,
        )
    old_token = request.cookies.get(COOKIE_NAME)
    if old_token:  # never carry a session over a sign-in (session fixation)
        await run_in_threadpool(accounts.end_session, old_token)
    token = await run_in_threadpool(accounts.start_session, user)
    if next_path == HOME_PATH and not allowed(user.role, "cases.view"):
        next_path = home_for(user)  # an analyst or auditor has no queue to land on
    response = RedirectResponse(next_path, status_code=303)
    set_staff_cookie(response, request, token)
    response.delete_cookie(SIGN_IN_COOKIE, path=SIGN_IN_PATH)
    return response


@router.post("/staff/sign-out", dependencies=[Depends(check_csrf)])
def sign_out(request: Request) -> Response:
    accounts_for(request).end_session(request.cookies.get(COOKIE_NAME, ""))
    response = RedirectResponse(f"{SIGN_IN_PATH}?notice=signed_out", status_code=303)
    clear_staff_cookie(response, request)
    return response


@router.post("/staff/sign-out-everywhere", dependencies=[Depends(check_csrf)])
def sign_out_everywhere(
    request: Request, user: Annotated[StaffUser, Depends(require(SIGNED_IN))]
) -> Response:
    accounts_for(request).end_all_sessions(user.id)
    response = RedirectResponse(f"{SIGN_IN_PATH}?notice=signed_out_everywhere", status_code=303)
    clear_staff_cookie(response, request)
    return response


@router.get("/staff/account")
def account(request: Request, user: Annotated[StaffUser, Depends(require(SIGNED_IN))]) -> Response:
    """Who is signed in, what their role lets them do, and sign out everywhere."""
    permissions = [
        text for name, text in PERMISSION_DESCRIPTIONS.items() if allowed(user.role, name)
    ]
    return render(
        request,
        "staff/account.html",
        {"page_title": "Your account", "user": user, "permissions": permissions},
    )
