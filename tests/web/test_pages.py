"""Every page in English and Welsh, the header styles, the footer and the question form."""

from __future__ import annotations

import re

import pytest
from web_client import AppClient, MakeClient

# (English path, Welsh path, English text, Welsh text)
PAGES = [
    ("/", "/cy", "What this service can help with", "Sut y gall y gwasanaeth hwn helpu"),
    ("/cookies", "/cy/cookies", "Essential cookies", "Cwcis hanfodol"),
    ("/accessibility", "/cy/accessibility", "Enforcement procedure", "Gweithdrefn orfodi"),
    ("/privacy", "/cy/privacy", "Privacy notice", "Hysbysiad preifatrwydd"),
]


@pytest.mark.parametrize(("en_path", "cy_path", "en_text", "cy_text"), PAGES)
def test_each_page_in_english(
    client: AppClient, en_path: str, cy_path: str, en_text: str, cy_text: str
) -> None:
    response = client.get(en_path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="en"' in response.text
    assert en_text in response.text
    assert cy_text not in response.text
    # the language switch points at the same page in Welsh
    assert f'href="{cy_path}" lang="cy" hreflang="cy"' in response.text


@pytest.mark.parametrize(("en_path", "cy_path", "en_text", "cy_text"), PAGES)
def test_each_page_in_welsh(
    client: AppClient, en_path: str, cy_path: str, en_text: str, cy_text: str
) -> None:
    response = client.get(cy_path)
    assert response.status_code == 200
    assert '<html lang="cy"' in response.text
    assert cy_text in response.text
    assert en_text not in response.text
    assert f'href="{en_path}" lang="en" hreflang="en"' in response.text
    assert "Neidio i&#39;r prif gynnwys" in response.text  # skip link
    for link in ("/cy/cookies", "/cy/accessibility", "/cy/privacy"):
        assert f'href="{link}"' in response.text


@pytest.mark.parametrize(
    ("path", "lang", "action", "label"),
    [("/", "en", "/ask", "Your question"), ("/cy", "cy", "/cy/ask", "Eich cwestiwn")],
)
def test_start_page_has_the_question_form(
    client: AppClient, path: str, lang: str, action: str, label: str
) -> None:
    html = client.get(path).text
    assert f'<form method="post" action="{action}" novalidate>' in html
    assert re.search(
        r'<textarea class="govuk-textarea govuk-js-character-count"[^>]* name="text"', html
    )
    assert 'data-module="govuk-character-count" data-maxlength="4000"' in html
    assert label in html
    assert '<button type="submit"' in html


def test_welsh_character_count_messages_cover_every_welsh_plural_form(client: AppClient) -> None:
    html = client.get("/cy").text
    for form in ("zero", "one", "two", "few", "many", "other"):
        assert f'data-i18n.characters-under-limit.{form}="Mae gennych %{{count}} nod ar ôl"' in html


def test_generic_header_names_the_organisation_without_the_crown(make_client: MakeClient) -> None:
    html = (
        make_client(header_style="generic", organisation_name="Llanfair Town Council").get("/").text
    )
    assert "govuk-generic-header" in html
    assert "Llanfair Town Council" in html
    assert "govuk-header__" not in html
    assert "Crown copyright" not in html
    assert "govuk-header__logotype" not in html  # no crown anywhere on the page
    assert "govuk-footer__crown" not in html


def test_govuk_header_shows_the_crown_and_crown_copyright(make_client: MakeClient) -> None:
    client = make_client(header_style="govuk")
    html = client.get("/").text
    assert 'class="govuk-header"' in html
    assert 'href="https://www.gov.uk/"' in html
    assert "govuk-generic-header" not in html
    assert "© Crown copyright" in html
    assert "– GOV.UK</title>" in html
    welsh = client.get("/cy").text
    assert "© Hawlfraint y Goron" in welsh
    assert "Drwydded Llywodraeth Agored v3.0" in welsh


def test_service_name_follows_the_language(make_client: MakeClient) -> None:
    client = make_client(service_name="Ask the county", service_name_cy="Gofyn i'r sir")
    assert "Ask the county" in client.get("/").text
    assert "Gofyn i&#39;r sir" in client.get("/cy").text


def test_privacy_notice_comes_from_settings_escaped(make_client: MakeClient) -> None:
    notice = "We keep questions for <b>90 days</b>.\n\n<script>alert('x')</script> Ask our DPO."
    html = make_client(privacy_notice=notice).get("/privacy").text
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Ask our DPO." in html
    assert "&lt;b&gt;90 days&lt;/b&gt;" in html
    assert html.count('<p class="govuk-body">We keep') == 1  # blank lines split paragraphs


def test_welsh_privacy_notice_is_used_when_set(make_client: MakeClient) -> None:
    client = make_client(privacy_notice="English notice.", privacy_notice_cy="Hysbysiad Cymraeg.")
    html = client.get("/cy/privacy").text
    assert "Hysbysiad Cymraeg." in html
    assert "English notice." not in html


def test_welsh_page_marks_an_english_only_notice_as_english(make_client: MakeClient) -> None:
    html = make_client(privacy_notice="English notice.").get("/cy/privacy").text
    assert "English notice." in html
    assert 'lang="en" data-privacy-notice' in html
    assert "Mae&#39;r hysbysiad hwn ar gael yn Saesneg yn unig." in html


def test_accessibility_statement_gives_the_contact_email(make_client: MakeClient) -> None:
    html = make_client(contact_email="access@llanfair.gov.uk").get("/accessibility").text
    assert 'href="mailto:access@llanfair.gov.uk"' in html
    assert "WCAG" in html and "2.2 AA" in html
    assert "Equality and Human Rights Commission" in html


def test_cookies_page_says_no_cookies_are_set(client: AppClient) -> None:
    response = client.get("/cookies")
    assert "does not put any cookies on your device" in response.text
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize(
    ("path", "lang", "heading"),
    [
        ("/no-such-page", "en", "Page not found"),
        ("/cy/no-such-page", "cy", "Heb ddod o hyd i&#39;r dudalen"),
    ],
)
def test_not_found_page_in_each_language(
    client: AppClient, path: str, lang: str, heading: str
) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert f'<html lang="{lang}"' in response.text
    assert f'<h1 class="govuk-heading-xl">{heading}</h1>' in response.text


def test_not_found_under_the_api_is_json(client: AppClient) -> None:
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "E404", "message": "Not Found"}}


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/static/govuk/govuk-frontend.min.css", "text/css"),
        ("/static/govuk/govuk-frontend.min.js", "javascript"),
        ("/static/civicdesk/init.js", "javascript"),
        ("/assets/fonts/bold-b542beb274-v2.woff2", "font/woff2"),
        ("/assets/images/favicon.svg", "image/svg+xml"),
        ("/assets/manifest.json", "application/json"),
        ("/favicon.ico", "image/"),
    ],
)
def test_assets_are_served_locally(client: AppClient, path: str, content_type: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert content_type in response.headers["content-type"]


def test_compiled_css_only_asks_for_assets_we_serve(client: AppClient) -> None:
    css = client.get("/static/govuk/govuk-frontend.min.css").text
    urls = set(re.findall(r"url\(([^)]+)\)", css))
    assert urls, "the compiled CSS should reference fonts and images"
    for url in urls:
        assert url.startswith("/assets/"), url
        assert client.get(url).status_code == 200, url
