"""Staff accounts and sign-in for browser tests.

    user = add_staff_user(live_server.settings, Role.CASEWORKER, "cw@example.gov.uk")
    sign_in_in_browser(page, live_server.url, "cw@example.gov.uk")

Accounts are made through civicdesk.casework.accounts on the live server's database, the way
`civicdesk users add` makes them; signing in goes through the real form.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from playwright.sync_api import Page

from civicdesk.casework.accounts import Accounts, StaffUser
from civicdesk.casework.permissions import Role
from civicdesk.settings import Settings
from civicdesk.store.engine import make_engine, make_sessionmaker

STAFF_PASSWORD = "harbour lantern copper fig"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def add_staff_user(
    settings: Settings,
    role: Role,
    email: str,
    *,
    name: str | None = None,
    password: str = STAFF_PASSWORD,
) -> StaffUser:
    engine = make_engine(settings)
    try:
        accounts = Accounts(settings, make_sessionmaker(engine), hasher=FAST_HASHER)
        return accounts.add_user(email, name or f"Test {role.value.title()}", role, password)
    finally:
        engine.dispose()


def sign_in_in_browser(
    page: Page, base_url: str, email: str, password: str = STAFF_PASSWORD, *, next_path: str = ""
) -> None:
    """Fill in and send the sign-in form; waits for the page it leads to."""
    target = "/staff/sign-in" + (f"?next={next_path}" if next_path else "")
    page.goto(base_url + target)
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("button:has-text('Sign in')")
