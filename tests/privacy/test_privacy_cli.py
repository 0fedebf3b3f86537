"""`civicdesk redact` through the installed console script, as an operator runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def _civicdesk() -> list[str]:
    script = Path(sys.executable).parent / "civicdesk"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from civicdesk.cli.main import run; run()"]


def _run(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICDESK_")}
    env["CIVICDESK_CONFIG"] = str(tmp_path / "civicdesk.toml")
    env["CIVICDESK_DATA_DIR"] = str(tmp_path / "data")
    return subprocess.run(
        [*_civicdesk(), "redact", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_jsonl_file_with_a_malformed_line(tmp_path: Path) -> None:
    text = "My NI number is AB 12 34 56 C, call 07700 900123"
    source = tmp_path / "in.jsonl"
    source.write_text(
        json.dumps({"id": 1, "text": text})
        + "\nnot json\n"
        + json.dumps({"id": "b", "text": "no personal data here"})
        + '\n{"id": 3}\n'
    )
    result = _run(tmp_path, "--jsonl", str(source))
    assert result.returncode == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["id"] for line in lines] == [1, "b"]
    first = lines[0]
    assert first["text"] == "My NI number is <UK_NINO>, call <PHONE_NUMBER>"
    assert [(s["type"], text[s["start"] : s["end"]]) for s in first["spans"]] == [
        ("UK_NINO", "AB 12 34 56 C"),
        ("PHONE_NUMBER", "07700 900123"),
    ]
    assert all(0 < s["score"] <= 1 for s in first["spans"])
    assert lines[1] == {"id": "b", "text": "no personal data here", "spans": []}
    assert "E840: line 2 is not valid JSON" in result.stderr
    assert 'line 4 is not an object with "id" and "text"' in result.stderr
    assert "2 line(s) could not be read" in result.stderr


@pytest.mark.slow
def test_plain_lines_from_stdin(tmp_path: Path) -> None:
    result = _run(tmp_path, stdin="email me at jo@example.org\nnothing to see\n")
    assert result.returncode == 0
    assert result.stdout == "email me at <EMAIL_ADDRESS>\nnothing to see\n"
