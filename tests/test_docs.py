"""Documentation keeps up with the code: every setting and every CLI command is documented.

The commands are found by walking the Typer app after every part has registered its own, so a
command added anywhere later fails here until docs/cli.md describes it (datasette checks its
settings and plugin hooks the same way). Headings for things that no longer exist fail too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer

from civicdesk.cli.main import _register_parts, app
from civicdesk.settings import Settings

DOCS = Path(__file__).resolve().parents[1] / "docs"
HEADING = re.compile(r"^#{1,6} +`([^`]+)`\s*$", re.MULTILINE)


def sections(markdown: str) -> dict[str, str]:
    """Text under each heading whose whole title is `code`, keyed by that code."""
    found: dict[str, str] = {}
    matches = list(HEADING.finditer(markdown))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(markdown)
        found[match.group(1)] = markdown[match.end() : end]
    return found


def walk_commands(command: Any, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], Any]]:
    found = [(path, command)]
    for name, sub in sorted((getattr(command, "commands", None) or {}).items()):
        if not getattr(sub, "hidden", False):
            found.extend(walk_commands(sub, (*path, name)))
    return found


def cli_commands() -> dict[str, Any]:
    _register_parts()
    root = typer.main.get_command(app)
    return {" ".join(path): command for path, command in walk_commands(root, ("civicdesk",))}


def option_flags(command: Any) -> list[str]:
    flags: list[str] = []
    for param in command.params:
        if getattr(param, "param_type_name", "") == "option" and not param.hidden:
            flags.extend(opt for opt in param.opts if opt.startswith("--"))
    return [flag for flag in flags if flag != "--help"]


SETTINGS_DOC = sections((DOCS / "settings.md").read_text(encoding="utf-8"))
CLI_DOC = sections((DOCS / "cli.md").read_text(encoding="utf-8"))
COMMANDS = cli_commands()


@pytest.mark.parametrize("name", list(Settings.model_fields))
def test_every_setting_is_documented(name: str) -> None:
    assert name in SETTINGS_DOC, f"docs/settings.md has no '### `{name}`' section"
    section = SETTINGS_DOC[name]
    assert f"`CIVICDESK_{name.upper()}`" in section, f"{name}: environment variable not named"
    for label in ("| Type |", "| Default |"):
        assert label in section, f"{name}: no '{label}' row"
    table_end = section.rfind("|")
    assert section[table_end + 1 :].strip(), f"{name}: no description after the table"


def test_no_setting_is_documented_that_does_not_exist() -> None:
    assert set(SETTINGS_DOC) <= set(Settings.model_fields)


@pytest.mark.parametrize("path", list(COMMANDS))
def test_every_command_is_documented(path: str) -> None:
    assert path in CLI_DOC, f"docs/cli.md has no '## `{path}`' section"
    section = CLI_DOC[path]
    assert section.strip(), f"{path}: the section is empty"
    for flag in option_flags(COMMANDS[path]):
        assert flag in section, f"{path}: option {flag} is not described"


def test_no_command_is_documented_that_does_not_exist() -> None:
    documented = {name for name in CLI_DOC if name.startswith("civicdesk")}
    assert documented <= set(COMMANDS)


ADRS = [
    "0001-record-architecture-decisions",
    "0002-sqlite-default-postgresql-production",
    "0003-hash-chained-audit-trail",
    "0004-settings-toml-env",
    "0005-structured-logging-no-pii",
    "0006-import-linter-layers",
]


@pytest.mark.parametrize("name", ADRS)
def test_foundation_decisions_are_recorded(name: str) -> None:
    text = (DOCS / "adr" / f"{name}.md").read_text(encoding="utf-8")
    for heading in ("## Context", "## Decision", "## Consequences"):
        assert heading in text, f"{name}: no '{heading}'"


def test_relative_links_in_docs_resolve() -> None:
    broken = []
    for page in DOCS.rglob("*.md"):
        for target in re.findall(r"\]\(([^)#:\s]+)(?:#[^)]*)?\)", page.read_text("utf-8")):
            if not (page.parent / target).exists():
                broken.append(f"{page.relative_to(DOCS)} -> {target}")
    assert broken == []
