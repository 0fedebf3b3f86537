"""Shared fixtures: settings on a temporary folder, and databases on SQLite and PostgreSQL.

PostgreSQL tests use the server named by CIVICDESK_TEST_POSTGRES_URL (default: the local
server on 127.0.0.1:5432, database `test`). Each test gets its own schema, dropped afterwards.
When the server cannot be reached the tests are skipped on a developer's machine and fail in
CI (CI=true), because CI must run them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from civicdesk.settings import Settings
from civicdesk.store import migrate
from civicdesk.store.engine import make_engine

PG_URL = os.environ.get(
    "CIVICDESK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads a developer's civicdesk.toml or CIVICDESK_* variables."""
    for name in list(os.environ):
        if name.startswith("CIVICDESK_") and name != "CIVICDESK_TEST_POSTGRES_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("CIVICDESK_CONFIG", str(tmp_path / "civicdesk.toml"))


def _postgres_available() -> str | None:
    try:
        engine = create_engine(PG_URL)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except OperationalError as exc:
        return str(exc.orig).splitlines()[0] if exc.orig else "unreachable"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    problem = _postgres_available()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but unreachable at {PG_URL}: {problem}")
        pytest.skip(f"PostgreSQL unreachable at {PG_URL}: {problem}")
    return PG_URL


@pytest.fixture
def pg_schema_url(postgres_url: str) -> Iterator[str]:
    """A URL whose connections see only a fresh schema, dropped after the test."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in postgres_url else "?"
    yield f"{postgres_url}{separator}options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", environment="test")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for each supported database in turn."""
    if request.param == "sqlite":
        return Settings(data_dir=tmp_path / "data", environment="test")
    url: str = request.getfixturevalue("pg_schema_url")
    return Settings(data_dir=tmp_path / "data", environment="test", database_url=url)


@pytest.fixture
def migrated_engine(db_settings: Settings) -> Iterator[Engine]:
    """An engine on a fully migrated, empty database (SQLite, then PostgreSQL)."""
    engine = make_engine(db_settings)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(sqlite_settings: Settings) -> Iterator[Engine]:
    engine = make_engine(sqlite_settings)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()
