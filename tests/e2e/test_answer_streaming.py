"""With a model configured, the citizen page shows each checked sentence as it is written.

The provider is the local OpenAI wire-format server (tests/llm/openai_wire.py); a scripted
stream pauses after its first sentence, so the test can see the live region before the
answer page replaces it. Without JavaScript the form posts and the whole page comes back.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
from browser_tools import AxeCheck, LiveServer, NewPage, console_errors, live_server_for
from browser_tools import live_settings as settings_for
from playwright.sync_api import Page, expect

from civicdesk.knowledge import ingest_paths, sample_council_path
from civicdesk.store import migrate
from civicdesk.store.engine import make_engine
from civicdesk.web.routes.citizen import assistant_of
from llm.openai_wire import FakeOpenAI, Stream, answer_json, deltas

pytestmark = pytest.mark.browser

PERMIT_QUESTION = "How much does a resident parking permit cost?"
COST = "A resident permit for a first vehicle costs £45 for 12 months."
MARKED_UP = "<b>Each household can have up to 2 resident permits.</b>"


@pytest.fixture(scope="module")
def model() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as running:
        yield running


@pytest.fixture(scope="module")
def provider_server(
    tmp_path_factory: pytest.TempPathFactory, model: FakeOpenAI
) -> Iterator[LiveServer]:
    settings = settings_for(
        tmp_path_factory.mktemp("streaming") / "data",
        organisation_name="Aberwen County Council",
        llm_provider="openai",
        llm_model="fake-model",
        llm_base_url=model.base_url,
        llm_max_retries=0,
        llm_timeout_seconds=5.0,
    )
    engine = make_engine(settings)
    migrate.upgrade(engine)
    ingest_paths(settings, engine, [sample_council_path()])
    engine.dispose()
    with live_server_for(settings) as server:
        assistant_of(server.app)  # built now, not while a test waits for its first sentence
        yield server


def ask(page: Page, base: str, question: str) -> None:
    page.goto(base + "/")
    page.get_by_label("Your question").fill(question)
    page.locator("form[action$='/ask'] button[type=submit]").click()


def test_checked_sentences_appear_then_the_answer_page(
    provider_server: LiveServer, model: FakeOpenAI, page: Page, axe_check: AxeCheck
) -> None:
    hold = threading.Event()
    text = answer_json((COST, [1]), (MARKED_UP, [1]))
    first = text.index("}") + 1  # the first sentence is whole in the first delta
    model.script(Stream((text[:first], *deltas(text[first:])), hold=hold))
    try:
        ask(page, provider_server.url, PERMIT_QUESTION)
        live = page.locator("#live-answer")
        expect(live).to_have_attribute("aria-live", "polite")
        expect(live).to_contain_text(COST)  # while the model is still writing
        expect(live.get_by_role("heading", name="Answer to your question")).to_be_visible()
        assert page.url == provider_server.url + "/"  # no page load: the form was not posted
        axe_check(page)
        page.screenshot(path="/tmp/civicdesk-streaming.png", full_page=True)
    finally:
        hold.set()
    answer = page.locator("#answer")
    expect(answer).to_have_attribute("data-outcome", "answered")
    expect(answer).to_contain_text(COST)
    expect(answer).to_contain_text(MARKED_UP)  # shown as text, never as markup
    expect(answer.locator("b")).to_have_count(0)
    expect(live).to_have_count(0)
    expect(page.locator("h1")).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Answer to your question – "))
    axe_check(page)
    assert console_errors(page) == []  # the module ran under the CSP
    page.get_by_role("button", name="Yes").click()  # the streamed page's forms work
    expect(page.locator("h1")).to_contain_text("Thank you")


def test_a_provider_failing_mid_answer_ends_with_the_extractive_page(
    provider_server: LiveServer, model: FakeOpenAI, page: Page
) -> None:
    text = answer_json((COST, [1]), (MARKED_UP, [1]))
    model.script(Stream(tuple(deltas(text)), fail_after=text.index("}") // 7 + 1))
    ask(page, provider_server.url, PERMIT_QUESTION)
    answer = page.locator("#answer")
    expect(answer).to_contain_text("£45")
    expect(answer).not_to_contain_text(COST)
    assert page.url == provider_server.url + "/"


def test_a_question_the_stream_refuses_is_posted_and_explained(
    provider_server: LiveServer, page: Page
) -> None:
    page.goto(provider_server.url + "/")
    page.locator("form[action$='/ask'] button[type=submit]").click()
    expect(page.locator(".govuk-error-message")).to_contain_text("Please type your question")
    assert page.url == provider_server.url + "/ask"  # the ordinary post, after the stream's 422


def test_without_javascript_the_form_posts_and_gets_the_whole_page(
    provider_server: LiveServer, new_page: NewPage, axe_check: AxeCheck
) -> None:
    page = new_page(java_script_enabled=False)
    ask(page, provider_server.url, PERMIT_QUESTION)  # the model's whole answer, not streamed
    assert page.url == provider_server.url + "/ask"
    answer = page.locator("#answer")
    expect(answer).to_have_attribute("data-outcome", "answered")
    expect(answer).to_contain_text("Each household can have up to 2 resident permits.")
    expect(page.locator("#live-answer")).to_have_count(0)
