"""Create engines and sessions for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from civicdesk.errors import StorageError
from civicdesk.settings import Settings


def make_engine(settings: Settings, **kwargs: Any) -> Engine:
    """An engine for the configured database, with SQLite tuned for concurrent use."""
    url = settings.effective_database_url
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            # One connection per process: threads queue for it in Python instead of meeting
            # SQLite's busy handler, which sleeps for whole milliseconds when writers collide.
            **({"pool_size": 1, "max_overflow": 0, "pool_timeout": 60} | kwargs),
        )
        _tune_sqlite(engine)
        return engine
    try:
        return create_engine(url, pool_pre_ping=True, **kwargs)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        # Not a URL at all, or one for a database civicdesk has no driver for.
        reason = str(exc).splitlines()[0]
        raise StorageError(
            f"database_url is not a database URL civicdesk can use ({reason}).",
            hint="Set CIVICDESK_DATABASE_URL to postgresql://USER:PASSWORD@HOST:5432/NAME, "
            "or leave it unset to use the embedded SQLite database.",
            code="E202",
        ) from None


def _tune_sqlite(engine: Engine) -> None:
    """WAL for readers beside a writer; BEGIN IMMEDIATE so writers queue instead of failing."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let us emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session committed on success and rolled back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def describe_url(settings: Settings) -> str:
    """Where the database is, without credentials, for error messages."""
    url = settings.effective_database_url
    if settings.is_sqlite:
        return url.removeprefix("sqlite:///")
    return url.rpartition("@")[2]


def check_connection(engine: Engine, settings: Settings) -> None:
    """Raise StorageError with advice when the database cannot be reached."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "no answer"
        raise StorageError(
            f"cannot reach the database at {describe_url(settings)} ({reason}).",
            hint="Check CIVICDESK_DATABASE_URL and that the server is running.",
            code="E201",
        ) from None
