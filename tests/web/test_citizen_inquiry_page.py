"""The citizen's inquiry page: the link on the handover pages, status and replies in English and
Welsh, the same 404 for a wrong token as for an unknown reference, and the email form."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from staff_login import add_staff
from web_client import AppClient, web_settings_for

from civicdesk.casework.cases import CaseStatus
from civicdesk.casework.permissions import Role
from civicdesk.knowledge import ingest_paths, sample_council_path
from civicdesk.store import migrate
from civicdesk.web.app import create_app
from civicdesk.web.casework_views import desk_of

HANDOVER = "I want to speak to a person about my council tax"
LINK = re.compile(r'href="((?:/cy)?/inquiries/(CD-[0-9A-Z]{4}-[0-9A-Z]{4})\?token=([^"]+))"')


def make_app(tmp_path: Path, **overrides: Any) -> FastAPI:
    settings = web_settings_for(tmp_path, **overrides)
    application = create_app(settings)
    migrate.upgrade(application.state.engine)
    ingest_paths(settings, application.state.engine, [sample_council_path()])
    return application


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    application = make_app(tmp_path)
    yield application
    application.state.engine.dispose()


def hand_over(client: AppClient, path: str = "/ask", question: str = HANDOVER) -> tuple[str, str]:
    """Ask as a citizen; return (the inquiry page link, the reference) the answer page shows."""
    page = client.post(path, data={"text": question})
    assert page.status_code == 200
    found = LINK.search(page.text)
    assert found, "the answer page has no link to the inquiry page"
    return html.unescape(found.group(1)), found.group(2)


def text_of(response: httpx.Response) -> str:
    main = response.text.split('id="main-content"', 1)[-1]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def reply_as_staff(app: FastAPI, reference: str, text: str) -> None:
    """A caseworker claims the case and replies (the console's own tests cover the pages)."""
    user = add_staff(app, Role.CASEWORKER)
    desk = desk_of(app)
    case = desk.claim(reference, user)
    desk.send_reply(reference, user, text, case.version)


def test_a_handed_over_citizen_gets_a_link_that_shows_status_and_replies(
    app: FastAPI, client: AppClient
) -> None:
    link, reference = hand_over(client)
    answer = client.post("/ask", data={"text": HANDOVER})
    assert "You can read our reply on" in text_of(answer)

    page = client.get(link)
    assert page.status_code == 200
    text = text_of(page)
    assert "Your inquiry" in text and reference in text
    assert "Received" in text
    assert "We have not replied yet." in text
    assert re.search(r"We aim to reply by \d{1,2} \w+ \d{4}\.", text)
    assert HANDOVER in text  # their own question, as stored (redacted)
    assert page.headers["Cache-Control"] == "no-store"

    reply_as_staff(
        app, reference, "Your band is D.\n\nWe have <b>checked</b> it.\nBand D is £1,900."
    )
    page = client.get(link)
    text = text_of(page)
    assert "In progress" in text
    assert "We aim to reply by" not in text
    assert '<p class="govuk-body">Your band is D.</p>' in page.text  # a paragraph each
    assert "We have &lt;b&gt;checked&lt;/b&gt; it.<br>Band D is £1,900.</p>" in page.text
    assert "&lt;b&gt;checked&lt;/b&gt;" in page.text  # shown as typed, never as markup
    assert re.search(r"Reply sent on \d{1,2} \w+ \d{4}", text)


def test_the_page_speaks_welsh_under_cy(app: FastAPI, client: AppClient) -> None:
    link, reference = hand_over(
        client, "/cy/ask", "Rydw i eisiau siarad â pherson am y dreth gyngor"
    )
    assert link.startswith("/cy/inquiries/")
    reply_as_staff(app, reference, "Diolch am eich cwestiwn.")
    page = client.get(link)
    assert page.status_code == 200
    assert '<html lang="cy"' in page.text
    text = text_of(page)
    assert "Eich ymholiad" in text and "Cyfeirnod" in text
    assert "Ar waith" in text
    assert "Ymatebion gan ein tîm" in text and "Diolch am eich cwestiwn." in text
    months = (
        "Ionawr|Chwefror|Mawrth|Ebrill|Mai|Mehefin|Gorffennaf|Awst|Medi|Hydref|Tachwedd|Rhagfyr"
    )
    assert re.search(rf"Ymateb a anfonwyd ar \d{{1,2}} ({months}) \d{{4}}", text)
    english = client.get(link.removeprefix("/cy"))
    assert "Your inquiry" in text_of(english)


def test_the_status_follows_the_case(app: FastAPI, client: AppClient) -> None:
    link, reference = hand_over(client)
    user = add_staff(app, Role.CASEWORKER)
    desk = desk_of(app)
    case = desk.claim(reference, user)
    desk.set_status(reference, user, CaseStatus.WAITING, case.version)
    assert "We need more information from you." in text_of(client.get(link))
    welsh = client.get("/cy" + link)
    assert "Yn aros amdanoch chi" in text_of(welsh)


def not_found_body(response: httpx.Response) -> str:
    """The page without what differs on every response (the CSP nonce) or echoes the request
    (the reference, in the language switch's link)."""
    without_nonce = re.sub(r'nonce="[^"]*"', "", response.text)
    return re.sub(r"CD-[0-9A-Z]{4}-[0-9A-Z]{4}", "CD-XXXX-XXXX", without_nonce)


def test_a_wrong_or_missing_token_is_the_same_404_as_an_unknown_reference(
    app: FastAPI, client: AppClient
) -> None:
    link, reference = hand_over(client)
    token = link.split("token=", 1)[1]
    unknown = client.get(f"/inquiries/CD-ZZZZ-9999?token={token}")
    assert unknown.status_code == 404
    for response in (
        client.get(f"/inquiries/{reference}?token={token[:-1]}x"),
        client.get(f"/inquiries/{reference}?token="),
        client.get(f"/inquiries/{reference}"),
        client.get(f"/inquiries/{reference}?token={token}{token}"),
    ):
        assert response.status_code == 404
        assert not_found_body(response) == not_found_body(unknown)
    # An inquiry the assistant answered has no case page, even with its own token.
    answered = client.post("/ask", data={"text": "How much does a resident parking permit cost?"})
    answered_ref = re.search(r"CD-[0-9A-Z]{4}-[0-9A-Z]{4}", answered.text).group(0)  # type: ignore[union-attr]
    from civicdesk.casework.tokens import citizen_token

    own_token = citizen_token(app.state.settings, answered_ref)
    assert client.get(f"/inquiries/{answered_ref}?token={own_token}").status_code == 404


def test_asking_for_a_person_after_an_answer_gives_the_link(
    app: FastAPI, client: AppClient
) -> None:
    answered = client.post("/ask", data={"text": "When are black bins collected?"})
    reference = re.search(r"CD-[0-9A-Z]{4}-[0-9A-Z]{4}", answered.text).group(0)  # type: ignore[union-attr]
    assert "/inquiries/" + reference + "?token=" not in answered.text
    token = re.search(r'name="token" value="([^"]+)"', answered.text).group(1)  # type: ignore[union-attr]
    person = client.post(f"/inquiries/{reference}/person", data={"token": token})
    found = LINK.search(person.text)
    assert found and found.group(2) == reference
    assert client.get(html.unescape(found.group(1))).status_code == 200


def test_no_email_form_while_email_is_off(app: FastAPI, client: AppClient) -> None:
    link, reference = hand_over(client)
    assert "Get replies by email" not in client.get(link).text
    token = link.split("token=", 1)[1]
    refused = client.post(
        f"/inquiries/{reference}/contact", data={"token": token, "email": "jo@example.com"}
    )
    assert refused.status_code == 404


def test_the_email_form_checks_the_address_and_keeps_it_private(tmp_path: Path) -> None:
    app = make_app(tmp_path, email_enabled=True, smtp_host="127.0.0.1", smtp_port=9)
    try:
        client = AppClient(app)
        link, reference = hand_over(client)
        token = link.split("token=", 1)[1]
        page = client.get(link)
        assert "Get replies by email" in text_of(page)

        empty = client.post(f"/inquiries/{reference}/contact", data={"token": token, "email": ""})
        assert empty.status_code == 422
        assert "Enter your email address" in text_of(empty)
        bad = client.post(
            f"/inquiries/{reference}/contact", data={"token": token, "email": "jo at example"}
        )
        assert bad.status_code == 422
        assert "govuk-error-summary" in bad.text and 'href="#contact-email"' in bad.text
        assert 'value="jo at example"' in bad.text  # what was typed is kept
        assert "Enter an email address in the correct format" in text_of(bad)

        wrong_token = client.post(
            f"/inquiries/{reference}/contact", data={"token": "nope", "email": "jo@example.com"}
        )
        assert wrong_token.status_code == 404

        saved = client.post(
            f"/inquiries/{reference}/contact", data={"token": token, "email": "jo@example.com"}
        )
        assert saved.status_code == 303
        page = client.get(saved.headers["location"])
        assert "We will email our replies to you." in text_of(page)
        assert "jo@example.com" not in page.text
        again = client.get(link)
        assert "We will email our replies to the address you gave us." in text_of(again)

        welsh = client.post(
            f"/cy/inquiries/{reference}/contact", data={"token": token, "email": "nonsens"}
        )
        assert "Rhowch gyfeiriad e-bost yn y fformat cywir" in text_of(welsh)
    finally:
        app.state.engine.dispose()
