"""Browser fixtures: a live civicdesk server, Debian's Chromium through Playwright, and axe.

Reuse them for any page::

    def test_answer_page(live_server: LiveServer, page: Page, axe_check: AxeCheck) -> None:
        page.goto(live_server.url + "/")
        axe_check(page)

Playwright never downloads a browser: it drives /usr/bin/chromium (``make browsers``), or the
one named by CIVICDESK_TEST_CHROMIUM. Without it, tests are skipped locally and fail in CI.
Every test under tests/e2e is marked ``browser``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browser_tools import (
    CHROMIUM,
    CHROMIUM_ARGS,
    E2E_DIR,
    AxeCheck,
    LiveServer,
    NewPage,
    check_accessibility,
    live_server_for,
    live_settings,
    record_console_errors,
    unavailable,
)
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in item.path.parents:
            item.add_marker(pytest.mark.browser)


# --- the live server -------------------------------------------------------------------


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """civicdesk on a temporary SQLite database, shared by the session's browser tests."""
    with live_server_for(live_settings(tmp_path_factory.mktemp("live") / "data")) as server:
        yield server


# --- the browser -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """One browser per test module: Playwright's sync API keeps an event loop running in
    this thread while it is open, which other tests' ``asyncio.run`` must not meet."""
    if not CHROMIUM.exists():
        unavailable(f"Chromium is not installed at {CHROMIUM}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(chromium: Browser) -> Iterator[NewPage]:
    """``new_page(java_script_enabled=False)``: a page in a fresh browser context."""
    contexts: list[BrowserContext] = []

    def factory(**context_options: Any) -> Page:
        context = chromium.new_context(**context_options)
        contexts.append(context)
        page = context.new_page()
        record_console_errors(page)
        return page

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: NewPage) -> Page:
    return new_page()


# --- accessibility ---------------------------------------------------------------------


@pytest.fixture
def axe_check() -> AxeCheck:
    return check_accessibility
