"""`civicdesk`: the root command. Each part adds its commands in its own module."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Annotated

import typer

from civicdesk import __version__
from civicdesk.cli.common import console, fail, open_database, settings
from civicdesk.errors import AuditChainBroken, CivicdeskError, ConfigError
from civicdesk.settings import config_path
from civicdesk.store import migrate
from civicdesk.store.audit import Anchor, check_anchors, read_head
from civicdesk.store.engine import make_sessionmaker

app = typer.Typer(
    name="civicdesk",
    help="Safe, private, auditable AI for citizen services.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
config_app = typer.Typer(help="Inspect settings.", no_args_is_help=True)
db_app = typer.Typer(help="Manage the database schema.", no_args_is_help=True)
audit_app = typer.Typer(help="Check the audit trail.", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")


def _version(value: bool) -> None:
    if value:
        console.print(f"civicdesk {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """civicdesk: answer citizens from official guidance, hand the rest to people."""


@app.command()
def init(
    force: Annotated[bool, typer.Option(help="Overwrite an existing settings file.")] = False,
) -> None:
    """Create the data folder, a settings file with a fresh secret, and the database."""
    path = config_path()
    if path.exists() and not force:
        console.print(f"Keeping the existing settings file {path}.")
    else:
        secret = secrets.token_urlsafe(48)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Created 0600 from the start, so the secret is never readable by others, even briefly.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(
                "# civicdesk settings; every setting is described in docs/settings.md\n"
                f'secret_key = "{secret}"\n'
            )
        path.chmod(0o600)
        console.print(f"Wrote {path} with a new secret key.")
    current = settings()
    current.data_dir.mkdir(parents=True, exist_ok=True)
    with open_database(current) as engine:
        revision = migrate.upgrade(engine)
    console.print(f"Database ready at revision {revision}; data folder {current.data_dir}.")


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to bind; default from settings.")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port; default from settings.")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    """Serve the web application (several workers share one loaded index)."""
    from civicdesk.web.server import serve as run_server

    current = settings()
    current.check_safe_to_run()
    with open_database(current) as engine:
        migrate.upgrade(engine)
    bind_host = host or current.host
    bind_port = port or current.port
    console.print(f"civicdesk is serving at http://{bind_host}:{bind_port}/")
    run_server(current, host=bind_host, port=bind_port, workers=workers)


@config_app.command("show")
def config_show(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the effective settings, with secrets masked."""
    view = settings().public_view()
    if as_json:
        console.print_json(json.dumps(view, default=str))
        return
    for key, value in view.items():
        console.print(f"{key} = {value!r}", highlight=False, soft_wrap=True)


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply database migrations."""
    current = settings()
    with open_database(current) as engine:
        now = migrate.upgrade(engine, revision)
    console.print(f"Database at revision {now}.")


def _parse_anchor(text: str) -> Anchor:
    try:
        return Anchor.parse(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@audit_app.command("verify")
def audit_verify(
    anchors: Annotated[
        list[Anchor] | None,
        typer.Option(
            "--anchor",
            parser=_parse_anchor,
            metavar="SEQ:HASH",
            help="An event recorded earlier by `civicdesk audit head`; repeatable.",
        ),
    ] = None,
) -> None:
    """Exit 0 when the audit chain is intact; exit 1 naming the first broken event."""
    current = settings()
    with open_database(current) as engine, make_sessionmaker(engine)() as session:
        report = check_anchors(session, anchors or [])
    if not report.ok:
        fail(
            AuditChainBroken(report.describe() + ".", hint="Investigate before trusting the log."),
            1,
        )
    console.print(report.describe())


@audit_app.command("head")
def audit_head(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Print the last event as SEQ:HASH, to keep outside the database as an anchor."""
    current = settings()
    with open_database(current) as engine, make_sessionmaker(engine)() as session:
        head = read_head(session)
    if as_json:
        view = {"seq": head.seq, "hash": head.hash, "anchor": str(head)} if head else None
        console.print_json(json.dumps(view))
    elif head is None:
        console.print("The audit trail is empty: there is no head to anchor yet.")
    else:
        console.print(str(head), highlight=False)


def _register_parts() -> None:
    """Commands other parts add live in their own modules under civicdesk.cli."""
    for module in (
        "civicdesk.cli.knowledge",
        "civicdesk.cli.assistant",
        "civicdesk.cli.privacy",
        "civicdesk.cli.users",
        "civicdesk.cli.cases",
        "civicdesk.cli.guardrails",
    ):
        try:
            __import__(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def run() -> None:
    """Console entry point: every CivicdeskError becomes one line and exit code 2."""
    _register_parts()
    try:
        app()
    except CivicdeskError as error:
        fail(error)
    except OSError as error:
        # A folder or file named in settings that cannot be used (missing, a directory,
        # not writable): one line naming it, not a traceback.
        where = Path(error.filename) if error.filename else "a file"
        fail(
            ConfigError(
                f"cannot use {where} ({error.strerror or error}).",
                hint="Check the paths in the settings file and CIVICDESK_* variables, "
                "and their permissions.",
            )
        )


_register_parts()
