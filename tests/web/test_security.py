"""Security headers, the CSP nonce, request ids and the access log."""

from __future__ import annotations

import logging
import re

import pytest
from web_client import AppClient, MakeClient

from civicdesk.web.security import content_security_policy

PATHS = ["/", "/cy/cookies", "/healthz", "/static/govuk/govuk-frontend.min.css", "/missing"]


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_security_headers(client: AppClient, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["content-security-policy"]
    for directive in (
        "default-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'self'",
        "object-src 'none'",
    ):
        assert directive in csp
    assert re.search(r"script-src 'self' 'nonce-[A-Za-z0-9_-]{20,}'", csp)
    assert "unsafe-inline" not in csp
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert "camera=()" in headers["permissions-policy"]
    assert "strict-transport-security" not in headers  # only in production


def test_the_inline_script_carries_this_responses_nonce(client: AppClient) -> None:
    first = client.get("/")
    nonce = re.search(r"'nonce-([^']+)'", first.headers["content-security-policy"])
    assert nonce
    scripts = re.findall(r"<script[^>]*>", first.text)
    assert len(scripts) == 2  # GOV.UK's one inline line, and the module that starts the JS
    for tag in scripts:
        assert f'nonce="{nonce.group(1)}"' in tag
    inline = re.findall(r"<script[^>]*>([^<]+)</script>", first.text)
    assert inline == [
        "document.body.className += ' js-enabled' + ('noModule' in "
        "HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');"
    ]
    second = client.get("/")
    assert second.headers["content-security-policy"] != first.headers["content-security-policy"]


def test_the_page_has_no_inline_styles_or_handlers(client: AppClient) -> None:
    html = client.get("/").text
    assert "style=" not in html
    assert "<style" not in html
    assert not re.search(r"\son[a-z]+=", html)


def test_production_adds_hsts(make_client: MakeClient) -> None:
    headers = make_client(environment="production").get("/").headers
    assert headers["strict-transport-security"].startswith("max-age=31536000")


def test_policy_text_is_stable() -> None:
    assert content_security_policy("abc").startswith(
        "default-src 'self'; script-src 'self' 'nonce-abc'"
    )


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("abc-123", True),
        ("4f91dd9e-c76a-493d-a62d-928d4037ee47", True),
        ("with space", False),
        ("<script>", False),
        ("x" * 200, False),
        ("", False),
    ],
)
def test_request_id_is_echoed_only_when_sane(client: AppClient, sent: str, kept: bool) -> None:
    returned = client.get("/healthz", headers={"X-Request-ID": sent}).headers["x-request-id"]
    if kept:
        assert returned == sent
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", returned)


def test_request_id_is_made_when_absent_and_differs_per_request(client: AppClient) -> None:
    first = client.get("/healthz").headers["x-request-id"]
    second = client.get("/healthz").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


def civicdesk_events(caplog: pytest.LogCaptureFixture) -> list[dict[str, object]]:
    """The structured events our loggers wrote (structlog hands logging a dict)."""
    return [
        dict(record.msg)
        for record in caplog.records
        if record.name.startswith("civicdesk") and isinstance(record.msg, dict)
    ]


def test_one_access_line_per_request_without_query_or_body(
    client: AppClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    client.get("/cy/cookies?email=jo.bloggs@example.com", headers={"X-Request-ID": "trace-42"})
    client.post("/ask", content=b"text=my+NI+number+is+QQ123456C")
    events = civicdesk_events(caplog)
    access = [event for event in events if event.get("logger") == "civicdesk.access"]
    assert len(access) == 2
    first = access[0]
    assert first["method"] == "GET"
    assert first["path"] == "/cy/cookies"
    assert first["status"] == 200
    assert first["request_id"] == "trace-42"
    assert isinstance(first["duration_ms"], float)
    assert access[1]["method"] == "POST"
    assert "jo.bloggs" not in repr(events)
    assert "QQ123456C" not in repr(events)
