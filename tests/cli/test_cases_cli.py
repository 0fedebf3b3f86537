"""`civicdesk cases list|show|sync|deliver` on a real database in a working folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_runs import RunCli

from civicdesk.assistant.service import Assistant
from civicdesk.domain.inquiry import Channel
from civicdesk.settings import load_settings
from civicdesk.store.engine import make_engine

COMPLAINT = "I want to make a formal complaint about my missed bin"


def json_of(output: str) -> Any:
    """The JSON a command printed, after any log lines a first index build wrote."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line[:1] in ("{", "["))
    return json.loads("\n".join(lines[start:]))


def test_a_question_asked_on_the_command_line_opens_a_case(cli: RunCli, workdir: Path) -> None:
    asked = json_of(cli("ask", COMPLAINT, "--json").stdout)
    assert asked["outcome"] == "handed_over"
    listed = json_of(cli("cases", "list", "--json").stdout)
    assert [(c["reference"], c["queue"], c["status"]) for c in listed] == [
        (asked["reference"], "complaints", "new")
    ]
    assert json_of(cli("cases", "list", "--queue", "housing", "--json").stdout) == []
    table = cli("cases", "list").stdout
    assert asked["reference"] in table and "1 case." in table
    shown = cli("cases", "show", asked["reference"].lower()).stdout
    assert "I want to make a formal complaint" in shown and "draft (pending)" in shown
    detail = json_of(cli("cases", "show", asked["reference"], "--json").stdout)
    assert [h["action"] for h in detail["history"]] == ["opened", "draft_written"]
    assert detail["draft"].startswith("Hello,")


def test_sync_opens_missing_cases(cli: RunCli, workdir: Path) -> None:
    assert cli("db", "upgrade").exit_code == 0
    settings = load_settings()
    engine = make_engine(settings)
    try:  # an inquiry stored by an assistant with no casework hook
        reference = Assistant.from_settings(settings, engine).ask(COMPLAINT, channel=Channel.WEB)
    finally:
        engine.dispose()
    assert cli("cases", "sync").stdout.strip() == "Opened 1 missing case."
    assert cli("cases", "sync").stdout.strip() == "Opened 0 missing cases."
    listed = json_of(cli("cases", "list", "--json").stdout)
    assert [c["reference"] for c in listed] == [reference.reference]


def test_unknown_reference_is_one_line_and_exit_2(civicdesk_process: RunCli, workdir: Path) -> None:
    outcome = civicdesk_process("cases", "show", "CD-AAAA-BBBB")
    assert outcome.exit_code == 2
    assert outcome.error_lines == [
        "error E701: no case has the reference CD-AAAA-BBBB. `civicdesk cases list` shows the "
        "open ones."
    ]


def test_deliver_says_when_email_is_off_and_reports_when_on(
    cli: RunCli, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "Email is off" in cli("cases", "deliver").stdout
    monkeypatch.setenv("CIVICDESK_EMAIL_ENABLED", "true")
    outcome = cli("cases", "deliver", "--retry-failed")
    assert outcome.stdout.strip() == "Sent 0; 0 to retry later; 0 failed (shown on their cases)."
