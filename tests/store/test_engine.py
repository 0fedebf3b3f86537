"""Engines and sessions: SQLite tuned for concurrency, PostgreSQL, clear connection errors."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from civicdesk.errors import StorageError
from civicdesk.settings import Settings
from civicdesk.store.audit import AuditEvent, record_event
from civicdesk.store.engine import (
    check_connection,
    describe_url,
    make_engine,
    make_sessionmaker,
    session_scope,
)


def test_sqlite_file_lives_in_the_data_folder(tmp_path: Path) -> None:
    data_dir = tmp_path / "nested" / "data"
    current = Settings(data_dir=data_dir, environment="test")
    engine = make_engine(current)
    try:
        check_connection(engine, current)
        assert data_dir.is_dir()
        assert (data_dir / "civicdesk.db").exists()
        assert describe_url(current) == str((data_dir / "civicdesk.db").resolve())
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("pragma", "expected"),
    [("journal_mode", "wal"), ("foreign_keys", 1), ("busy_timeout", 30000), ("synchronous", 1)],
)
def test_sqlite_connections_are_tuned(
    sqlite_engine: Engine, pragma: str, expected: str | int
) -> None:
    with sqlite_engine.connect() as connection:
        assert connection.execute(text(f"PRAGMA {pragma}")).scalar() == expected


def test_session_scope_commits_on_success(migrated_engine: Engine) -> None:
    factory = make_sessionmaker(migrated_engine)
    with session_scope(factory) as session:
        record_event(session, actor="a", action="x.done", object_type="x", object_id="1")
    with factory() as session:
        assert session.execute(select(AuditEvent.seq)).scalars().all() == [1]


def test_session_scope_rolls_back_on_error(migrated_engine: Engine) -> None:
    factory = make_sessionmaker(migrated_engine)
    with pytest.raises(RuntimeError, match="stop"):
        with session_scope(factory) as session:
            record_event(session, actor="a", action="x.done", object_type="x", object_id="1")
            raise RuntimeError("stop")
    with factory() as session:
        assert session.execute(select(AuditEvent.seq)).scalars().all() == []


def test_sqlite_writers_queue_instead_of_failing(sqlite_engine: Engine) -> None:
    """BEGIN IMMEDIATE makes concurrent writers wait their turn rather than hit 'locked'."""
    factory = make_sessionmaker(sqlite_engine)
    errors: list[BaseException] = []

    def writer(worker: int) -> None:
        try:
            for number in range(10):
                with session_scope(factory) as session:
                    # read first, then write: the pattern that deadlocks with a deferred BEGIN
                    session.execute(select(AuditEvent.seq)).all()
                    record_event(
                        session,
                        actor=f"w{worker}",
                        action="x.done",
                        object_type="x",
                        object_id=str(number),
                    )
        except BaseException as exc:  # noqa: B036 - reported to the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with factory() as session:
        assert len(session.execute(select(AuditEvent.seq)).all()) == 40


@pytest.mark.postgres
def test_postgres_url_is_used(postgres_url: str, tmp_path: Path) -> None:
    current = Settings(data_dir=tmp_path, environment="test", database_url=postgres_url)
    engine = make_engine(current)
    try:
        check_connection(engine, current)
        assert engine.dialect.name == "postgresql"
        assert not current.is_sqlite
        assert not (tmp_path / "civicdesk.db").exists()
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://civic:s3cret@127.0.0.1:1/db", "127.0.0.1:1/db"),
        ("postgresql://x@127.0.0.1:1/db", "127.0.0.1:1/db"),
    ],
)
def test_unreachable_database_is_one_clear_error(tmp_path: Path, url: str, shown: str) -> None:
    current = Settings(data_dir=tmp_path, environment="test", database_url=url)
    engine = make_engine(current)
    try:
        with pytest.raises(StorageError) as caught:
            check_connection(engine, current)
    finally:
        engine.dispose()
    message = str(caught.value)
    assert message.startswith("E201: cannot reach the database at " + shown)
    assert "CIVICDESK_DATABASE_URL" in message
    assert "s3cret" not in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("not a url", "Could not parse"),
        ("mysql://civic:hunter2@db/civic", "No module named"),
    ],
)
def test_unusable_database_url_is_one_clear_error(tmp_path: Path, url: str, reason: str) -> None:
    current = Settings(data_dir=tmp_path, environment="test", database_url=url)
    with pytest.raises(StorageError) as caught:
        make_engine(current)
    message = str(caught.value)
    assert message.startswith("E202: database_url is not a database URL civicdesk can use")
    assert reason in message
    assert "hunter2" not in message
