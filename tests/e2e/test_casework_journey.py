"""The whole casework journey in a real browser, with axe on every page along the way.

A citizen asks a question that needs a person and gets a reference and a link; a caseworker
signs in, claims the case, edits the AI draft and approves it; the citizen opens the link and
reads the reply. axe runs with JavaScript on (it cannot run without it); the console's forms
are also driven with JavaScript off, as they must work without it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_tools import (
    AxeCheck,
    LiveServer,
    NewPage,
    console_errors,
    live_server_for,
    live_settings,
)
from playwright.sync_api import Page, expect

from civicdesk.casework.accounts import Accounts
from civicdesk.casework.permissions import Role
from civicdesk.knowledge import ingest_paths, sample_council_path
from civicdesk.store import migrate
from civicdesk.store.engine import make_engine, make_sessionmaker

pytestmark = pytest.mark.browser

PASSWORD = "harbour lantern copper fig"
CASEWORKER = "alex.caseworker@example.gov.uk"
SECOND_CASEWORKER = "sam.caseworker@example.gov.uk"
SUPERVISOR = "pat.supervisor@example.gov.uk"
HANDOVER = "I want to speak to a person about my council tax"


@pytest.fixture(scope="module")
def council(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live server with the sample council's guidance and three staff accounts."""
    settings = live_settings(
        tmp_path_factory.mktemp("casework") / "data", organisation_name="Aberwen County Council"
    )
    engine = make_engine(settings)
    migrate.upgrade(engine)
    ingest_paths(settings, engine, [sample_council_path()])
    accounts = Accounts(settings, make_sessionmaker(engine))
    accounts.add_user(CASEWORKER, "Alex Caseworker", Role.CASEWORKER, PASSWORD)
    accounts.add_user(SECOND_CASEWORKER, "Sam Caseworker", Role.CASEWORKER, PASSWORD)
    accounts.add_user(SUPERVISOR, "Pat Supervisor", Role.SUPERVISOR, PASSWORD)
    engine.dispose()
    with live_server_for(settings) as server:
        yield server


def ask_for_a_person(page: Page, base: str, question: str = HANDOVER) -> tuple[str, str]:
    """As a citizen: ask, and return (reference, link to the inquiry page)."""
    page.goto(base + "/")
    page.get_by_label("Your question").fill(question)
    page.locator("form[action$='/ask'] button[type=submit]").click()
    panel = page.locator(".govuk-panel")
    expect(panel).to_contain_text("CD-")
    reference = panel.inner_text().split("reference is", 1)[1].strip()
    link = page.get_by_role("link", name="your inquiry page")
    href = link.get_attribute("href")
    assert href and href.startswith(f"/inquiries/{reference}?token=")
    return reference, base + href


def sign_in(page: Page, base: str, email: str, then: str = "/staff") -> None:
    page.goto(base + then)
    expect(page.locator("h1")).to_have_text("Sign in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_citizen_is_handed_over_and_reads_the_caseworkers_reply(
    council: LiveServer, new_page: NewPage, axe_check: AxeCheck
) -> None:
    citizen = new_page()
    reference, link = ask_for_a_person(citizen, council.url)
    axe_check(citizen)  # the handover answer page, with its link
    citizen.goto(link)
    expect(citizen.locator("h1")).to_have_text("Your inquiry")
    expect(citizen.locator("#no-replies")).to_be_visible()
    axe_check(citizen)

    worker = new_page()
    worker.goto(council.url + "/staff")
    expect(worker.locator("h1")).to_have_text("Sign in")
    axe_check(worker)
    sign_in(worker, council.url, CASEWORKER)
    expect(worker.locator("h1")).to_have_text("Queues")
    axe_check(worker)
    worker.get_by_role("link", name=reference).click()
    expect(worker.locator("h1")).to_have_text(f"Case {reference}")
    axe_check(worker)

    worker.get_by_role("button", name="Claim this case").click()
    expect(worker.locator(".govuk-notification-banner")).to_contain_text("You hold this case now")
    axe_check(worker)

    editor = worker.get_by_label("Reply to the citizen")
    draft = editor.input_value()
    assert reference in draft and "Council Tax" in draft  # the assistant's draft, with guidance
    edited = draft.replace("Hello,", "Dear resident,", 1) + "\n\nWe have checked your account."
    editor.fill(edited)
    worker.get_by_role("button", name="Approve and send").click()
    expect(worker.locator(".govuk-notification-banner")).to_contain_text("Your reply is sent")
    expect(worker.locator("[data-reply]")).to_contain_text("The assistant's draft, edited")
    axe_check(worker)
    worker.screenshot(path="/tmp/civicdesk-case.png", full_page=True)

    citizen.goto(link)
    expect(citizen.locator(".civicdesk-reply")).to_contain_text("We have checked your account.")
    expect(citizen.locator(".civicdesk-reply")).to_contain_text("Dear resident,")
    axe_check(citizen)
    citizen.screenshot(path="/tmp/civicdesk-inquiry.png", full_page=True)
    citizen.goto(link.replace(council.url, council.url + "/cy"))
    expect(citizen.locator("h1")).to_have_text("Eich ymholiad")
    expect(citizen.locator(".civicdesk-reply")).to_contain_text("We have checked your account.")
    axe_check(citizen)

    assert not console_errors(citizen) and not console_errors(worker)


