"""Staff accounts and signed-in clients for web tests, through the real sign-in form.

    user = add_staff(app, Role.CASEWORKER)
    staff = sign_in(client, user.email)          # a StaffClient holding the session cookie
    page = staff.get("/staff")
    staff.post("/staff/cases/X/claim", data={...})  # a fresh one-time CSRF token is added

The CSRF token comes from a real page (``/staff/account`` unless told otherwise), the way a
browser gets one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import httpx
from argon2 import PasswordHasher
from fastapi import FastAPI
from web_client import AppClient

from civicdesk.casework.accounts import Accounts, StaffUser
from civicdesk.casework.permissions import Role
from civicdesk.web.staff_auth import COOKIE_NAME, CSRF_FIELD, SIGN_IN_COOKIE

STAFF_PASSWORD = "harbour lantern copper fig"
# Cheap hashes for test accounts: sign-in still verifies them with argon2id (and rehashes
# them to the real parameters once, as it would after a parameter change).
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
CSRF_INPUT = re.compile(r'name="' + CSRF_FIELD + r'" value="([^"]+)"')


def accounts(app: FastAPI) -> Accounts:
    return Accounts(app.state.settings, app.state.sessions, hasher=FAST_HASHER)


def add_staff(
    app: FastAPI,
    role: Role,
    *,
    email: str | None = None,
    name: str | None = None,
    password: str = STAFF_PASSWORD,
) -> StaffUser:
    """An active account with ``role`` (email and name made from the role by default)."""
    return accounts(app).add_user(
        email or f"{role.value}@example.gov.uk",
        name or f"Test {role.value.title()}",
        role,
        password,
    )


def csrf_from(html: str) -> str:
    found = CSRF_INPUT.search(html)
    assert found, "the page has no csrf_token field"
    return found.group(1)


def sign_in_response(
    client: AppClient, email: str, password: str = STAFF_PASSWORD, *, next_path: str = ""
) -> httpx.Response:
    """POST the sign-in form as a browser would: fetch it, then send it with its cookie."""
    form = client.get("/staff/sign-in")
    assert form.status_code == 200, form.text[:200]
    cookie = form.cookies[SIGN_IN_COOKIE]
    return client.post(
        "/staff/sign-in",
        data={
            "email": email,
            "password": password,
            "csrf_token": csrf_from(form.text),
            "next": next_path,
        },
        headers={"Cookie": f"{SIGN_IN_COOKIE}={cookie}"},
    )


@dataclass
class StaffClient:
    """A client that sends the staff session cookie with every request."""

    client: AppClient
    token: str
    extra_cookies: dict[str, str] = field(default_factory=dict)

    def headers(self, given: dict[str, str] | None = None) -> dict[str, str]:
        cookies = {COOKIE_NAME: self.token, **self.extra_cookies}
        cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
        return {**(given or {}), "Cookie": cookie}

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        kwargs["headers"] = self.headers(kwargs.get("headers"))
        return self.client.request(method, url, **kwargs)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def csrf_token(self, page: str = "/staff/account") -> str:
        """A fresh one-time token, read from a page's form like a browser would."""
        response = self.get(page)
        assert response.status_code == 200, (page, response.status_code)
        return csrf_from(response.text)

    def post(
        self, url: str, *, data: dict[str, Any] | None = None, csrf: bool = True, **kwargs: Any
    ) -> httpx.Response:
        """POST a form; with ``csrf`` a fresh token is added unless ``data`` has one."""
        body = dict(data or {})
        if csrf and CSRF_FIELD not in body:
            body[CSRF_FIELD] = self.csrf_token()
        return self.request("POST", url, data=body, **kwargs)


def sign_in(client: AppClient, email: str, password: str = STAFF_PASSWORD) -> StaffClient:
    """Sign in through the form; the StaffClient carries the new session cookie."""
    response = sign_in_response(client, email, password)
    assert response.status_code == 303, response.text[:500]
    return StaffClient(client, response.cookies[COOKIE_NAME])
