"""/healthz says the process is alive; /readyz checks the database and its schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from web_client import AppClient

from civicdesk.settings import Settings
from civicdesk.store import migrate
from civicdesk.web.app import create_app

SECRET = "readiness-test-secret-" + "y" * 30


@pytest.fixture
def unmigrated_app(db_settings: Settings) -> Iterator[FastAPI]:
    """The app on an empty database: SQLite, then PostgreSQL."""
    app = create_app(db_settings.model_copy(update={"secret_key": SecretStr(SECRET)}))
    yield app
    app.state.engine.dispose()


def test_healthz_is_ok(client: AppClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["cache-control"] == "no-store"


def test_readyz_is_503_before_migration_and_200_after(unmigrated_app: FastAPI) -> None:
    client = AppClient(unmigrated_app)
    before = client.get("/readyz")
    assert before.status_code == 503
    assert before.json()["status"] == "unavailable"
    assert "civicdesk db upgrade" in before.json()["reason"]

    migrate.upgrade(unmigrated_app.state.engine)
    after = client.get("/readyz")
    assert after.status_code == 200
    assert after.json() == {"status": "ready", "revision": migrate.head_revision()}


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        environment="test",
        secret_key=SECRET,
        database_url="postgresql://nobody@127.0.0.1:1/nothing?connect_timeout=2",
    )
    app = create_app(settings)
    try:
        response = AppClient(app).get("/readyz")
    finally:
        app.state.engine.dispose()
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "reason": "the database cannot be reached",
    }
