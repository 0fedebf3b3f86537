"""Ways to run the `civicdesk` command in tests.

`cli` calls the Typer app in-process (fast); `civicdesk_process` runs the installed console
script in a subprocess, which exercises `civicdesk.cli.main:run` exactly as operators meet it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from cli_runs import Outcome, RunCli, console_script
from typer.testing import CliRunner

from civicdesk.cli.main import app
from civicdesk.settings import Settings


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder with the data folder pointed inside it."""
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.setenv("CIVICDESK_DATA_DIR", str(folder / "data"))
    return folder


@pytest.fixture
def use_database(db_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Point the command at the test database (SQLite file, then a PostgreSQL schema)."""
    monkeypatch.setenv("CIVICDESK_DATA_DIR", str(db_settings.data_dir))
    if db_settings.database_url:
        monkeypatch.setenv("CIVICDESK_DATABASE_URL", db_settings.database_url)
    return db_settings


@pytest.fixture
def cli() -> RunCli:
    def run(*args: str) -> Outcome:
        result = CliRunner().invoke(app, list(args))
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Outcome(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def civicdesk_process() -> RunCli:
    def run(*args: str, env: dict[str, str] | None = None) -> Outcome:
        environment = {**os.environ, "COLUMNS": "200", **(env or {})}
        completed = subprocess.run(
            [*console_script(), *args],
            capture_output=True,
            text=True,
            env=environment,
            timeout=120,
            check=False,
        )
        return Outcome(completed.returncode, completed.stdout, completed.stderr)

    return run
