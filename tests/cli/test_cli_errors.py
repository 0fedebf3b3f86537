"""Bad input through the installed `civicdesk` script: one clear line, exit code 2, no traceback.

These run the console entry point in a subprocess, because that is where CivicdeskError is
turned into one line (civicdesk.cli.main:run).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_runs import Outcome, RunCli

# Each case starts the real console script (about a second and a half of imports).
pytestmark = pytest.mark.slow

UNREACHABLE = "postgresql://x@127.0.0.1:1/db"


def assert_one_line_error(outcome: Outcome, code: str, *phrases: str) -> None:
    assert outcome.exit_code == 2, outcome
    assert "Traceback" not in outcome.stderr
    assert len(outcome.error_lines) == 1, outcome.stderr
    line = outcome.error_lines[0]
    assert line.startswith(f"error {code}: "), line
    for phrase in phrases:
        assert phrase in line


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return Path(os.environ["CIVICDESK_CONFIG"])


# Settings are read the same way by every command, so each case runs through a different one.
@pytest.mark.parametrize(
    ("command", "toml", "env", "code", "phrases"),
    [
        (
            ("config", "show"),
            'secret_key = "unterminated\n',
            {},
            "E102",
            ("not valid TOML", "line 1"),
        ),
        (("db", "upgrade"), 'secert_key = "typo"\n', {}, "E103", ("secert_key", "Extra inputs")),
        (("audit", "verify"), "", {"CIVICDESK_PORT": "abc"}, "E103", ("port", "integer")),
        (
            ("init",),
            "",
            {"CIVICDESK_DEFAULT_LANGUAGE": "fr"},
            "E103",
            ("default_language", "'en' or 'cy'"),
        ),
        (("serve",), "port = 0\n", {}, "E103", ("port", "greater than or equal to 1")),
    ],
    ids=["malformed-toml", "unknown-key", "port-abc", "language-fr", "port-zero"],
)
def test_bad_settings(
    civicdesk_process: RunCli,
    config_file: Path,
    tmp_path: Path,
    command: tuple[str, ...],
    toml: str,
    env: dict[str, str],
    code: str,
    phrases: tuple[str, ...],
) -> None:
    config_file.write_text(toml)
    outcome = civicdesk_process(*command, env={**env, "CIVICDESK_DATA_DIR": str(tmp_path)})
    assert_one_line_error(outcome, code, *phrases)


@pytest.mark.parametrize("command", [("init",), ("db", "upgrade"), ("audit", "verify")])
def test_unreachable_database(
    civicdesk_process: RunCli, tmp_path: Path, command: tuple[str, ...]
) -> None:
    outcome = civicdesk_process(
        *command,
        env={"CIVICDESK_DATABASE_URL": UNREACHABLE, "CIVICDESK_DATA_DIR": str(tmp_path / "d")},
    )
    assert_one_line_error(
        outcome, "E201", "cannot reach the database at 127.0.0.1:1/db", "CIVICDESK_DATABASE_URL"
    )


def test_unusable_database_url(civicdesk_process: RunCli, tmp_path: Path) -> None:
    outcome = civicdesk_process("db", "upgrade", env={"CIVICDESK_DATABASE_URL": "db.internal"})
    assert_one_line_error(outcome, "E202", "CIVICDESK_DATABASE_URL")


def test_password_never_shown_when_the_database_is_unreachable(
    civicdesk_process: RunCli, tmp_path: Path
) -> None:
    outcome = civicdesk_process(
        "db",
        "upgrade",
        env={"CIVICDESK_DATABASE_URL": "postgresql://civic:hunter2@127.0.0.1:1/db"},
    )
    assert_one_line_error(outcome, "E201")
    assert "hunter2" not in outcome.stderr + outcome.stdout


def test_serve_in_production_with_the_default_secret(
    civicdesk_process: RunCli, tmp_path: Path
) -> None:
    outcome = civicdesk_process(
        "serve",
        env={
            "CIVICDESK_ENVIRONMENT": "production",
            "CIVICDESK_DATA_DIR": str(tmp_path / "d"),
        },
    )
    assert_one_line_error(outcome, "E101", "secret_key", "CIVICDESK_SECRET_KEY")
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize(
    ("setting", "make_path", "reason"),
    [
        ("CIVICDESK_DATA_DIR", lambda tmp: tmp / "a-file" / "data", "Not a directory"),
        ("CIVICDESK_CONFIG", lambda tmp: tmp, "Is a directory"),
    ],
    ids=["data-dir-under-a-file", "config-is-a-folder"],
)
def test_unusable_paths(
    civicdesk_process: RunCli,
    tmp_path: Path,
    setting: str,
    make_path: object,
    reason: str,
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    assert callable(make_path)
    path = make_path(tmp_path)
    outcome = civicdesk_process("db", "upgrade", env={setting: str(path)})
    assert_one_line_error(outcome, "E100", str(path), reason)


def test_unknown_command_is_a_usage_error(civicdesk_process: RunCli) -> None:
    outcome = civicdesk_process("no-such-command")
    assert outcome.exit_code == 2
    assert "Traceback" not in outcome.stderr
    assert "No such command" in outcome.stderr


def test_version_through_the_entry_point(civicdesk_process: RunCli) -> None:
    outcome = civicdesk_process("--version")
    assert outcome.exit_code == 0
    assert outcome.stdout.startswith("civicdesk ")
