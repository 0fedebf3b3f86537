"""`civicdesk ask`, `civicdesk eval` and `civicdesk demo`."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import track

from civicdesk.cli.common import connected_engine, console, open_database, settings
from civicdesk.cli.main import app
from civicdesk.domain.inquiry import Channel

if TYPE_CHECKING:
    from civicdesk.assistant.service import Assistant
from civicdesk.errors import ConfigError
from civicdesk.settings import Settings, load_settings
from civicdesk.store import migrate


@contextmanager
def _assistant(current: Settings, *, open_cases: bool = False) -> Iterator[Assistant]:
    """The assistant; with ``open_cases`` a handed-over question opens a case, as on the web
    (evaluation runs leave it off: a golden set is not citizens)."""
    from civicdesk.assistant.service import Assistant

    with open_database(current) as engine:
        migrate.upgrade(engine)
        if not open_cases:
            yield Assistant.from_settings(current, engine)
            return
        from civicdesk.casework.cases import CaseDesk

        desk = CaseDesk.from_settings(current, engine)
        assistant = Assistant.from_settings(current, engine, on_handover=[desk.on_handover])
        desk.knowledge.share(assistant.retriever)
        yield assistant


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The citizen's question.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    show_trace: Annotated[
        bool, typer.Option("--trace", help="Show every stage's verdict.")
    ] = False,
    language: Annotated[str | None, typer.Option(help="Reply language: en or cy.")] = None,
) -> None:
    """Answer a question from the guidance, or say who will."""
    from civicdesk.assistant.public import public_reply

    with _assistant(settings(), open_cases=True) as assistant:
        reply = assistant.ask(question, language=language, channel=Channel.CLI)
    if as_json:
        console.print_json(json.dumps(public_reply(reply, trace=show_trace)))
        return
    console.print(
        f"[bold]{reply.outcome.value}[/] (confidence {reply.confidence:.2f}, "
        f"reference {reply.reference})",
        highlight=False,
    )
    console.print(reply.answer, highlight=False, markup=False)
    for number, citation in enumerate(reply.citations, start=1):
        section = f" > {citation.section}" if citation.section else ""
        console.print(f"[{number}] {citation.title}{section}: {citation.url}", markup=False)
    for line in reply.help_lines:
        contact = " ".join(p for p in (line.phone, line.text, line.url) if p)
        console.print(f"- {line.name}: {contact}", markup=False)
    if show_trace:
        for record in reply.trace:
            console.print(
                f"  {record.stage:<9} {record.verdict:<14} {record.duration_ms:8.2f} ms "
                f"{json.dumps(record.detail, ensure_ascii=False)}",
                markup=False,
                highlight=False,
            )


@app.command("eval")
def evaluate(
    golden: Annotated[
        Path, typer.Argument(help="Golden set, JSON Lines.", exists=True, dir_okay=False)
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON instead of Markdown.")
    ] = False,
    compare: Annotated[
        Path | None,
        typer.Option(
            help="A second settings file (TOML) to run side by side with the current one."
        ),
    ] = None,
) -> None:
    """Run a golden set through the real pipeline and report quality and latency."""
    from civicdesk.assistant.evaluation import read_golden, run_cases, score, to_markdown

    cases = read_golden(golden)
    configurations: dict[str, Settings] = {"current": settings()}
    if compare is not None:
        if not compare.exists():
            raise ConfigError(f"comparison settings file {compare} does not exist.", code="E105")
        previous = os.environ.get("CIVICDESK_CONFIG")
        os.environ["CIVICDESK_CONFIG"] = str(compare)
        try:
            configurations[compare.stem] = load_settings()
        finally:
            if previous is None:
                os.environ.pop("CIVICDESK_CONFIG", None)
            else:
                os.environ["CIVICDESK_CONFIG"] = previous
    reports = {}
    for name, current in configurations.items():
        with _assistant(current) as assistant:
            results = run_cases(
                assistant,
                track(
                    cases,
                    description=f"{name}: {len(cases)} cases",
                    console=console,
                    disable=as_json,
                ),
            )
        reports[name] = score(results)
    if as_json:
        console.print_json(json.dumps(reports if compare else reports["current"]))
    else:
        console.print(to_markdown(reports), markup=False, highlight=False)


DEMO_SETTINGS = {
    "CIVICDESK_ORGANISATION_NAME": "Aberwen County Council",
    "CIVICDESK_SERVICE_NAME": "Ask Aberwen County Council",
    "CIVICDESK_SERVICE_NAME_CY": "Gofyn i Gyngor Sir Aberwen",
    "CIVICDESK_CONTACT_EMAIL": "digital@aberwen.gov.uk",
}


@app.command()
def demo(
    host: Annotated[str | None, typer.Option(help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port; default from settings.")] = None,
) -> None:
    """Create the database, load the sample council's guidance, and serve the site."""
    from civicdesk.cli.main import serve
    from civicdesk.knowledge import ingest_paths, sample_council_path

    defaults = Settings.model_fields
    chosen = settings()
    for name, value in DEMO_SETTINGS.items():
        field = name.removeprefix("CIVICDESK_").lower()
        if getattr(chosen, field) == defaults[field].default:  # not set by file or environment
            os.environ[name] = value
    current = settings()
    engine = connected_engine(current)
    migrate.upgrade(engine)
    try:
        report = ingest_paths(current, engine, [sample_council_path()], actor="demo")
    finally:
        engine.dispose()
    console.print(
        f"Sample guidance for {current.organisation_name}: {report.added} pages added, "
        f"{report.updated} updated, {report.unchanged} unchanged."
    )
    serve(host=host, port=port, workers=1)
