"""What every command shares: settings, the database, and one-line errors."""

from __future__ import annotations

import sys
from typing import NoReturn

from rich.console import Console
from sqlalchemy import Engine

from civicdesk.errors import CivicdeskError
from civicdesk.settings import Settings, load_settings
from civicdesk.store.engine import check_connection, make_engine

console = Console()
err_console = Console(stderr=True)


def fail(error: CivicdeskError, exit_code: int = 2) -> NoReturn:
    err_console.print(f"[bold red]error[/] {error}", markup=True, highlight=False, soft_wrap=True)
    sys.exit(exit_code)


def settings() -> Settings:
    return load_settings()


def connected_engine(current: Settings) -> Engine:
    engine = make_engine(current)
    check_connection(engine, current)
    return engine
