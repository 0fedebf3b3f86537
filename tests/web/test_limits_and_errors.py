"""Over-size bodies get a 413; unhandled errors get the 500 page and a log line, no traceback."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI, Form, Request
from web_client import AppClient

LIMIT = 64 * 1024  # the default max_body_bytes


@pytest.fixture
def test_routes(app: FastAPI) -> FastAPI:
    """Test-only routes added to this app instance."""

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"length": len(await request.body())}

    @app.post("/api/echo")
    async def api_echo(request: Request) -> dict[str, int]:
        return {"length": len(await request.body())}

    @app.post("/form")
    async def form(text: str = Form()) -> dict[str, int]:
        return {"length": len(text)}

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("Jo Bloggs of 1 High Street, QQ123456C")

    @app.get("/api/boom")
    def api_boom() -> None:
        raise ValueError("secret value")

    return app


def chunks(total: int, size: int = 8192) -> AsyncIterator[bytes]:
    async def generate() -> AsyncIterator[bytes]:
        sent = 0
        while sent < total:
            piece = min(size, total - sent)
            sent += piece
            yield b"a" * piece

    return generate()


@pytest.mark.usefixtures("test_routes")
@pytest.mark.parametrize("path", ["/echo", "/form"])
def test_bodies_within_the_limit_reach_the_route(client: AppClient, path: str) -> None:
    if path == "/form":
        response = client.post(path, data={"text": "a" * 1000})
    else:
        response = client.post(path, content=b"a" * LIMIT)
    assert response.status_code == 200


@pytest.mark.usefixtures("test_routes")
@pytest.mark.parametrize(
    ("path", "lang", "heading"),
    [
        ("/echo", "en", "What you sent is too long"),
        ("/cy/echo", "cy", "Mae&#39;r hyn a anfonwyd gennych yn rhy hir"),
        ("/ask", "en", "What you sent is too long"),
    ],
)
def test_declared_oversize_body_gets_the_413_page(
    client: AppClient, path: str, lang: str, heading: str
) -> None:
    response = client.post(path, content=b"a" * (LIMIT + 1))
    assert response.status_code == 413
    assert f'<html lang="{lang}"' in response.text
    assert heading in response.text
    assert "nonce-" in response.headers["content-security-policy"]


@pytest.mark.usefixtures("test_routes")
@pytest.mark.parametrize("path", ["/echo", "/form", "/cy/form"])
def test_streamed_oversize_body_is_cut_off_with_413(client: AppClient, path: str) -> None:
    response = client.post(
        path,
        content=chunks(LIMIT * 3),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert "content-length" not in response.request.headers  # really sent chunked
    assert response.status_code == 413
    assert "govuk-heading-xl" in response.text


@pytest.mark.usefixtures("test_routes")
def test_api_413_is_json(client: AppClient) -> None:
    declared = client.post("/api/echo", content=b"a" * (LIMIT + 1))
    streamed = client.post("/api/echo", content=chunks(LIMIT + 10))
    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/json"
        assert response.json()["error"]["code"] == "E413"
        assert str(LIMIT) in response.json()["error"]["message"]


@pytest.mark.usefixtures("test_routes")
@pytest.mark.parametrize(
    ("path", "lang", "heading"),
    [
        ("/boom", "en", "Sorry, there is a problem with the service"),
        ("/cy/boom", "cy", "Mae&#39;n ddrwg gennym, mae problem gyda&#39;r gwasanaeth"),
    ],
)
def test_unhandled_error_shows_the_500_page_and_logs_type_not_message(
    client: AppClient, caplog: pytest.LogCaptureFixture, path: str, lang: str, heading: str
) -> None:
    caplog.set_level(logging.INFO)
    response = client.get(path, headers={"X-Request-ID": "incident-7"})
    assert response.status_code == 500
    assert f'<html lang="{lang}"' in response.text
    assert heading in response.text
    assert "incident-7" in response.text  # the reference to quote
    assert "Traceback" not in response.text
    assert "QQ123456C" not in response.text
    assert "x-frame-options" in response.headers
    events = [r.msg for r in caplog.records if isinstance(r.msg, dict)]
    errors = [e for e in events if e.get("event") == "unhandled error"]
    assert len(errors) == 1
    assert errors[0]["request_id"] == "incident-7"
    assert errors[0]["error_type"] == "builtins.RuntimeError"
    assert "test_limits_and_errors.py" in str(errors[0]["at"])
    assert "QQ123456C" not in repr(events)
    access = [e for e in events if e.get("logger") == "civicdesk.access"]
    assert access[-1]["status"] == 500


@pytest.mark.usefixtures("test_routes")
def test_unhandled_api_error_is_json(client: AppClient) -> None:
    response = client.get("/api/boom")
    assert response.status_code == 500
    assert response.json() == {
        "error": {
            "code": "E500",
            "message": "Sorry, there is a problem with the service. Try again later.",
        }
    }
