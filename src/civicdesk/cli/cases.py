"""`civicdesk cases`: look at cases, open missing ones, and send reply emails that are due.

`civicdesk cases deliver` is the retry loop for reply emails: run it from cron (or a systemd
timer) every minute when email is on. It sends only what is due, so running it often is cheap.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.table import Table

from civicdesk.casework.cases import CaseDesk, CaseNotFound, CaseStatus
from civicdesk.cli.common import console, open_database, settings
from civicdesk.cli.main import app
from civicdesk.store import migrate

cases_app = typer.Typer(
    help="Cases handed to people: list, show, sync, deliver.", no_args_is_help=True
)
app.add_typer(cases_app, name="cases")

AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@contextmanager
def _desk() -> Iterator[CaseDesk]:
    current = settings()
    with open_database(current) as engine:
        migrate.upgrade(engine)
        yield CaseDesk.from_settings(current, engine)


def _when(moment: Any) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else ""


@cases_app.command("list")
def list_cases(
    queue: Annotated[str | None, typer.Option(help="Only this queue (its key).")] = None,
    status: Annotated[
        CaseStatus | None, typer.Option(help="Only this status; default: open cases.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """List cases, most urgent first (crisis, vulnerable, normal; then by due time)."""
    with _desk() as desk:
        found = desk.list_cases(queue=queue, status=status)
    if as_json:
        console.print_json(
            json.dumps(
                [
                    {
                        "reference": c.reference,
                        "queue": c.queue,
                        "priority": c.priority.name.lower(),
                        "status": c.status.value,
                        "assignee": c.assignee,
                        "due_at": c.due_at.isoformat(),
                        "breached": c.breached,
                        "summary": c.summary,
                    }
                    for c in found
                ]
            )
        )
        return
    table = Table()
    table.add_column("reference", no_wrap=True)  # copied into `cases show`: never broken
    for heading in ("queue", "priority", "status", "held by", "due (UTC)", "summary"):
        table.add_column(heading)
    for c in found:
        late = " [bold red]late[/]" if c.breached else ""
        table.add_row(
            c.reference,
            c.queue,
            c.priority.name.lower(),
            c.status.value,
            c.assignee or "",
            _when(c.due_at) + late,
            c.summary,
        )
    console.print(table)
    console.print(f"{len(found)} case{'s' if len(found) != 1 else ''}.")


@cases_app.command("show")
def show(
    reference: Annotated[str, typer.Argument(help="The case's reference, like CD-ABCD-2345.")],
    as_json: AsJson = False,
) -> None:
    """Show one case: its status, conversation, draft, replies and history."""
    with _desk() as desk:
        case = desk.find(reference)
    if case is None:
        raise CaseNotFound(
            f"no case has the reference {reference.strip().upper()}.",
            hint="`civicdesk cases list` shows the open ones.",
        )
    if as_json:
        console.print_json(
            json.dumps(
                {
                    "reference": case.reference,
                    "queue": case.queue,
                    "priority": case.priority.name.lower(),
                    "status": case.status.value,
                    "assignee": case.assignee,
                    "due_at": case.due_at.isoformat(),
                    "breached": case.breached,
                    "conversation": [
                        {"sender": m.sender, "text": m.text, "at": m.at.isoformat()}
                        for m in case.conversation
                    ],
                    "draft": case.draft.text if case.draft else None,
                    "draft_state": case.draft.state if case.draft else None,
                    "replies": [
                        {"text": r.text, "at": r.at.isoformat(), "delivery": r.delivery}
                        for r in case.replies
                    ],
                    "history": [
                        {"at": h.at.isoformat(), "actor": h.actor, "action": h.action}
                        for h in case.history
                    ],
                }
            )
        )
        return
    console.print(
        f"[bold]{case.reference}[/] {case.queue_title} · {case.priority.name.lower()} · "
        f"{case.status.value} · held by {case.assignee or 'nobody'} · due {_when(case.due_at)} "
        f"UTC{' (late)' if case.breached else ''}",
        highlight=False,
    )
    for message in case.conversation:
        console.print(f"\n[bold]{message.sender}[/] {_when(message.at)}", highlight=False)
        console.print(message.text, markup=False, highlight=False)
    if case.draft is not None:
        console.print(f"\n[bold]draft[/] ({case.draft.state})", highlight=False)
        console.print(case.draft.text, markup=False, highlight=False)
    for reply in case.replies:
        console.print(f"\n[bold]reply[/] {_when(reply.at)}: {reply.delivery}", highlight=False)
    console.print("\n[bold]history[/]")
    for entry in case.history:
        console.print(
            f"  {_when(entry.at)} {entry.actor}: {entry.action} {entry.detail}",
            markup=False,
            highlight=False,
        )


@cases_app.command("sync")
def sync() -> None:
    """Open a case for every handed-over inquiry that has none (safe to run any time)."""
    with _desk() as desk:
        opened = desk.sync()
    console.print(f"Opened {opened} missing case{'s' if opened != 1 else ''}.")


@cases_app.command("deliver")
def deliver(
    retry_failed: Annotated[
        bool,
        typer.Option(
            "--retry-failed", help="Also give emails that failed for good a fresh set of tries."
        ),
    ] = False,
) -> None:
    """Send reply emails that are due, retrying failed ones with backoff."""
    current = settings()
    if not current.email_enabled:
        console.print("Email is off (email_enabled = false): replies are on citizens' pages only.")
        return
    with _desk() as desk:
        report = desk.deliver(retry_failed=retry_failed)
    console.print(
        f"Sent {report.sent}; {report.retrying} to retry later; {report.failed} failed "
        "(shown on their cases)."
    )
