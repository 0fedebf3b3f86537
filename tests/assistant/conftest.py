"""An assistant over the sample council's guidance, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from civicdesk.assistant.service import Assistant
from civicdesk.knowledge import ingest_paths, sample_council_path
from civicdesk.settings import Settings
from civicdesk.store import migrate
from civicdesk.store.engine import make_engine


@pytest.fixture(scope="module")
def council(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Engine]]:
    """A SQLite database with the sample council ingested, shared by a module's tests."""
    folder: Path = tmp_path_factory.mktemp("council")
    settings = Settings(data_dir=folder, environment="test", organisation_name="Aberwen")
    engine = make_engine(settings)
    migrate.upgrade(engine)
    ingest_paths(settings, engine, [sample_council_path()])
    yield settings, engine
    engine.dispose()


@pytest.fixture(scope="module")
def assistant(council: tuple[Settings, Engine]) -> Assistant:
    settings, engine = council
    return Assistant.from_settings(settings, engine)


@pytest.fixture
def assistant_on(db_settings: Settings, migrated_engine: Engine) -> Assistant:
    """A fresh assistant on each database in turn (SQLite, then PostgreSQL)."""
    ingest_paths(db_settings, migrated_engine, [sample_council_path()])
    return Assistant.from_settings(db_settings, migrated_engine)
