"""`civicdesk`: the root command. Each part adds its commands in its own module."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Annotated

import typer

from civicdesk import __version__
from civicdesk.cli.common import connected_engine, console, fail, settings
from civicdesk.errors import AuditChainBroken, CivicdeskError, ConfigError
from civicdesk.settings import config_path
from civicdesk.store import migrate
from civicdesk.store.audit import verify_chain
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
        path.write_text(
            "# civicdesk settings; every setting is described in docs/settings.md\n"
            f'secret_key = "{secret}"\n'
        )
        path.chmod(0o600)
        console.print(f"Wrote {path} with a new secret key.")
    current = settings()
    current.data_dir.mkdir(parents=True, exist_ok=True)
    engine = connected_engine(current)
    revision = migrate.upgrade(engine)
    console.print(f"Database ready at revision {revision}; data folder {current.data_dir}.")


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to bind; default from settings.")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port; default from settings.")] = None,
) -> None:
    """Serve the web application."""
    import uvicorn

    current = settings()
    current.check_safe_to_run()
    engine = connected_engine(current)
    migrate.upgrade(engine)
    bind_host = host or current.host
    bind_port = port or current.port
    console.print(f"civicdesk is serving at http://{bind_host}:{bind_port}/")
    uvicorn.run(
        "civicdesk.web.app:create_app",
        factory=True,
        host=bind_host,
        port=bind_port,
        log_config=None,
        proxy_headers=True,
    )


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
    engine = connected_engine(current)
    now = migrate.upgrade(engine, revision)
    console.print(f"Database at revision {now}.")


@audit_app.command("verify")
def audit_verify() -> None:
    """Exit 0 when the audit chain is intact; exit 1 naming the first broken event."""
    current = settings()
    engine = connected_engine(current)
    with make_sessionmaker(engine)() as session:
        report = verify_chain(session)
    if not report.ok:
        fail(
            AuditChainBroken(report.describe() + ".", hint="Investigate before trusting the log."),
            1,
        )
    console.print(report.describe())


def _register_parts() -> None:
    """Commands other parts add live in their own modules under civicdesk.cli."""
    for module in ("civicdesk.cli.knowledge", "civicdesk.cli.assistant", "civicdesk.cli.privacy"):
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
    except FileNotFoundError as error:
        fail(ConfigError(f"file not found: {Path(error.filename or '')}.", hint="Check the path."))


_register_parts()
