"""`civicdesk ingest`: load guidance files into the knowledge base."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from civicdesk.cli.common import connected_engine, console, err_console, settings
from civicdesk.cli.main import app
from civicdesk.errors import ConfigError
from civicdesk.store import migrate

if TYPE_CHECKING:
    from civicdesk.knowledge import IngestReport


@app.command()
def ingest(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders: GOV.UK JSON, HTML, Markdown, PDF, DOCX."),
    ] = None,
    sample: Annotated[
        bool, typer.Option("--sample", help="Also load the bundled sample council guidance.")
    ] = False,
) -> None:
    """Add or update guidance pages; unchanged pages are skipped, bad files reported."""
    from civicdesk.knowledge import ingest_paths, sample_council_path

    sources = list(paths or [])
    if sample:
        sources.append(sample_council_path())
    if not sources:
        raise ConfigError(
            "nothing to ingest.", hint="Name files or folders, or pass --sample.", code="E602"
        )
    current = settings()
    engine = connected_engine(current)
    try:
        migrate.upgrade(engine)
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        ) as bar:
            task = bar.add_task("Ingesting", total=None)

            def advance(path: Path, done: int, total: int) -> None:
                bar.update(task, total=total, completed=done, description=f"Ingesting {path.name}")

            def embedding(done: int, total: int) -> None:
                bar.update(task, total=total, completed=done, description="Embedding chunks")

            report = ingest_paths(
                current,
                engine,
                sources,
                progress=advance,
                actor="cli",
                embedding_progress=embedding,
            )
    finally:
        engine.dispose()
    _print_report(report)


def _print_report(report: IngestReport) -> None:
    for skipped in report.skipped:
        err_console.print(f"[bold yellow]skipped[/] {skipped.describe()}", highlight=False)
    console.print(
        f"{report.files} files: {report.added} pages added, {report.updated} updated, "
        f"{report.unchanged} unchanged, {len(report.skipped)} files skipped; "
        f"{report.chunks} chunks written in {report.seconds:.1f} s "
        f"(knowledge version {report.knowledge_version}).",
        highlight=False,
    )
