"""Every route the app serves, called with no login and as each role, against ROUTE_ACCESS.

A route without a row in civicdesk.web.access.ROUTE_ACCESS fails here, so nothing is served
without someone deciding who may use it. "Allowed" means anything but a refusal: a 404 for a
placeholder reference, or a 422 for an empty form, still shows the request got past access
control. A refusal must take the right form: with no login, a page redirects to sign-in and
the API answers 401; signed in without the permission, 403.

POSTs carry what a browser would: the sign-in form's cookie and token, and, when signed in, a
fresh one-time token of the session in the X-CSRF-Token header. A route that ends the session
(sign out) is followed by signing in again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from staff_login import StaffClient, add_staff, csrf_from, sign_in
from starlette.routing import Mount
from web_client import AppClient, web_settings_for

from civicdesk.casework.permissions import Role, allowed
from civicdesk.store import migrate
from civicdesk.web.access import API_KEY, PUBLIC, ROUTE_ACCESS, SIGNED_IN, unknown_levels
from civicdesk.web.app import create_app
from civicdesk.web.errors import is_api_path
from civicdesk.web.staff_auth import CSRF_HEADER, SIGN_IN_COOKIE, SIGN_IN_PATH

PLACEHOLDER = "ZZ-NO-SUCH-0000"
PARAMETER = re.compile(r"\{[^}]+\}")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    application = create_app(web_settings_for(tmp_path_factory.mktemp("matrix")))
    migrate.upgrade(application.state.engine)
    for role in Role:
        add_staff(application, role)
    yield application
    application.state.engine.dispose()


def served_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path template) for every route, without static mounts and HEAD."""
    found: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, Mount) or context.path is None:
            continue
        for method in context.methods or ():
            if method != "HEAD":
                found.add((method, context.path))
    return sorted(found, key=lambda route: (route[1], route[0]))


def test_every_route_has_a_row(app: FastAPI) -> None:
    missing = [route for route in served_routes(app) if route not in ROUTE_ACCESS]
    assert not missing, (
        "add these to ROUTE_ACCESS in src/civicdesk/web/access.py "
        f"(public, signed_in or a permission): {missing}"
    )


def test_every_row_is_a_route_and_names_a_known_level(app: FastAPI) -> None:
    stale = sorted(set(ROUTE_ACCESS) - set(served_routes(app)))
    assert not stale, f"ROUTE_ACCESS rows for routes the app does not serve: {stale}"
    assert unknown_levels(ROUTE_ACCESS) == []


@dataclass
class Caller:
    """Someone calling routes: nobody (role None) or a signed-in member of staff."""

    client: AppClient
    role: Role | None
    staff: StaffClient | None = None

    def session(self) -> StaffClient:
        """The signed-in client, signing in again if a route ended the session."""
        assert self.role is not None
        if self.staff is None or self.staff.get("/staff/account").status_code != 200:
            self.staff = sign_in(self.client, f"{self.role.value}@example.gov.uk")
        return self.staff

    def call(self, method: str, path: str) -> httpx.Response:
        if method == "GET":
            if self.role is None:
                return self.client.get(path)
            return self.session().get(path)
        form = self.client.get(SIGN_IN_PATH)
        data = {"csrf_token": csrf_from(form.text)}
        cookie = f"{SIGN_IN_COOKIE}={form.cookies[SIGN_IN_COOKIE]}"
        if self.role is None:
            return self.client.request(method, path, data=data, headers={"Cookie": cookie})
        staff = self.session()
        headers = {CSRF_HEADER: staff.csrf_token()}
        staff.extra_cookies = {SIGN_IN_COOKIE: form.cookies[SIGN_IN_COOKIE]}
        try:
            return staff.request(method, path, data=data, headers=headers)
        finally:
            staff.extra_cookies = {}


def expected(level: str, role: Role | None) -> bool:
    if level == PUBLIC:
        return True
    if role is None or level == API_KEY:
        return False
    return level == SIGNED_IN or allowed(role, level)


def outcome(response: httpx.Response) -> str:
    """'allowed', or the kind of refusal: 'sign in' (page redirect or API 401), 'forbidden'.

    Signing out also ends on the sign-in page, but with a ``notice`` saying so: that is the
    route doing its job, not a refusal."""
    location = urlsplit(response.headers.get("location", ""))
    if (
        response.status_code == 303
        and location.path == SIGN_IN_PATH
        and "notice" not in parse_qs(location.query)
    ):
        return "sign in (page)"
    if response.status_code == 401:
        return "sign in (api)"
    if response.status_code == 403:
        return "forbidden"
    return "allowed"


@pytest.mark.parametrize("role", [None, *Role], ids=lambda role: role or "no-login")
def test_each_route_allows_and_refuses_as_the_table_says(app: FastAPI, role: Role | None) -> None:
    caller = Caller(AppClient(app), role)
    wrong: list[str] = []
    for method, template in served_routes(app):
        level = ROUTE_ACCESS.get((method, template))
        if level is None:
            continue  # reported by test_every_route_has_a_row
        path = PARAMETER.sub(PLACEHOLDER, template)
        response = caller.call(method, path)
        got = outcome(response)
        if expected(level, role):
            want = "allowed"
        elif role is None or level == API_KEY:  # no key is sent: a session never counts
            api = level == API_KEY or is_api_path({"path": path})
            want = "sign in (api)" if api else "sign in (page)"
        else:
            want = "forbidden"
        if got != want:
            wrong.append(
                f"{method} {template} [{level}] as {role or 'no login'}: "
                f"wanted {want}, got {got} ({response.status_code})"
            )
    assert not wrong, "\n".join(wrong)
