"""What every command shares: settings, the database, and one-line errors."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

from rich.console import Console
from sqlalchemy import Engine

from civicdesk.errors import CivicdeskError
from civicdesk.settings import Settings, load_settings
from civicdesk.store.engine import check_connection, make_engine

# soft_wrap: long paths and URLs stay on one line, so they can be copied and grepped.
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def fail(error: CivicdeskError, exit_code: int = 2) -> NoReturn:
    err_console.print(f"[bold red]error[/] {error}", markup=True, highlight=False, soft_wrap=True)
    sys.exit(exit_code)


def settings() -> Settings:
    return load_settings()


def connected_engine(current: Settings) -> Engine:
    """An engine that has answered; the caller disposes of it (or uses `open_database`)."""
    engine = make_engine(current)
    try:
        check_connection(engine, current)
    except BaseException:
        engine.dispose()
        raise
    return engine


@contextmanager
def open_database(current: Settings) -> Iterator[Engine]:
    """A connected engine whose connections are closed when the command is done."""
    engine = connected_engine(current)
    try:
        yield engine
    finally:
        engine.dispose()
