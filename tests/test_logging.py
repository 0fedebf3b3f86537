"""Structured logs: JSON in production, readable in development, request ids, redaction."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from civicdesk import logging as civic_logging
from civicdesk.logging import configure_logging, get_logger, register_redactor, request_id_var
from civicdesk.settings import Settings

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


@pytest.fixture(autouse=True)
def _restore_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test configures logging afresh; the process's own set-up is put back after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    monkeypatch.setattr(civic_logging, "_redactors", [])
    yield
    root.handlers = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def emit(capsys: pytest.CaptureFixture[str], settings: Settings, event: str, **fields: Any) -> str:
    configure_logging(settings)
    get_logger("civicdesk.test").info(event, **fields)
    return capsys.readouterr().err.strip()


@pytest.mark.parametrize(
    ("environment", "log_format", "is_json"),
    [
        ("production", "auto", True),
        ("test", "auto", True),
        ("development", "auto", False),
        ("development", "json", True),
        ("production", "console", False),
    ],
)
def test_format_follows_environment(
    capsys: pytest.CaptureFixture[str], environment: str, log_format: str, is_json: bool
) -> None:
    line = emit(
        capsys,
        Settings(environment=environment, log_format=log_format),
        "inquiry.answered",
        outcome="answered",
    )
    assert len(line.splitlines()) == 1
    if is_json:
        record = json.loads(line)
        assert record["event"] == "inquiry.answered"
        assert record["outcome"] == "answered"
        assert record["level"] == "info"
        assert record["logger"] == "civicdesk.test"
        assert record["timestamp"].endswith("Z")
    else:
        assert not line.startswith("{")
        assert "inquiry.answered" in line
        assert "outcome=answered" in line


def test_request_id_is_added(capsys: pytest.CaptureFixture[str]) -> None:
    token = request_id_var.set("req-7f3a")
    try:
        line = emit(capsys, Settings(environment="production"), "page.served")
    finally:
        request_id_var.reset(token)
    assert json.loads(line)["request_id"] == "req-7f3a"
    later = emit(capsys, Settings(environment="production"), "page.served")
    assert "request_id" not in json.loads(later)


def test_standard_library_records_get_the_same_treatment(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(Settings(environment="production"))
    token = request_id_var.set("req-std")
    try:
        logging.getLogger("sqlalchemy.pool").warning("pool exhausted")
    finally:
        request_id_var.reset(token)
    record = json.loads(capsys.readouterr().err.strip())
    assert record["event"] == "pool exhausted"
    assert record["level"] == "warning"
    assert record["request_id"] == "req-std"


def test_registered_redactors_apply_to_string_values(capsys: pytest.CaptureFixture[str]) -> None:
    def hide_emails(text: str) -> str:
        return EMAIL.sub("<EMAIL>", text)

    register_redactor(hide_emails)
    register_redactor(hide_emails)  # registering twice applies it once
    assert civic_logging._redactors == [hide_emails]
    line = emit(
        capsys,
        Settings(environment="production"),
        "question from jo.bloggs@example.com",
        reply_to="jo.bloggs@example.com",
        attempts=3,
    )
    record = json.loads(line)
    assert record["event"] == "question from <EMAIL>"
    assert record["reply_to"] == "<EMAIL>"
    assert record["attempts"] == 3
    assert "example.com" not in line


def test_redactors_run_in_development_too(capsys: pytest.CaptureFixture[str]) -> None:
    register_redactor(lambda text: text.replace("SW1A 1AA", "<POSTCODE>"))
    line = emit(capsys, Settings(environment="development"), "lives at SW1A 1AA")
    assert "SW1A 1AA" not in line
    assert "<POSTCODE>" in line


def test_level_filters_records(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(Settings(environment="production", log_level="WARNING"))
    logger = get_logger("civicdesk.test")
    logger.info("quiet")
    logger.warning("loud")
    lines = capsys.readouterr().err.strip().splitlines()
    assert [json.loads(line)["event"] for line in lines] == ["loud"]
