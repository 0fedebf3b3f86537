"""POST /api/v1/cases: other channels open cases, with the cases API key or a staff session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from staff_login import add_staff, sign_in
from web_client import AppClient, web_settings_for

from civicdesk.casework.permissions import Role
from civicdesk.store import migrate
from civicdesk.store.cases import CaseRow
from civicdesk.store.engine import make_sessionmaker
from civicdesk.store.inquiries import InquiryRow
from civicdesk.web.app import create_app

KEY = "cases-key-" + "k" * 30
CASE = {"text": "Caller wants to complain about a missed bin.", "channel": "phone"}


@pytest.fixture
def keyed_app(tmp_path: Path) -> Iterator[FastAPI]:
    application = create_app(web_settings_for(tmp_path, cases_api_key=KEY))
    migrate.upgrade(application.state.engine)
    yield application
    application.state.engine.dispose()


def cases(app: FastAPI) -> list[CaseRow]:
    with make_sessionmaker(app.state.engine)() as session:
        return list(session.execute(select(CaseRow)).scalars())


def test_a_system_with_the_key_opens_a_case(keyed_app: FastAPI) -> None:
    client = AppClient(keyed_app)
    response = client.post(
        "/api/v1/cases",
        json={**CASE, "email": "resident@example.com"},
        headers={"Authorization": f"Bearer {KEY}"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["status"], body["queue"], body["priority"]) == ("new", "complaints", "normal")
    assert body["citizen_url"].startswith(
        f"http://127.0.0.1:8000/inquiries/{body['reference']}?token="
    )
    [row] = cases(keyed_app)
    assert row.reference == body["reference"] and row.channel == "phone"
    assert row.contact is not None and "resident@example.com" not in row.contact
    page = client.get(body["citizen_url"].removeprefix("http://127.0.0.1:8000"))
    assert page.status_code == 200


def test_a_crisis_from_another_channel_comes_first(keyed_app: FastAPI) -> None:
    response = AppClient(keyed_app).post(
        "/api/v1/cases",
        json={"text": "Caller said: I want to end my life", "language": "cy"},
        headers={"Authorization": f"Bearer {KEY}"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["priority"], body["queue"]) == ("crisis", "safeguarding")
    assert "/cy/inquiries/" in body["citizen_url"]


def test_no_key_and_no_session_is_refused(keyed_app: FastAPI) -> None:
    client = AppClient(keyed_app)
    missing = client.post("/api/v1/cases", json=CASE)
    assert missing.status_code == 401
    assert "error" in missing.json()
    wrong = client.post("/api/v1/cases", json=CASE, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.json()["error"]["message"] == "The cases API key is not right."
    assert cases(keyed_app) == []


def test_without_a_configured_key_a_bearer_header_is_not_enough(app: FastAPI) -> None:
    response = AppClient(app).post(
        "/api/v1/cases", json=CASE, headers={"Authorization": "Bearer anything"}
    )
    assert response.status_code == 401
    assert cases(app) == []


def test_signed_in_staff_who_may_work_cases_can_open_one(app: FastAPI) -> None:
    client = AppClient(app)
    worker = add_staff(app, Role.CASEWORKER)
    response = sign_in(client, worker.email).request("POST", "/api/v1/cases", json=CASE)
    assert response.status_code == 201, response.text
    analyst = add_staff(app, Role.ANALYST)
    refused = sign_in(client, analyst.email).request("POST", "/api/v1/cases", json=CASE)
    assert refused.status_code == 403
    assert len(cases(app)) == 1


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"text": "   "}, "empty"),
        ({"text": "Missed bin", "email": "not an address"}, "correct format"),
        ({"text": "Missed bin", "channel": "Phone Line"}, "channel"),
        ({"text": "Missed bin", "language": "fr"}, "language"),
        ({"words": "Missed bin"}, "text"),
    ],
)
def test_bad_input_gets_a_clear_message_and_stores_nothing(
    keyed_app: FastAPI, body: dict[str, str], says: str
) -> None:
    response = AppClient(keyed_app).post(
        "/api/v1/cases", json=body, headers={"Authorization": f"Bearer {KEY}"}
    )
    assert response.status_code == 422
    assert says in response.json()["error"]["message"]
    assert cases(keyed_app) == []
    with make_sessionmaker(keyed_app.state.engine)() as session:
        assert list(session.execute(select(InquiryRow)).scalars()) == []


def test_a_question_handed_over_on_the_web_opens_a_case(app: FastAPI) -> None:
    reply = AppClient(app).post(
        "/api/v1/inquiries", json={"text": "I want to make a formal complaint about my bins"}
    )
    assert reply.json()["outcome"] == "handed_over"
    assert [row.reference for row in cases(app)] == [reply.json()["reference"]]
