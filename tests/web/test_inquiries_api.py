"""The JSON API and the citizen pages over the sample council, through the real app."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from web_client import AppClient, web_settings_for

from civicdesk.knowledge import ingest_paths, sample_council_path
from civicdesk.store import migrate
from civicdesk.web.app import create_app


@pytest.fixture(scope="module")
def council(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppClient]:
    folder: Path = tmp_path_factory.mktemp("web-council")
    settings = web_settings_for(folder, organisation_name="Aberwen County Council")
    app: FastAPI = create_app(settings)
    migrate.upgrade(app.state.engine)
    ingest_paths(settings, app.state.engine, [sample_council_path()])
    yield AppClient(app)
    app.state.engine.dispose()


def test_ask_and_look_up_status(council: AppClient) -> None:
    response = council.post("/api/v1/inquiries", json={"text": "when are black bins collected?"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"outcome", "answer", "citations", "language", "confidence", "reference"}
    assert body["outcome"] == "answered"
    assert body["citations"][0]["url"].startswith("https://www.aberwen.gov.uk/bins-and-recycling/")
    assert {"url", "title", "section", "snippet"} == set(body["citations"][0])
    status = council.get(f"/api/v1/inquiries/{body['reference']}")
    assert status.status_code == 200
    assert status.json()["status"] == "completed"
    assert "text" not in status.json()  # the status never shows the question


def test_welsh_by_request(council: AppClient) -> None:
    body = council.post(
        "/api/v1/inquiries", json={"text": "Can I speak to a person?", "language": "cy"}
    ).json()
    assert body["outcome"] == "handed_over" and body["language"] == "cy"


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"text": ""}, 422, "E501"),
        ({"text": "   "}, 422, "E501"),
        ({"text": "x" * 4001}, 413, "E502"),
        ({"text": "bins\u0000"}, 422, "E504"),
        ({"text": "\u200b\u200d"}, 422, "E501"),
        ({"text": "bins", "language": "xx"}, 422, "E505"),
    ],
)
def test_bad_questions_get_a_coded_error(
    council: AppClient, payload: dict[str, str], status: int, code: str
) -> None:
    response = council.post("/api/v1/inquiries", json=payload)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


@pytest.mark.parametrize(
    "content",
    [b"not json", b'{"text": "\xff\xfe"}', b'{"words": "bins"}', b'{"text": 12}', b"[]"],
)
def test_malformed_bodies_get_a_coded_error(council: AppClient, content: bytes) -> None:
    response = council.post(
        "/api/v1/inquiries", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code in (400, 422)
    assert response.json()["error"]["code"] == "E510"


def test_unknown_reference(council: AppClient) -> None:
    response = council.get("/api/v1/inquiries/CD-0000-0000")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "E404"


def test_openapi_describes_the_api(council: AppClient) -> None:
    spec = council.get("/api/openapi.json").json()
    assert "/api/v1/inquiries" in spec["paths"]
    assert "/api/v1/inquiries/{reference}" in spec["paths"]


def test_citizen_page_answers_with_sources(council: AppClient) -> None:
    page = council.post("/ask", data={"text": "How much does a resident parking permit cost?"})
    assert page.status_code == 200
    assert 'data-outcome="answered"' in page.text
    assert "£45" in page.text
    assert 'href="https://www.aberwen.gov.uk/parking/parking-permits#resident-permits"' in page.text
    assert "Was this useful?" in page.text


def test_citizen_page_escapes_html_and_says_what_was_removed(council: AppClient) -> None:
    page = council.post(
        "/ask",
        data={"text": "<script>alert(1)</script> I am sam@example.com, when are bins collected?"},
    )
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "sam@example.com" not in page.text
    assert "email address" in page.text


def test_welsh_citizen_page(council: AppClient) -> None:
    page = council.post("/cy/ask", data={"text": "Pryd mae biniau du yn cael eu casglu?"})
    assert page.status_code == 200
    assert '<html lang="cy"' in page.text
    assert "bob pythefnos" in page.text


def test_empty_question_shows_the_form_with_an_error(council: AppClient) -> None:
    page = council.post("/ask", data={"text": "  "})
    assert page.status_code == 422
    assert "govuk-error-message" in page.text and "Please type your question" in page.text


def test_feedback_and_person(council: AppClient) -> None:
    page = council.post("/ask", data={"text": "when are bins collected?"})
    assert page.headers["cache-control"] == "no-store"  # its forms carry the token
    reference = re.search(r"CD-[0-9A-Z]{4}-[0-9A-Z]{4}", page.text).group(0)  # type: ignore[union-attr]
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    feedback = f"/inquiries/{reference}/feedback"
    assert council.post(feedback, data={"useful": "no", "token": token}).status_code == 200
    assert council.post(feedback, data={"useful": "maybe", "token": token}).status_code == 422
    person = council.post(f"/inquiries/{reference}/person", data={"token": token})
    assert person.status_code == 200 and reference in person.text
    assert person.headers["cache-control"] == "no-store"
    status = council.get(f"/api/v1/inquiries/{reference}").json()
    assert status["needs_person"] is True and status["outcome"] == "handed_over"
    assert council.post("/inquiries/CD-0000-0000/person", data={"token": token}).status_code == 404


@pytest.mark.parametrize("token", ["", "not-the-token", "x" * 22])
def test_a_reference_alone_opens_nothing(council: AppClient, token: str) -> None:
    """References are read out on the phone and shown to staff: they are not secrets. Without
    the asker's token, "talk to a person" and feedback change nothing and reveal no link."""
    reference = council.post("/api/v1/inquiries", json={"text": "when are bins collected?"}).json()[
        "reference"
    ]
    person = council.post(f"/inquiries/{reference}/person", data={"token": token})
    assert person.status_code == 404 and "token=" not in person.text
    feedback = council.post(
        f"/inquiries/{reference}/feedback", data={"useful": "no", "token": token}
    )
    assert feedback.status_code == 404
    status = council.get(f"/api/v1/inquiries/{reference}").json()
    assert status["needs_person"] is False and status["outcome"] == "answered"


def test_api_documentation_page(council: AppClient) -> None:
    for path in ("/api/docs", "/cy/api/docs"):
        page = council.get(path)
        assert page.status_code == 200
        assert "POST /api/v1/inquiries" in page.text
        assert "GET /api/v1/inquiries/{reference}" in page.text
