"""A citizen asks questions in a real browser, reads answers with sources, and asks for a person."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_tools import AxeCheck, LiveServer, NewPage, live_server_for, live_settings
from playwright.sync_api import Page, expect

from civicdesk.knowledge import ingest_paths, sample_council_path
from civicdesk.store import migrate
from civicdesk.store.engine import make_engine

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def council_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = live_settings(
        tmp_path_factory.mktemp("council") / "data", organisation_name="Aberwen County Council"
    )
    engine = make_engine(settings)
    migrate.upgrade(engine)
    ingest_paths(settings, engine, [sample_council_path()])
    engine.dispose()
    with live_server_for(settings) as server:
        yield server


def ask(page: Page, base: str, question: str, path: str = "/") -> None:
    page.goto(base + path)
    page.get_by_label("Your question" if path == "/" else "Eich cwestiwn").fill(question)
    page.locator("form[action$='/ask'] button[type=submit]").click()


def test_answer_with_sources_passes_axe(
    council_server: LiveServer, page: Page, axe_check: AxeCheck
) -> None:
    ask(page, council_server.url, "How much does a resident parking permit cost?")
    answer = page.locator("#answer")
    expect(answer).to_have_attribute("data-outcome", "answered")
    expect(answer).to_contain_text("£45")
    source = page.locator("ol li a").first
    expect(source).to_have_attribute(
        "href", r"https://www.aberwen.gov.uk/parking/parking-permits#resident-permits"
    )
    axe_check(page)
    page.screenshot(path="/tmp/civicdesk-answer.png", full_page=True)
    page.get_by_role("button", name="Yes").click()
    expect(page.locator("h1")).to_contain_text("Thank you")


def test_welsh_answer_page(council_server: LiveServer, page: Page, axe_check: AxeCheck) -> None:
    ask(page, council_server.url, "Pryd mae biniau du yn cael eu casglu?", "/cy")
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    expect(page.locator("#answer")).to_contain_text("bob pythefnos")
    axe_check(page)


def test_talk_to_a_person_gives_a_reference(
    council_server: LiveServer, page: Page, axe_check: AxeCheck
) -> None:
    ask(page, council_server.url, "When are black bins collected?")
    page.get_by_role("button", name="Talk to a person").click()
    expect(page.locator(".govuk-panel")).to_contain_text("CD-")
    axe_check(page)


def test_crisis_help_page(council_server: LiveServer, page: Page, axe_check: AxeCheck) -> None:
    ask(page, council_server.url, "I don't want to live any more, I want to end my life")
    expect(page.locator("body")).to_contain_text("116 123")
    expect(page.locator("body")).to_contain_text("999")
    axe_check(page)


def test_error_message_passes_axe(
    council_server: LiveServer, page: Page, axe_check: AxeCheck
) -> None:
    page.goto(council_server.url + "/")
    page.locator("form[action$='/ask'] button[type=submit]").click()
    expect(page.locator(".govuk-error-message")).to_contain_text("Please type your question")
    axe_check(page)


def test_asking_works_without_javascript(council_server: LiveServer, new_page: NewPage) -> None:
    page = new_page(java_script_enabled=False)
    page.goto(council_server.url + "/")
    page.locator("form[action$='/ask'] button[type=submit]").click()
    expect(page.locator(".govuk-error-message")).to_contain_text("Please type your question")
    ask(
        page, council_server.url, "<script>document.title='owned'</script> when are bins collected?"
    )
    expect(page).not_to_have_title("owned")
    expect(page.locator("#answer")).to_be_visible()


def test_api_documentation_passes_axe(
    council_server: LiveServer, page: Page, axe_check: AxeCheck
) -> None:
    page.goto(council_server.url + "/api/docs")
    expect(page.locator("h1")).to_contain_text("API documentation")
    axe_check(page)
