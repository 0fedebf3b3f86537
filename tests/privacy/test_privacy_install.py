"""install(): log records and audit payloads pass through the engine."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from civicdesk import logging as civic_logging
from civicdesk.logging import configure_logging, get_logger
from civicdesk.privacy import PrivacyEngine, hooks, install
from civicdesk.settings import Settings
from civicdesk.store import audit
from civicdesk.store.audit import AuditEvent, record_event


@pytest.fixture(autouse=True)
def _fresh_hooks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    monkeypatch.setattr(civic_logging, "_redactors", [])
    monkeypatch.setattr(audit, "_scrubbers", [])
    monkeypatch.setattr(hooks, "_installed", {})
    yield
    root.handlers = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def test_log_records_are_redacted(
    engine: PrivacyEngine, sqlite_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = sqlite_settings.model_copy(update={"log_format": "json"})
    assert install(settings, engine) is engine
    assert install(settings) is engine  # idempotent
    configure_logging(settings)
    get_logger("test").info("question from Mrs Okafor", nino="AB 12 34 56 C", count=3)
    logging.getLogger("plain").warning("email jo@example.org failed")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert lines[0]["event"] == "question from Mrs <PERSON>"
    assert lines[0]["nino"] == "<UK_NINO>" and lines[0]["count"] == 3
    assert lines[1]["event"] == "email <EMAIL_ADDRESS> failed"
    assert len(civic_logging._redactors) == 1


def test_audit_payloads_are_scrubbed(
    engine: PrivacyEngine, sqlite_settings: Settings, sqlite_engine: Engine
) -> None:
    install(sqlite_settings, engine)
    with Session(sqlite_engine) as session:
        record_event(
            session,
            actor="system",
            action="inquiry.received",
            object_type="inquiry",
            object_id="1",
            payload={"note": "NHS 943 476 5919", "nested": {"who": ["call 07700 900123"]}},
        )
        session.commit()
        stored = session.execute(select(AuditEvent.payload)).scalar_one()
    assert json.loads(stored) == {
        "note": "NHS <UK_NHS>",
        "nested": {"who": ["call <PHONE_NUMBER>"]},
    }
    raw = (sqlite_settings.data_dir / "civicdesk.db").read_bytes()
    assert b"943 476 5919" not in raw and b"07700 900123" not in raw
