"""`civicdesk users`: staff accounts. There is no default admin: create the first one here.

Passwords are typed twice at a hidden prompt, or read from standard input with
``--password-stdin`` (for scripts: ``printf '%s\\n' "$PASSWORD" | civicdesk users add ...``).
They are never taken as a command-line argument, where other users of the machine and the
shell history could see them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, TypeVar

import typer
from rich.table import Table

from civicdesk.casework.accounts import Accounts, StaffUser
from civicdesk.casework.passwords import PasswordPolicy, PasswordRejected
from civicdesk.casework.permissions import Role
from civicdesk.cli.common import console, err_console, fail, open_database, settings
from civicdesk.cli.main import app
from civicdesk.errors import CivicdeskError
from civicdesk.store.engine import make_sessionmaker

users_app = typer.Typer(help="Manage staff accounts.", no_args_is_help=True)
app.add_typer(users_app, name="users")

PROMPT_ATTEMPTS = 3
T = TypeVar("T")

EmailArgument = Annotated[str, typer.Argument(help="The person's work email address.")]
PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from standard input instead of prompting."
    ),
]


@contextmanager
def accounts() -> Iterator[Accounts]:
    current = settings()
    with open_database(current) as engine:
        yield Accounts(current, make_sessionmaker(engine))


def run(action: Callable[[Accounts], T]) -> T:
    """Run ``action`` on the accounts; a coded error becomes one line and exit code 2."""
    try:
        with accounts() as store:
            return action(store)
    except CivicdeskError as error:
        fail(error)


def read_password(*, from_stdin: bool, email: str, name: str) -> str:
    """The new password: from standard input, or typed twice at a hidden prompt, with the
    policy checked before asking for it again so a refused password is not typed twice."""
    if from_stdin:
        return sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    policy = PasswordPolicy()
    for _attempt in range(PROMPT_ATTEMPTS):
        password: str = typer.prompt("Password (12 characters or more)", hide_input=True)
        problem = policy.problem(password, email=email, name=name)
        if problem:
            err_console.print(f"Not accepted: {problem}", highlight=False)
            continue
        again: str = typer.prompt("Type the password again", hide_input=True)
        if again == password:
            return password
        err_console.print("The two passwords are different. Try again.", highlight=False)
    fail(
        PasswordRejected(
            f"no acceptable password after {PROMPT_ATTEMPTS} attempts.",
            hint="Use three or more random words.",
        )
    )


def describe(user: StaffUser) -> str:
    status = "active" if user.active else "disabled"
    return f"{user.name} <{user.email}>, {user.role.value}, {status} (id {user.id})"


@users_app.command("add")
def add(
    email: EmailArgument,
    name: Annotated[str, typer.Option(help="The person's name, as colleagues know them.")],
    role: Annotated[Role, typer.Option(help="What they may do (see docs/cli.md).")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Add a staff account. Run it with --role admin to create the first administrator."""
    password = read_password(from_stdin=password_stdin, email=email, name=name)
    user = run(lambda store: store.add_user(email, name, role, password))
    console.print(f"Added {describe(user)}.", highlight=False)


@users_app.command("list")
def list_users(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List staff accounts with their roles and whether they are active."""
    users = run(lambda store: store.list_users())
    if as_json:
        rows = [
            {"id": u.id, "email": u.email, "name": u.name, "role": u.role.value, "active": u.active}
            for u in users
        ]
        console.print_json(json.dumps(rows))
        return
    if not users:
        console.print(
            "There are no staff accounts. Add the first with: "
            "civicdesk users add EMAIL --name NAME --role admin",
            highlight=False,
        )
        return
    table = Table("id", "email", "name", "role", "status")
    for u in users:
        table.add_row(
            str(u.id), u.email, u.name, u.role.value, "active" if u.active else "disabled"
        )
    console.print(table)


@users_app.command("disable")
def disable(email: EmailArgument) -> None:
    """Stop an account signing in; its open sessions end at once."""
    user = run(lambda store: store.disable(email))
    console.print(f"Disabled {describe(user)}; their sessions have ended.", highlight=False)


@users_app.command("enable")
def enable(email: EmailArgument) -> None:
    """Let a disabled account sign in again."""
    user = run(lambda store: store.enable(email))
    console.print(f"Enabled {describe(user)}.", highlight=False)


@users_app.command("set-role")
def set_role(
    email: EmailArgument,
    role: Annotated[Role, typer.Argument(help="The new role.")],
) -> None:
    """Change what an account may do; it applies from their next request."""
    user = run(lambda store: store.set_role(email, role))
    console.print(f"Set the role: {describe(user)}.", highlight=False)


@users_app.command("set-password")
def set_password(email: EmailArgument, password_stdin: PasswordStdin = False) -> None:
    """Give an account a new password (when it is forgotten); its sessions end."""
    found = run(lambda store: store.account(email))
    password = read_password(from_stdin=password_stdin, email=found.email, name=found.name)
    user = run(lambda store: store.set_password(email, password))
    console.print(
        f"Set a new password for {describe(user)}; their sessions have ended.", highlight=False
    )
