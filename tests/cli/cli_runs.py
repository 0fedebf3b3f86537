"""What a run of the `civicdesk` command gives back, and how to start the installed script."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


RunCli = Callable[..., Outcome]


def console_script() -> list[str]:
    script = Path(sys.executable).parent / "civicdesk"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from civicdesk.cli.main import run; run()"]
