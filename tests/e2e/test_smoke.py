"""The start page and the service's own pages in a real browser: axe, CSP, language, no JS."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_tools import (
    AxeCheck,
    LiveServer,
    NewPage,
    console_errors,
    live_server_for,
    live_settings,
)
from playwright.sync_api import Page

SCREENSHOTS = Path("/tmp")

# (path, language, status)
PAGES = [
    ("/", "en", 200),
    ("/cy", "cy", 200),
    ("/cookies", "en", 200),
    ("/cy/cookies", "cy", 200),
    ("/accessibility", "en", 200),
    ("/cy/accessibility", "cy", 200),
    ("/privacy", "en", 200),
    ("/cy/privacy", "cy", 200),
    ("/no-such-page", "en", 404),
    ("/cy/no-such-page", "cy", 404),
]


@pytest.mark.parametrize(("path", "lang", "status"), PAGES)
def test_page_passes_axe_with_javascript_running(
    live_server: LiveServer, page: Page, axe_check: AxeCheck, path: str, lang: str, status: int
) -> None:
    response = page.goto(live_server.url + path)
    assert response is not None and response.status == status
    assert page.get_attribute("html", "lang") == lang
    # GOV.UK's inline script ran (its nonce matched the CSP) and the module started
    body_class = page.get_attribute("body", "class") or ""
    assert "js-enabled" in body_class and "govuk-frontend-supported" in body_class
    axe_check(page)
    errors = console_errors(page)
    if status == 404:  # Chromium logs the 404 of the page itself
        errors = [e for e in errors if "404" not in e]
    assert errors == []


def test_character_count_runs_in_welsh(live_server: LiveServer, page: Page) -> None:
    page.goto(live_server.url + "/cy")
    status = page.locator(".govuk-character-count__status")
    status.wait_for(state="attached")  # created by GOV.UK Frontend's JavaScript
    page.fill("#question-text", "Pryd mae'r biniau'n cael eu casglu?")
    page.wait_for_function(
        "() => document.querySelector('.govuk-character-count__status').textContent"
        ".includes('nod ar ôl')"
    )
    assert "3965" in (status.text_content() or "").replace(",", "")
    assert console_errors(page) == []


def test_language_switch_works_by_clicking(live_server: LiveServer, page: Page) -> None:
    page.goto(live_server.url + "/cookies")
    page.locator("header [data-language-switch]").click()
    page.wait_for_url(live_server.url + "/cy/cookies")
    assert page.get_attribute("html", "lang") == "cy"
    assert page.locator("h1").text_content() == "Cwcis"
    page.locator("footer [data-language-switch]").click()
    page.wait_for_url(live_server.url + "/cookies")
    assert page.get_attribute("html", "lang") == "en"


def test_start_page_works_without_javascript(live_server: LiveServer, new_page: NewPage) -> None:
    page = new_page(java_script_enabled=False)
    page.goto(live_server.url + "/")
    assert "js-enabled" not in (page.get_attribute("body", "class") or "")
    form = page.locator("form[action='/ask']")
    assert form.is_visible()
    assert page.locator("textarea[name='text']").is_visible()
    assert page.get_by_role("button", name="Ask your question").is_visible()
    message = page.locator(".govuk-character-count__message").text_content() or ""
    assert "You can enter up to 4000 characters" in message
    # (axe needs JavaScript in the page, so it runs on the JavaScript-enabled tests above)


@pytest.mark.parametrize(("path", "name"), [("/", "start-en"), ("/cy", "start-cy")])
def test_screenshot_of_the_start_page(
    live_server: LiveServer, page: Page, path: str, name: str
) -> None:
    page.set_viewport_size({"width": 1024, "height": 900})
    page.goto(live_server.url + path)
    target = SCREENSHOTS / f"civicdesk-{name}.png"
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000


def test_govuk_header_style_passes_axe(tmp_path: Path, page: Page, axe_check: AxeCheck) -> None:
    settings = live_settings(tmp_path / "data", header_style="govuk", service_name="Ask DfE")
    with live_server_for(settings) as server:
        page.set_viewport_size({"width": 1024, "height": 900})
        page.goto(server.url + "/cy")
        assert page.locator(".govuk-header__logotype").count() == 1
        axe_check(page)
        page.screenshot(path=str(SCREENSHOTS / "civicdesk-govuk-header-cy.png"))
        assert console_errors(page) == []
