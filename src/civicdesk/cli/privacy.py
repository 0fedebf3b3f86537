"""`civicdesk redact`: remove personal data from lines of text or JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from civicdesk.cli.common import err_console, settings
from civicdesk.cli.main import app
from civicdesk.errors import CivicdeskError

if TYPE_CHECKING:
    from civicdesk.privacy import PrivacyEngine


class RedactInputError(CivicdeskError):
    """One input line could not be processed."""

    code = "E840"


def parse_record(line: str, number: int) -> tuple[Any, str]:
    """The id and text of one JSON line, or an error naming the line."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise RedactInputError(
            f"line {number} is not valid JSON ({exc.msg} at column {exc.colno}).",
            hint='Write one object per line: {"id": ..., "text": "..."}.',
        ) from None
    if not isinstance(record, dict) or "text" not in record or "id" not in record:
        raise RedactInputError(
            f'line {number} is not an object with "id" and "text".',
            hint='Write one object per line: {"id": ..., "text": "..."}.',
        )
    if not isinstance(record["text"], str):
        raise RedactInputError(
            f'line {number}: "text" is not a string.', hint="Send the text as a JSON string."
        )
    return record["id"], record["text"]


def redact_stream(
    engine: PrivacyEngine, source: TextIO, sink: TextIO, *, jsonl: bool, advance: Any = None
) -> int:
    """Redact every line of ``source`` into ``sink``; return how many lines failed."""
    failed = 0
    for number, raw in enumerate(source, start=1):
        if advance is not None:
            advance(len(raw.encode("utf-8")))
        line = raw.rstrip("\n").rstrip("\r")
        if not jsonl:
            sink.write(engine.redact(line).text + "\n")
            continue
        if not line.strip():
            continue
        try:
            record_id, text = parse_record(line, number)
        except RedactInputError as error:
            failed += 1
            err_console.print(f"[bold red]error[/] {error}", markup=True, highlight=False)
            continue
        redaction = engine.redact(text)
        out = {
            "id": record_id,
            "text": redaction.text,
            "spans": [span.as_dict() for span in redaction.spans],
        }
        sink.write(json.dumps(out, ensure_ascii=False) + "\n")
    return failed


@app.command()
def redact(
    file: Annotated[
        Path | None, typer.Argument(help="Input file; standard input when left out.")
    ] = None,
    jsonl: Annotated[
        bool,
        typer.Option(
            "--jsonl",
            help='Lines are JSON {"id", "text"}; output adds "spans" with offsets into the '
            "input text. Without it, each line is plain text and the redacted line is printed.",
        ),
    ] = False,
) -> None:
    """Remove personal data (names, addresses, NI and NHS numbers, ...) from text."""
    from civicdesk.privacy import PrivacyEngine

    engine = PrivacyEngine.from_settings(settings())
    if file is None:
        failed = redact_stream(engine, sys.stdin, sys.stdout, jsonl=jsonl)
    else:
        size = file.stat().st_size
        with (
            file.open(encoding="utf-8") as source,
            Progress(
                TextColumn("Redacting {task.description}"),
                BarColumn(),
                DownloadColumn(),
                TimeRemainingColumn(),
                console=err_console,
                transient=True,
            ) as bar,
        ):
            task = bar.add_task(file.name, total=size)
            failed = redact_stream(
                engine,
                source,
                sys.stdout,
                jsonl=jsonl,
                advance=lambda n: bar.advance(task, n),
            )
    sys.stdout.flush()
    if failed:
        err_console.print(f"{failed} line(s) could not be read; the others were redacted.")
        raise typer.Exit(1)
