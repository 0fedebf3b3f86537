"""`civicdesk users`: add (hidden prompt or stdin), list, disable, enable, set-role, password."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from cli_runs import Outcome
from sqlalchemy import select
from typer.testing import CliRunner

import civicdesk.cli.users  # noqa: F401  (registers `civicdesk users`)
from civicdesk.casework.accounts import Accounts
from civicdesk.cli.main import app
from civicdesk.settings import Settings
from civicdesk.store import migrate
from civicdesk.store.audit import AuditEvent
from civicdesk.store.engine import make_engine, make_sessionmaker

GOOD = "harbour lantern copper fig"
RunUsers = Callable[..., Outcome]


@pytest.fixture
def users(use_database: Settings) -> RunUsers:
    """Run ``civicdesk users ...`` on a migrated database, with text typed at the prompts."""
    engine = make_engine(use_database)
    migrate.upgrade(engine)
    engine.dispose()

    def run(*args: str, typed: str = "") -> Outcome:
        result = CliRunner().invoke(app, ["users", *args], input=typed)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return Outcome(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def accounts(use_database: Settings) -> Iterator[Accounts]:
    """The same database, seen through the library, to check what the commands did."""
    engine = make_engine(use_database)
    yield Accounts(use_database, make_sessionmaker(engine))
    engine.dispose()


def test_there_is_no_default_admin(users: RunUsers) -> None:
    outcome = users("list")
    assert outcome.exit_code == 0
    assert "There are no staff accounts" in outcome.stdout
    assert "civicdesk users add EMAIL --name NAME --role admin" in outcome.stdout


def test_add_asks_twice_and_explains_a_refused_password(
    users: RunUsers, accounts: Accounts
) -> None:
    typed = "\n".join(["password2024!", GOOD, "harbour lantern copper fog", GOOD, GOOD]) + "\n"
    outcome = users(
        "add", "Admin@Example.gov.uk", "--name", "Ada Admin", "--role", "admin", typed=typed
    )
    assert outcome.exit_code == 0, outcome.stderr
    assert "Not accepted: the password is one that many people use" in outcome.stderr
    assert "The two passwords are different" in outcome.stderr
    assert "Added Ada Admin <admin@example.gov.uk>, admin, active (id 1)." in outcome.stdout
    assert GOOD not in outcome.stdout + outcome.stderr  # the prompt never echoes it
    found = accounts.authenticate("admin@example.gov.uk", GOOD, client="cli")
    assert found.name == "Ada Admin"


def test_add_gives_up_after_three_refused_passwords(users: RunUsers) -> None:
    typed = "short\npassword1234\nqwertyuiop12\n"
    outcome = users("add", "a@example.gov.uk", "--name", "A", "--role", "admin", typed=typed)
    assert outcome.exit_code == 2
    assert "E901: no acceptable password after 3 attempts." in outcome.stderr
    assert users("list", "--json").stdout.strip() == "[]"


def test_add_reads_the_password_from_stdin_for_scripts(users: RunUsers) -> None:
    outcome = users(
        "add",
        "cw@example.gov.uk",
        "--name",
        "Cas Worker",
        "--role",
        "caseworker",
        "--password-stdin",
        typed=GOOD + "\n",
    )
    assert outcome.exit_code == 0, outcome.stderr
    refused = users(
        "add",
        "cw2@example.gov.uk",
        "--name",
        "Other",
        "--role",
        "caseworker",
        "--password-stdin",
        typed="password1234\n",
    )
    assert refused.exit_code == 2
    assert refused.error_lines == [
        "error E901: the password is one that many people use, so attackers try it first. "
        "Use three or more random words, for example a phrase only you would think of."
    ]


def test_a_password_cannot_be_given_as_an_argument(users: RunUsers) -> None:
    outcome = users("add", "x@example.gov.uk", "--name", "X", "--role", "admin", "--password", GOOD)
    assert outcome.exit_code == 2
    assert "No such option" in outcome.stderr


def test_list_disable_enable_and_set_role(users: RunUsers, accounts: Accounts) -> None:
    for email, role in (("b@example.gov.uk", "analyst"), ("a@example.gov.uk", "supervisor")):
        added = users(
            "add",
            email,
            "--name",
            email[0].upper(),
            "--role",
            role,
            "--password-stdin",
            typed=GOOD + "\n",
        )
        assert added.exit_code == 0, added.stderr
    listed = json.loads(users("list", "--json").stdout)
    assert [(row["email"], row["role"], row["active"]) for row in listed] == [
        ("a@example.gov.uk", "supervisor", True),
        ("b@example.gov.uk", "analyst", True),
    ]
    table = users("list").stdout
    assert "a@example.gov.uk" in table and "supervisor" in table

    token = accounts.start_session(accounts.authenticate("a@example.gov.uk", GOOD, client="t"))
    disabled = users("disable", "A@example.gov.uk")
    assert disabled.exit_code == 0
    assert "their sessions have ended" in disabled.stdout
    assert accounts.user_for_session(token) is None
    assert json.loads(users("list", "--json").stdout)[0]["active"] is False
    assert users("enable", "a@example.gov.uk").exit_code == 0

    changed = users("set-role", "b@example.gov.uk", "auditor")
    assert changed.exit_code == 0
    assert "auditor" in changed.stdout
    wrong_role = users("set-role", "b@example.gov.uk", "overlord")
    assert wrong_role.exit_code == 2
    assert "overlord" in wrong_role.stderr


def test_set_password_replaces_it_and_ends_sessions(users: RunUsers, accounts: Accounts) -> None:
    users(
        "add",
        "a@example.gov.uk",
        "--name",
        "A",
        "--role",
        "admin",
        "--password-stdin",
        typed=GOOD + "\n",
    )
    token = accounts.start_session(accounts.authenticate("a@example.gov.uk", GOOD, client="t"))
    new = "quiet meadow under rain"
    outcome = users("set-password", "a@example.gov.uk", typed=f"{new}\n{new}\n")
    assert outcome.exit_code == 0, outcome.stderr
    assert accounts.user_for_session(token) is None
    assert accounts.authenticate("a@example.gov.uk", new, client="t").email == "a@example.gov.uk"


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("disable", "ghost@example.gov.uk"), "error E906: there is no account with that email"),
        (("set-password", "ghost@example.gov.uk"), "error E906: there is no account"),
        (("set-role", "ghost@example.gov.uk", "admin"), "error E906: there is no account"),
    ],
)
def test_unknown_accounts_are_one_clear_line(
    users: RunUsers, args: tuple[str, ...], line: str
) -> None:
    outcome = users(*args)
    assert outcome.exit_code == 2
    assert len(outcome.error_lines) == 1 and outcome.error_lines[0].startswith(line)


def test_a_duplicate_account_is_refused(users: RunUsers) -> None:
    args = ("add", "a@example.gov.uk", "--name", "A", "--role", "admin", "--password-stdin")
    assert users(*args, typed=GOOD + "\n").exit_code == 0
    again = users(*args, typed=GOOD + "\n")
    assert again.exit_code == 2
    assert "E905: there is already an account with that email address." in again.stderr


def test_every_change_is_audited_without_the_email(users: RunUsers, accounts: Accounts) -> None:
    users(
        "add",
        "a@example.gov.uk",
        "--name",
        "A",
        "--role",
        "admin",
        "--password-stdin",
        typed=GOOD + "\n",
    )
    users("set-role", "a@example.gov.uk", "caseworker")
    users("disable", "a@example.gov.uk")
    with accounts.sessions() as session:
        events = list(session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars())
    assert [(e.actor, e.action, e.object_id) for e in events] == [
        ("cli", "staff.user.added", "1"),
        ("cli", "staff.user.role_changed", "1"),
        ("cli", "staff.user.disabled", "1"),
    ]
    assert all("example.gov.uk" not in e.payload for e in events)
