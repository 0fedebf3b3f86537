"""Staff sign-in in a real browser: axe on each state of the page, and the flow without JS.

axe needs JavaScript, so the accessibility checks run with it on; the no-JavaScript run
signs in and out by plain form posts.
"""

from __future__ import annotations

import pytest
from browser_tools import AxeCheck, LiveServer, NewPage, console_errors
from playwright.sync_api import Page
from staff_browser import add_staff_user, sign_in_in_browser

from civicdesk.casework.permissions import Role


@pytest.fixture(scope="module")
def staff_email(live_server: LiveServer) -> str:
    email = "sign-in-test@example.gov.uk"
    add_staff_user(live_server.settings, Role.SUPERVISOR, email, name="Sam Supervisor")
    return email


def test_sign_in_pages_pass_axe(
    live_server: LiveServer, page: Page, axe_check: AxeCheck, staff_email: str
) -> None:
    response = page.goto(live_server.url + "/staff/sign-in")
    assert response is not None and response.status == 200
    assert page.get_attribute("html", "lang") == "en"
    assert "js-enabled" in (page.get_attribute("body", "class") or "")
    axe_check(page)

    sign_in_in_browser(page, live_server.url, staff_email, "not the password")
    assert page.locator(".govuk-error-summary").is_visible()
    assert page.input_value("#email") == staff_email
    assert page.input_value("#password") == ""
    axe_check(page)

    sign_in_in_browser(page, live_server.url, staff_email, next_path="/staff/account")
    assert page.url == live_server.url + "/staff/account"
    assert page.locator("h1").inner_text() == "Your account"
    assert page.locator("a[href='/staff/metrics']").count() == 1  # a supervisor sees metrics
    axe_check(page)

    with page.expect_navigation():
        page.click("#sign-out")
    assert page.url == live_server.url + "/staff/sign-in?notice=signed_out"
    assert "You have signed out." in page.inner_text(".govuk-notification-banner")
    axe_check(page)
    # Chromium logs the 400 of the refused sign-in itself; nothing else may fail.
    assert [e for e in console_errors(page) if "400 (Bad Request)" not in e] == []


def test_sign_in_and_out_work_without_javascript(
    live_server: LiveServer, new_page: NewPage, staff_email: str
) -> None:
    page = new_page(java_script_enabled=False)
    page.goto(live_server.url + "/staff/account")
    assert page.url.startswith(live_server.url + "/staff/sign-in?next=/staff/account")
    page.fill("#email", staff_email)
    page.fill("#password", "harbour lantern copper fig")
    with page.expect_navigation():
        page.click("button:has-text('Sign in')")
    assert page.url == live_server.url + "/staff/account"
    assert "Sam Supervisor" in page.inner_text("main")
    with page.expect_navigation():
        page.click("button:has-text('Sign out on every device')")
    assert "You have signed out on every device." in page.inner_text("main")
    page.goto(live_server.url + "/staff/account")
    assert "/staff/sign-in" in page.url
