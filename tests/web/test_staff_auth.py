"""Staff sign-in over HTTP, as a browser without JavaScript uses it: forms, cookies, CSRF,
redirects, lockout, sign-out, and what the API and pages answer without the right access."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse
from staff_login import (
    STAFF_PASSWORD,
    StaffClient,
    accounts,
    add_staff,
    csrf_from,
    sign_in,
    sign_in_response,
)
from web_client import AppClient, MakeClient

from civicdesk.casework.accounts import StaffUser
from civicdesk.casework.permissions import Role
from civicdesk.store import migrate
from civicdesk.store.audit import AuditEvent
from civicdesk.store.staff import StaffFormTokenRow
from civicdesk.web.staff_auth import (
    COOKIE_NAME,
    FORM_EXPIRED,
    SIGN_IN_COOKIE,
    check_csrf,
    require,
    safe_next,
)
from civicdesk.web.templating import environment, render

WRONG = "The email address or password is not right."


@pytest.fixture
def ann(app: FastAPI) -> StaffUser:
    return add_staff(app, Role.CASEWORKER, email="ann@example.gov.uk", name="Ann Other")


@pytest.fixture
def probed(app: FastAPI) -> FastAPI:
    """The app with routes to probe: a page and an API call that need ``users.manage``, a
    form any signed-in person may send, and a template rendered without the request."""
    probe = APIRouter()

    @probe.get("/api/v1/probe")
    def api_probe(user: Annotated[StaffUser, Depends(require("users.manage"))]) -> dict[str, int]:
        return {"id": user.id}

    @probe.get("/staff/probe", response_class=HTMLResponse)
    def page_probe(
        request: Request, user: Annotated[StaffUser, Depends(require("users.manage"))]
    ) -> HTMLResponse:
        return render(request, "staff/403.html", {"kind": "forbidden", "message": "probe"})

    @probe.post("/staff/probe-form", dependencies=[Depends(check_csrf)])
    def form_probe(user: Annotated[StaffUser, Depends(require("signed_in"))]) -> str:
        return "sent"

    @probe.get("/staff/bare-template", response_class=HTMLResponse)
    def bare_template(
        user: Annotated[StaffUser, Depends(require("signed_in"))],
    ) -> HTMLResponse:
        # A template imported without context has no `request`: csrf_input() still works.
        return HTMLResponse(environment().from_string("{{ csrf_input() }}").render())

    app.include_router(probe)
    return app


def set_cookie_headers(response: object) -> list[str]:
    return response.headers.get_list("set-cookie")  # type: ignore[attr-defined, no-any-return]


def cookie_header(response: object, name: str) -> str:
    (header,) = [h for h in set_cookie_headers(response) if h.startswith(name + "=")]
    return header


# --- the sign-in page -----------------------------------------------------------------------


def test_sign_in_is_a_plain_form_with_a_signed_cookie(client: AppClient) -> None:
    page = client.get("/staff/sign-in")
    assert page.status_code == 200
    html = page.text
    assert '<html lang="en"' in html
    assert '<form method="post" action="/staff/sign-in" novalidate>' in html
    for field in ('name="email"', 'name="password"', 'name="csrf_token"', 'name="next"'):
        assert field in html
    assert 'autocomplete="current-password"' in html
    assert "<title>Sign in – Example County Council staff</title>" in html
    assert page.headers["cache-control"] == "no-store"
    cookie = cookie_header(page, SIGN_IN_COOKIE).lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/staff/sign-in" in cookie
    assert "secure" not in cookie  # plain http in tests; see the production test


def test_signing_in_sets_a_secure_session_cookie_and_goes_home(
    client: AppClient, ann: StaffUser
) -> None:
    response = sign_in_response(client, "ANN@example.gov.uk")
    assert response.status_code == 303
    assert response.headers["location"] == "/staff"
    cookie = cookie_header(response, COOKIE_NAME).lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/;" in cookie + ";"
    assert "max-age" not in cookie and "expires" not in cookie  # ends with the browser
    assert "secure" not in cookie
    assert cookie_header(response, SIGN_IN_COOKIE).lower().count("max-age=0") == 1
    staff = StaffClient(client, response.cookies[COOKIE_NAME])
    account = staff.get("/staff/account")
    assert account.status_code == 200
    assert "Ann Other" in account.text and "ann@example.gov.uk" in account.text


def test_in_production_the_cookies_are_secure(make_client: MakeClient) -> None:
    client = make_client(environment="production")
    migrate.upgrade(client.app.state.engine)
    add_staff(client.app, Role.ADMIN, email="ada@example.gov.uk")
    page = client.get("/staff/sign-in")
    assert "; secure" in cookie_header(page, SIGN_IN_COOKIE).lower()
    response = sign_in_response(client, "ada@example.gov.uk")
    assert "; secure" in cookie_header(response, COOKIE_NAME).lower()


@pytest.mark.parametrize(
    ("target", "goes_to"),
    [
        ("/staff/cases/CD-1234?tab=history", "/staff/cases/CD-1234?tab=history"),
        ("/api/v1/cases", "/api/v1/cases"),
        ("", "/staff"),
        ("https://evil.example/", "/staff"),
        ("//evil.example/", "/staff"),
        ("/\\evil.example", "/staff"),
        ("javascript:alert(1)", "/staff"),
        ("staff", "/staff"),
        ("/staff\r\nSet-Cookie: x=1", "/staff"),
        ("/\tevil", "/staff"),
    ],
)
def test_only_local_paths_are_followed_after_sign_in(target: str, goes_to: str) -> None:
    assert safe_next(target) == goes_to


def test_sign_in_returns_to_the_page_asked_for(client: AppClient, ann: StaffUser) -> None:
    asked = client.get("/staff/account?x=1")
    assert asked.status_code == 303
    assert asked.headers["location"] == "/staff/sign-in?next=/staff/account%3Fx%3D1"
    form = client.get(asked.headers["location"])
    assert 'name="next" value="/staff/account?x=1"' in form.text
    response = sign_in_response(client, ann.email, next_path="/staff/account?x=1")
    assert response.headers["location"] == "/staff/account?x=1"
    evil = sign_in_response(client, ann.email, next_path="https://evil.example/")
    assert evil.headers["location"] == "/staff"


def test_a_signed_in_person_skips_the_form(client: AppClient, ann: StaffUser) -> None:
    staff = sign_in(client, ann.email)
    again = staff.get("/staff/sign-in?next=/staff/account")
    assert again.status_code == 303 and again.headers["location"] == "/staff/account"


def test_welsh_prefix_still_shows_the_english_staff_page(client: AppClient) -> None:
    page = client.get("/cy/staff/sign-in")
    assert page.status_code == 200
    assert '<html lang="en"' in page.text and "Sign in" in page.text


# --- refusals -------------------------------------------------------------------------------


def page_error(html: str) -> str:
    found = re.search(r'<ul class="govuk-list govuk-error-summary__list">(.*?)</ul>', html, re.S)
    assert found, "no error summary"
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split())


def test_wrong_password_and_unknown_email_look_the_same(client: AppClient, ann: StaffUser) -> None:
    known = sign_in_response(client, ann.email, "a wrong password")
    unknown = sign_in_response(client, "nobody@example.gov.uk", "a wrong password")
    assert known.status_code == unknown.status_code == 400
    assert (
        page_error(known.text) == page_error(unknown.text) == f"{WRONG} Check them and try again."
    )
    assert 'value="ann@example.gov.uk"' in known.text  # the email is kept
    assert "a wrong password" not in known.text  # the password is not
    assert COOKIE_NAME not in known.cookies


def test_empty_fields_are_named(client: AppClient) -> None:
    response = sign_in_response(client, "", "")
    assert response.status_code == 400
    assert page_error(response.text) == "Enter your email address Enter your password"
    assert "<title>Error: Sign in" in response.text


def test_repeated_failures_lock_with_a_clear_message(client: AppClient, ann: StaffUser) -> None:
    for _ in range(5):
        assert sign_in_response(client, ann.email, "guessing again").status_code == 400
    locked = sign_in_response(client, ann.email)  # the right password, too late
    assert locked.status_code == 429
    assert "too many attempts to sign in" in page_error(locked.text)
    assert "Wait 15 minutes" in page_error(locked.text)
    assert COOKIE_NAME not in locked.cookies


def test_sign_in_without_its_cookie_or_token_is_refused(client: AppClient, ann: StaffUser) -> None:
    form = client.get("/staff/sign-in")
    data = {"email": ann.email, "password": STAFF_PASSWORD, "csrf_token": csrf_from(form.text)}
    no_cookie = client.post("/staff/sign-in", data=data)
    assert no_cookie.status_code == 403
    assert FORM_EXPIRED in page_error(no_cookie.text)
    assert "must accept cookies" in no_cookie.text
    other = client.get("/staff/sign-in").cookies[SIGN_IN_COOKIE]
    foreign = client.post(
        "/staff/sign-in", data=data, headers={"Cookie": f"{SIGN_IN_COOKIE}={other}"}
    )
    assert foreign.status_code == 403
    assert COOKIE_NAME not in foreign.cookies


def test_signing_in_ends_a_session_the_browser_already_had(
    client: AppClient, ann: StaffUser
) -> None:
    old = sign_in(client, ann.email)
    form = client.get("/staff/sign-in")
    response = client.post(
        "/staff/sign-in",
        data={"email": ann.email, "password": STAFF_PASSWORD, "csrf_token": csrf_from(form.text)},
        headers={
            "Cookie": f"{SIGN_IN_COOKIE}={form.cookies[SIGN_IN_COOKIE]}; {COOKIE_NAME}={old.token}"
        },
    )
    assert response.status_code == 303
    assert response.cookies[COOKIE_NAME] != old.token
    assert old.get("/staff/account").status_code == 303


# --- access ---------------------------------------------------------------------------------


def test_pages_send_people_to_sign_in_and_the_api_answers_401(probed: FastAPI) -> None:
    client = AppClient(probed)
    page = client.get("/staff/probe")
    assert page.status_code == 303
    assert page.headers["location"] == "/staff/sign-in?next=/staff/probe"
    api = client.get("/api/v1/probe")
    assert api.status_code == 401
    assert api.json() == {
        "error": {"code": "E907", "message": "Sign in first: this needs a staff session cookie."}
    }


def test_an_ended_session_says_so_and_clears_the_cookie(client: AppClient) -> None:
    response = client.get("/staff/account", headers={"Cookie": f"{COOKIE_NAME}=expired-token"})
    assert response.headers["location"] == "/staff/sign-in?next=/staff/account&ended=1"
    assert "max-age=0" in cookie_header(response, COOKIE_NAME).lower()
    page = client.get(response.headers["location"])
    assert "Your session has ended, so you need to sign in again." in page.text


def test_the_wrong_role_gets_403_page_or_json(probed: FastAPI) -> None:
    client = AppClient(probed)
    add_staff(probed, Role.ANALYST)
    add_staff(probed, Role.ADMIN)
    analyst = sign_in(client, "analyst@example.gov.uk")
    page = analyst.get("/staff/probe")
    assert page.status_code == 403
    assert "You do not have permission to see this page" in page.text
    assert "Your role is analyst." in page.text
    api = analyst.get("/api/v1/probe")
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "E908"
    admin = sign_in(client, "admin@example.gov.uk")
    assert admin.get("/staff/probe").status_code == 200
    assert admin.get("/api/v1/probe").json() == {"id": 2}


def test_csrf_input_works_in_a_template_without_the_request(probed: FastAPI) -> None:
    client = AppClient(probed)
    add_staff(probed, Role.ANALYST)
    html = sign_in(client, "analyst@example.gov.uk").get("/staff/bare-template").text
    assert html.startswith('<input type="hidden" name="csrf_token" value="')


def test_disabling_an_account_stops_its_session_at_once(
    app: FastAPI, client: AppClient, ann: StaffUser
) -> None:
    staff = sign_in(client, ann.email)
    assert staff.get("/staff/account").status_code == 200
    accounts(app).disable(ann.email)
    assert staff.get("/staff/account").status_code == 303


# --- CSRF on staff forms --------------------------------------------------------------------


def test_a_form_token_works_once(probed: FastAPI) -> None:
    client = AppClient(probed)
    add_staff(probed, Role.ANALYST)
    staff = sign_in(client, "analyst@example.gov.uk")
    token = staff.csrf_token()
    first = staff.post("/staff/probe-form", data={"csrf_token": token})
    assert (first.status_code, first.text) == (200, '"sent"')
    replay = staff.post("/staff/probe-form", data={"csrf_token": token})
    assert replay.status_code == 403
    assert FORM_EXPIRED in replay.text
    assert '<h1 class="govuk-heading-l">This form has expired</h1>' in replay.text
    assert staff.get("/staff/account").status_code == 200  # still signed in


def test_the_same_form_sent_twice_at_once_goes_through_once(probed: FastAPI) -> None:
    client = AppClient(probed)
    add_staff(probed, Role.ANALYST)
    staff = sign_in(client, "analyst@example.gov.uk")
    token = staff.csrf_token()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(
            pool.map(
                lambda _: staff.post("/staff/probe-form", data={"csrf_token": token}).status_code,
                range(4),
            )
        )
    assert sorted(results) == [200, 403, 403, 403]


@pytest.mark.parametrize("kind", ["missing", "made-up", "tampered", "another session's"])
def test_bad_form_tokens_are_refused(probed: FastAPI, kind: str) -> None:
    client = AppClient(probed)
    add_staff(probed, Role.ANALYST)
    staff = sign_in(client, "analyst@example.gov.uk")
    data: dict[str, str] = {}
    if kind == "made-up":
        data["csrf_token"] = "abc.def"
    elif kind == "tampered":
        token = staff.csrf_token()
        data["csrf_token"] = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif kind == "another session's":
        data["csrf_token"] = sign_in(client, "analyst@example.gov.uk").csrf_token()
    response = staff.post("/staff/probe-form", data=data, csrf=False)
    assert response.status_code == 403
    assert FORM_EXPIRED in response.text
    assert staff.get("/staff/account").status_code == 200


def test_a_form_sent_after_the_session_ended_goes_to_sign_in(probed: FastAPI) -> None:
    client = AppClient(probed)
    add_staff(probed, Role.ANALYST)
    staff = sign_in(client, "analyst@example.gov.uk")
    token = staff.csrf_token()
    staff.post("/staff/sign-out")
    response = staff.post("/staff/probe-form", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/sign-in?ended=1"


def test_the_token_may_come_in_a_header_for_scripts(client: AppClient, ann: StaffUser) -> None:
    staff = sign_in(client, ann.email)
    token = staff.csrf_token()
    response = staff.request("POST", "/staff/sign-out", headers={"X-CSRF-Token": token})
    assert response.status_code == 303


# --- signing out ----------------------------------------------------------------------------


def test_sign_out_ends_the_session_and_says_so(
    app: FastAPI, client: AppClient, ann: StaffUser
) -> None:
    staff = sign_in(client, ann.email)
    response = staff.post("/staff/sign-out")
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/sign-in?notice=signed_out"
    assert "max-age=0" in cookie_header(response, COOKIE_NAME).lower()
    assert staff.get("/staff/account").status_code == 303
    assert "You have signed out." in client.get(response.headers["location"]).text
    with app.state.sessions() as session:
        last = session.query(AuditEvent).order_by(AuditEvent.seq.desc()).first()
        used_tokens = session.query(StaffFormTokenRow).count()
    assert last is not None and last.action == "staff.signed_out"
    assert used_tokens == 0  # the used sign-out token went with the session


def test_sign_out_everywhere_ends_every_session(client: AppClient, ann: StaffUser) -> None:
    laptop, phone = sign_in(client, ann.email), sign_in(client, ann.email)
    response = phone.post("/staff/sign-out-everywhere")
    assert response.headers["location"] == "/staff/sign-in?notice=signed_out_everywhere"
    assert laptop.get("/staff/account").status_code == 303
    assert phone.get("/staff/account").status_code == 303


# --- the staff layout -----------------------------------------------------------------------


def test_the_layout_shows_the_person_their_menu_and_a_sign_out_form(
    app: FastAPI, client: AppClient
) -> None:
    add_staff(app, Role.CASEWORKER)
    add_staff(app, Role.SUPERVISOR)
    caseworker = sign_in(client, "caseworker@example.gov.uk").get("/staff/account").text
    supervisor = sign_in(client, "supervisor@example.gov.uk").get("/staff/account").text
    for html in (caseworker, supervisor):
        assert "Example County Council staff" in html
        assert 'href="/staff">' in html and 'href="/staff/search"' in html
        assert '<form method="post" action="/staff/sign-out"' in html
        assert html.count('name="csrf_token"') == 2  # sign out, and sign out everywhere
    assert 'href="/staff/metrics"' not in caseworker
    assert 'href="/staff/metrics"' in supervisor
    assert "Test Supervisor" in supervisor
    assert "See each queue&#39;s metrics" in supervisor


@pytest.mark.parametrize(
    ("role", "home"), [(Role.ANALYST, "/staff/metrics"), (Role.AUDITOR, "/staff/account")]
)
def test_a_role_without_queues_lands_where_it_may_read(
    app: FastAPI, client: AppClient, role: Role, home: str
) -> None:
    add_staff(app, role)
    response = sign_in_response(client, f"{role.value}@example.gov.uk")
    assert response.headers["location"] == home
    staff = StaffClient(client, response.cookies[COOKIE_NAME])
    html = staff.get("/staff/account").text
    assert 'href="/staff">' not in html and 'href="/staff/search"' not in html
    assert ('href="/staff/metrics"' in html) is (role is Role.ANALYST)


def test_citizen_pages_are_not_marked_no_store(client: AppClient) -> None:
    assert "cache-control" not in client.get("/").headers