def test_the_other_console_pages_pass_axe(
    council: LiveServer, new_page: NewPage, axe_check: AxeCheck
) -> None:
    citizen = new_page()
    reference, _link = ask_for_a_person(citizen, council.url)

    worker = new_page()
    sign_in(worker, council.url, SECOND_CASEWORKER, then="/staff/search")
    expect(worker.locator("h1")).to_contain_text("Find a case")
    axe_check(worker)
    worker.get_by_label("Find a case").fill("nothing-like-a-reference")
    worker.get_by_role("button", name="Find case").click()
    expect(worker.locator(".govuk-error-summary")).to_contain_text("No case has the reference")
    axe_check(worker)
    worker.get_by_label("Find a case").fill(reference.lower().replace("-", " "))
    worker.get_by_role("button", name="Find case").click()
    expect(worker.locator("h1")).to_have_text(f"Case {reference}")
    worker.get_by_role("button", name="Claim this case").click()

    # An oversized note: the error summary, and the note kept in its box.
    note = worker.get_by_label("Add a note")
    note.fill("A long note. " * 800)
    worker.get_by_role("button", name="Add note").click()
    expect(worker.locator(".govuk-error-summary")).to_contain_text("the limit is 10,000")
    expect(worker.get_by_label("Add a note")).to_have_value("A long note. " * 800)
    axe_check(worker)

    # A stale edit: another tab saved first; the conflict page shows both versions.
    other_tab = worker.context.new_page()
    case_url = f"{council.url}/staff/cases/{reference}"
    other_tab.goto(case_url)
    worker.goto(case_url)
    other_tab.get_by_label("Reply to the citizen").fill("Saved in the other tab.")
    other_tab.get_by_role("button", name="Save draft").click()
    expect(other_tab.locator(".govuk-notification-banner")).to_contain_text("draft is saved")
    worker.get_by_label("Reply to the citizen").fill("Written in this tab.")
    worker.get_by_role("button", name="Save draft").click()
    expect(worker.locator("h1")).to_contain_text("changed while you were working on it")
    expect(worker.locator("#their-text")).to_contain_text("Saved in the other tab.")
    expect(worker.get_by_label("Your text")).to_have_value("Written in this tab.")
    axe_check(worker)
    worker.screenshot(path="/tmp/civicdesk-conflict.png", full_page=True)

    supervisor = new_page()
    sign_in(supervisor, council.url, SUPERVISOR, then="/staff/metrics")
    expect(supervisor.locator("h1")).to_have_text("Queue metrics")
    expect(supervisor.locator("#queue-load")).to_contain_text("Council Tax")
    axe_check(supervisor)


def test_the_console_works_without_javascript(council: LiveServer, new_page: NewPage) -> None:
    citizen = new_page(java_script_enabled=False)
    reference, link = ask_for_a_person(citizen, council.url)

    worker = new_page(java_script_enabled=False)
    sign_in(worker, council.url, CASEWORKER, then=f"/staff/cases/{reference}")
    expect(worker.locator("h1")).to_have_text(f"Case {reference}")
    worker.get_by_role("button", name="Claim this case").click()
    worker.get_by_label("Reply to the citizen").fill("Sent with JavaScript switched off.")
    worker.get_by_role("button", name="Approve and send").click()
    expect(worker.locator(".govuk-notification-banner")).to_contain_text("Your reply is sent")

    citizen.goto(link)
    expect(citizen.locator(".civicdesk-reply")).to_contain_text(
        "Sent with JavaScript switched off."
    )
