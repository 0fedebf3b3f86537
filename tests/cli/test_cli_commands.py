"""The foundation commands: --version, init, config show, db upgrade, audit verify, serve."""

from __future__ import annotations

import json
import os
import stat
import tomllib
from pathlib import Path

import pytest
from cli_runs import RunCli
from sqlalchemy import text

from civicdesk import __version__
from civicdesk.settings import Settings
from civicdesk.store import migrate
from civicdesk.store.audit import record_event
from civicdesk.store.engine import make_engine, make_sessionmaker, session_scope


def config_file() -> Path:
    return Path(os.environ["CIVICDESK_CONFIG"])


def test_version(cli: RunCli) -> None:
    outcome = cli("--version")
    assert outcome.exit_code == 0
    assert outcome.stdout.strip() == f"civicdesk {__version__}"


def test_init_writes_a_private_settings_file_and_database(cli: RunCli, workdir: Path) -> None:
    outcome = cli("init")
    assert outcome.exit_code == 0, outcome.stderr
    path = config_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    secret = tomllib.loads(path.read_text())["secret_key"]
    assert len(secret) >= 32
    assert f"Wrote {path}" in outcome.stdout
    assert "Database ready at revision" in outcome.stdout
    engine = make_engine(Settings(data_dir=workdir / "data"))
    try:
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()


def test_init_keeps_an_existing_file_unless_forced(cli: RunCli, workdir: Path) -> None:
    assert cli("init").exit_code == 0
    first = config_file().read_text()
    again = cli("init")
    assert again.exit_code == 0
    assert "Keeping the existing settings file" in again.stdout
    assert config_file().read_text() == first
    forced = cli("init", "--force")
    assert forced.exit_code == 0
    assert config_file().read_text() != first
    assert stat.S_IMODE(config_file().stat().st_mode) == 0o600


def test_init_creates_the_settings_folder(
    cli: RunCli, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nested = workdir / "etc" / "civicdesk" / "civicdesk.toml"
    monkeypatch.setenv("CIVICDESK_CONFIG", str(nested))
    assert cli("init").exit_code == 0
    assert nested.exists()


def test_config_show_masks_secrets_and_passwords(
    cli: RunCli, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file().write_text('secret_key = "a-long-and-very-private-secret-value-123"\n')
    monkeypatch.setenv("CIVICDESK_DATABASE_URL", "postgres://civic:hunter2@db.internal/civic")
    monkeypatch.setenv("CIVICDESK_PSEUDONYM_KEY", "pseudonym-key-value")
    outcome = cli("config", "show")
    assert outcome.exit_code == 0
    assert "secret_key = '********'" in outcome.stdout
    assert "pseudonym_key = '********'" in outcome.stdout
    assert "encryption_key = ''" in outcome.stdout
    assert (
        "database_url = 'postgresql+psycopg://civic:********@db.internal/civic'" in outcome.stdout
    )
    for secret in ("a-long-and-very-private", "hunter2", "pseudonym-key-value"):
        assert secret not in outcome.stdout


def test_config_show_json(cli: RunCli, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIVICDESK_SECRET_KEY", "another-long-and-very-private-secret")
    monkeypatch.setenv("CIVICDESK_PORT", "8123")
    outcome = cli("config", "show", "--json")
    assert outcome.exit_code == 0
    view = json.loads(outcome.stdout)
    assert set(Settings.model_fields) <= set(view)
    assert view["port"] == 8123
    assert view["secret_key"] == "********"
    assert view["data_dir"] == str(workdir / "data")
    assert view["effective_database_url"].startswith("sqlite:///")


def test_db_upgrade_on_each_database(cli: RunCli, use_database: Settings) -> None:
    first = cli("db", "upgrade")
    assert first.exit_code == 0, first.stderr
    head = migrate.head_revision()
    assert first.stdout.strip() == f"Database at revision {head}."
    assert cli("db", "upgrade").stdout.strip() == f"Database at revision {head}."
    engine = make_engine(use_database)
    try:
        assert migrate.current_revision(engine) == head
    finally:
        engine.dispose()


def test_audit_verify_on_each_database(cli: RunCli, use_database: Settings) -> None:
    assert cli("db", "upgrade").exit_code == 0
    engine = make_engine(use_database)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            for number in range(3):
                record_event(
                    session,
                    actor="cli-test",
                    action="x.done",
                    object_type="x",
                    object_id=str(number),
                )
        intact = cli("audit", "verify")
        assert (intact.exit_code, intact.stdout.strip()) == (
            0,
            "audit chain intact: 3 events verified",
        )
        with engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                connection.execute(text("DROP TRIGGER audit_events_no_update"))
            else:
                connection.execute(text("DROP TRIGGER audit_events_append_only ON audit_events"))
            connection.execute(text("UPDATE audit_events SET object_type = 'y' WHERE seq = 2"))
    finally:
        engine.dispose()
    broken = cli("audit", "verify")
    assert broken.exit_code == 1
    assert broken.error_lines == [
        "error E300: audit chain broken at event 2: its contents were edited. "
        "Investigate before trusting the log."
    ]


@pytest.mark.parametrize("args", [(), ("config",), ("db",), ("audit",)], ids=str)
def test_groups_without_a_command_show_help(cli: RunCli, args: tuple[str, ...]) -> None:
    outcome = cli(*args)
    assert "Usage:" in outcome.stdout + outcome.stderr
    assert "Commands" in outcome.stdout + outcome.stderr


def test_serve_refuses_default_secret_in_production(
    cli: RunCli, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CIVICDESK_ENVIRONMENT", "production")
    # The secret is checked before anything else: not even the database is touched.
    monkeypatch.setenv("CIVICDESK_DATABASE_URL", "postgresql://x@127.0.0.1:1/db")
    with pytest.raises(Exception) as caught:
        cli("serve")
    assert "E101" in str(caught.value)
    assert not (workdir / "data").exists()
