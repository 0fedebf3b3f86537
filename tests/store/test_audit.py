"""The audit trail on SQLite and PostgreSQL: appends verify, every kind of tampering is caught.

Tampering is done the way an attacker with the owner's rights would: drop the append-only
trigger, change rows with plain SQL, then run `civicdesk audit verify` and check that it exits 1
naming the first bad event.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any, cast

import pytest
from sqlalchemy import Connection, Engine, Table, delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from civicdesk.cli.main import app
from civicdesk.settings import Settings
from civicdesk.store import audit
from civicdesk.store.audit import (
    GENESIS_HASH,
    Anchor,
    AuditEvent,
    AuditHead,
    event_hash,
    record_event,
    verify_chain,
)
from civicdesk.store.engine import make_sessionmaker, session_scope

EVENT_COLUMNS = (
    "seq",
    "occurred_at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "payload",
    "prev_hash",
    "hash",
)

VerifyCli = Callable[..., tuple[int, str]]
EVENTS = cast(Table, AuditEvent.__table__)


def append_events(engine: Engine, count: int) -> None:
    factory = make_sessionmaker(engine)
    for number in range(1, count + 1):
        with session_scope(factory) as session:
            record_event(
                session,
                actor=f"caseworker-{number}",
                action="inquiry.answered",
                object_type="inquiry",
                object_id=f"INQ-{number:04d}",
                payload={"outcome": "answered", "number": number},
            )


def drop_append_only_trigger(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.execute(text("DROP TRIGGER audit_events_no_update"))
        connection.execute(text("DROP TRIGGER audit_events_no_delete"))
    else:
        connection.execute(text("DROP TRIGGER audit_events_append_only ON audit_events"))


def row_by_seq(connection: Connection, seq: int) -> dict[str, Any]:
    row = connection.execute(select(EVENTS).where(AuditEvent.seq == seq)).one()
    return dict(row._mapping)


def forged_event(seq: int, prev_hash: str) -> dict[str, Any]:
    """An event an attacker makes up, with its own hash correctly computed."""
    fields: dict[str, Any] = {
        "seq": seq,
        "occurred_at": "2026-01-01T00:00:00.000000+00:00",
        "actor": "intruder",
        "action": "inquiry.deleted",
        "object_type": "inquiry",
        "object_id": "INQ-9999",
        "payload": "{}",
        "prev_hash": prev_hash,
    }
    fields["hash"] = event_hash(**fields)
    return fields


def reinsert(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert deleted rows again after everything else (new ids, same contents)."""
    for row in rows:
        connection.execute(insert(EVENTS).values({k: row[k] for k in EVENT_COLUMNS}))


# Each tamper works on five chained events (seq 1..5) with the trigger already dropped.


def edit_payload(connection: Connection) -> None:
    connection.execute(
        update(EVENTS).where(AuditEvent.seq == 3).values(payload='{"number":3,"outcome":"refused"}')
    )


def edit_actor(connection: Connection) -> None:
    connection.execute(update(EVENTS).where(AuditEvent.seq == 2).values(actor="supervisor-9"))


def edit_timestamp(connection: Connection) -> None:
    connection.execute(
        update(EVENTS)
        .where(AuditEvent.seq == 4)
        .values(occurred_at="2020-01-01T00:00:00.000000+00:00")
    )


def delete_middle(connection: Connection) -> None:
    connection.execute(delete(EVENTS).where(AuditEvent.seq == 3))


def delete_tail(connection: Connection) -> None:
    connection.execute(delete(EVENTS).where(AuditEvent.seq >= 4))


def insert_forged_middle_renumbered(connection: Connection) -> None:
    """A forged event 3; the real events 3..5 move down one number, their hashes untouched."""
    tail = [row_by_seq(connection, seq) for seq in (3, 4, 5)]
    for row in tail:
        connection.execute(delete(EVENTS).where(AuditEvent.id == row["id"]))
    previous = row_by_seq(connection, 2)
    connection.execute(insert(EVENTS).values(forged_event(3, previous["hash"])))
    for row in tail:
        row["seq"] += 1
    reinsert(connection, tail)


def insert_forged_middle_fresh_number(connection: Connection) -> None:
    """A forged event placed after event 2, with an unused number so no constraint objects."""
    tail = [row_by_seq(connection, seq) for seq in (3, 4, 5)]
    for row in tail:
        connection.execute(delete(EVENTS).where(AuditEvent.id == row["id"]))
    previous = row_by_seq(connection, 2)
    connection.execute(insert(EVENTS).values(forged_event(6, previous["hash"])))
    reinsert(connection, tail)


def append_without_head(connection: Connection) -> None:
    last = row_by_seq(connection, 5)
    connection.execute(insert(EVENTS).values(forged_event(6, last["hash"])))


def swap_rows(connection: Connection) -> None:
    """Rows 2 and 4 exchange their whole contents (each still hashes correctly)."""
    second, fourth = row_by_seq(connection, 2), row_by_seq(connection, 4)
    table = EVENTS
    connection.execute(update(table).where(table.c.id == second["id"]).values(seq=-2))
    connection.execute(
        update(table)
        .where(table.c.id == fourth["id"])
        .values({k: second[k] for k in EVENT_COLUMNS})
    )
    connection.execute(
        update(table)
        .where(table.c.id == second["id"])
        .values({k: fourth[k] for k in EVENT_COLUMNS})
    )


TAMPERING: list[tuple[str, Callable[[Connection], None], int, str]] = [
    ("edited payload", edit_payload, 3, "edited"),
    ("edited actor", edit_actor, 2, "edited"),
    ("edited timestamp", edit_timestamp, 4, "edited"),
    ("deleted in the middle", delete_middle, 4, "event 3 before it was deleted"),
    ("deleted tail", delete_tail, 4, "deleted"),
    ("forged in the middle, later renumbered", insert_forged_middle_renumbered, 3, "inserted"),
    ("forged in the middle, fresh number", insert_forged_middle_fresh_number, 6, "inserted"),
    ("appended without updating the head", append_without_head, 6, "inserted"),
    ("two rows swapped", swap_rows, 4, "reordered"),
]


@pytest.fixture
def verify_cli(
    migrated_engine: Engine, db_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> VerifyCli:
    """Run `civicdesk audit verify` (or another audit command) against the test database.

    Returns the exit code and the output with runs of whitespace made single spaces.
    """
    monkeypatch.setenv("CIVICDESK_DATA_DIR", str(db_settings.data_dir))
    if db_settings.database_url:
        monkeypatch.setenv("CIVICDESK_DATABASE_URL", db_settings.database_url)

    def run(*args: str, command: str = "verify") -> tuple[int, str]:
        result = CliRunner().invoke(app, ["audit", command, *args])
        assert result.exception is None or isinstance(result.exception, SystemExit)
        return result.exit_code, " ".join(result.output.split())

    return run


def test_empty_chain_verifies(migrated_engine: Engine, verify_cli: VerifyCli) -> None:
    assert verify_cli() == (0, "audit chain intact: 0 events verified")


def test_appended_events_chain_and_verify(migrated_engine: Engine, verify_cli: VerifyCli) -> None:
    append_events(migrated_engine, 5)
    with migrated_engine.connect() as connection:
        rows = [row_by_seq(connection, seq) for seq in range(1, 6)]
        head = connection.execute(select(AuditHead.__table__)).one()
    assert [row["prev_hash"] for row in rows] == [GENESIS_HASH] + [r["hash"] for r in rows[:-1]]
    assert (head.seq, head.hash) == (5, rows[-1]["hash"])
    assert rows[0]["payload"] == '{"number":1,"outcome":"answered"}'
    assert verify_cli() == (0, "audit chain intact: 5 events verified")


@pytest.mark.parametrize(
    ("tamper", "named_seq", "phrase"),
    [pytest.param(t, s, p, id=name) for name, t, s, p in TAMPERING],
)
def test_tampering_is_caught_and_first_bad_event_named(
    migrated_engine: Engine,
    verify_cli: VerifyCli,
    tamper: Callable[[Connection], None],
    named_seq: int,
    phrase: str,
) -> None:
    append_events(migrated_engine, 5)
    with migrated_engine.begin() as connection:
        drop_append_only_trigger(connection)
        tamper(connection)
    exit_code, output = verify_cli()
    assert exit_code == 1, output
    assert f"E300: audit chain broken at event {named_seq}:" in output
    assert phrase in output
    assert "Traceback" not in output


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET actor = 'intruder' WHERE seq = 1",
        "DELETE FROM audit_events WHERE seq = 1",
    ],
    ids=["update", "delete"],
)
def test_trigger_refuses_update_and_delete(migrated_engine: Engine, statement: str) -> None:
    append_events(migrated_engine, 2)
    with pytest.raises(DBAPIError, match="append-only"):
        with migrated_engine.begin() as connection:
            connection.execute(text(statement))
    with migrated_engine.connect() as connection:
        assert row_by_seq(connection, 1)["actor"] == "caseworker-1"


@pytest.mark.postgres
@pytest.mark.parametrize("db_settings", ["postgresql"], indirect=True)
def test_postgres_refuses_truncate(migrated_engine: Engine) -> None:
    append_events(migrated_engine, 1)
    with pytest.raises(DBAPIError, match="append-only"):
        with migrated_engine.begin() as connection:
            connection.execute(text("TRUNCATE audit_events"))


@pytest.fixture
def app_role(migrated_engine: Engine) -> Iterator[str]:
    """A non-owner role granted only SELECT and INSERT on the audit events, dropped afterwards."""
    role = f"civicdesk_app_{uuid.uuid4().hex[:10]}"
    with migrated_engine.begin() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        connection.execute(text(f'CREATE ROLE "{role}" NOLOGIN'))
        connection.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"'))
        connection.execute(text(f'GRANT SELECT, INSERT ON audit_events TO "{role}"'))
    yield role
    with migrated_engine.begin() as connection:
        connection.execute(text(f'DROP OWNED BY "{role}"'))
        connection.execute(text(f'DROP ROLE "{role}"'))


@pytest.mark.postgres
@pytest.mark.parametrize("db_settings", ["postgresql"], indirect=True)
@pytest.mark.parametrize("without_trigger", [False, True], ids=["with-trigger", "trigger-dropped"])
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET actor = 'intruder'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ],
    ids=["update", "delete", "truncate"],
)
def test_postgres_app_role_cannot_change_events(
    migrated_engine: Engine, app_role: str, statement: str, without_trigger: bool
) -> None:
    append_events(migrated_engine, 2)
    with migrated_engine.connect() as connection:
        if without_trigger:
            drop_append_only_trigger(connection)
            connection.commit()
        connection.execute(text(f'SET ROLE "{app_role}"'))
        try:
            assert connection.execute(text("SELECT count(*) FROM audit_events")).scalar() == 2
            with pytest.raises(DBAPIError, match="permission denied"):
                connection.execute(text(statement))
            connection.rollback()
        finally:
            connection.execute(text("RESET ROLE"))
            connection.commit()
    with migrated_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM audit_events")).scalar() == 2


def test_concurrent_appends_keep_one_chain(migrated_engine: Engine) -> None:
    factory = make_sessionmaker(migrated_engine)
    threads_count, per_thread = 6, 15
    errors: list[BaseException] = []
    start = threading.Barrier(threads_count)

    def writer(worker: int) -> None:
        try:
            start.wait()
            for number in range(per_thread):
                with session_scope(factory) as session:
                    record_event(
                        session,
                        actor=f"worker-{worker}",
                        action="test.append",
                        object_type="thread",
                        object_id=str(worker),
                        payload={"n": number},
                    )
        except BaseException as exc:  # noqa: B036 - reported to the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with factory() as session:
        report = verify_chain(session)
        seqs = session.execute(select(AuditEvent.seq).order_by(AuditEvent.id)).scalars().all()
    assert report.ok, report.describe()
    assert report.events == threads_count * per_thread
    assert seqs == list(range(1, threads_count * per_thread + 1))


def test_payload_scrubbers_run_before_hashing(
    migrated_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit, "_scrubbers", [])

    def drop_email(payload: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in payload.items() if k != "email"}

    audit.register_payload_scrubber(drop_email)
    audit.register_payload_scrubber(drop_email)  # registering twice applies it once
    assert audit._scrubbers == [drop_email]
    with session_scope(make_sessionmaker(migrated_engine)) as session:
        event = record_event(
            session,
            actor="system",
            action="inquiry.received",
            object_type="inquiry",
            object_id=42,  # type: ignore[arg-type]  # ids arrive as ints from some callers
            payload={"email": "jo@example.com", "channel": "web"},
        )
    assert event.payload == '{"channel":"web"}'
    assert event.object_id == "42"
    with make_sessionmaker(migrated_engine)() as session:
        assert verify_chain(session).ok


@pytest.mark.parametrize("field", [c for c in EVENT_COLUMNS if c not in ("seq", "hash")])
def test_every_field_is_covered_by_the_hash(field: str) -> None:
    fields: dict[str, Any] = forged_event(1, GENESIS_HASH)
    original = fields.pop("hash")
    fields[field] = fields[field] + "x"
    assert event_hash(**fields) != original


def test_canonical_encoding_is_stable() -> None:
    assert audit.canonical({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()
    fields = forged_event(1, GENESIS_HASH)
    digest = fields.pop("hash")
    assert event_hash(**fields) == digest
    assert len(digest) == 64


def test_whole_chain_rewrite_is_caught_only_by_an_anchor(
    migrated_engine: Engine, verify_cli: VerifyCli
) -> None:
    append_events(migrated_engine, 3)
    exit_code, anchor = verify_cli(command="head")
    assert exit_code == 0
    assert anchor.startswith("3:")
    assert verify_cli("--anchor", anchor) == (0, "audit chain intact: 3 events verified")
    # Someone with the owner's rights throws the chain away and writes a new one.
    with migrated_engine.begin() as connection:
        drop_append_only_trigger(connection)
        connection.execute(delete(EVENTS))
        connection.execute(delete(AuditHead))
    append_events(migrated_engine, 3)
    assert verify_cli() == (0, "audit chain intact: 3 events verified")  # the known limit
    exit_code, output = verify_cli("--anchor", anchor)
    assert exit_code == 1
    assert "audit chain broken at event 3: the anchor 3:" in output
    assert "names it but it has a different hash" in output
    assert "the chain was rewritten" in output


def test_anchors_stay_valid_as_the_chain_grows(
    migrated_engine: Engine, verify_cli: VerifyCli
) -> None:
    append_events(migrated_engine, 2)
    first = verify_cli(command="head")[1]
    append_events(migrated_engine, 2)
    second = verify_cli(command="head")[1]
    assert second.startswith("4:")
    assert verify_cli("--anchor", first, "--anchor", second)[0] == 0
    missing = f"9:{first.partition(':')[2]}"
    exit_code, output = verify_cli("--anchor", missing)
    assert exit_code == 1
    assert f"broken at event 9: the anchor {missing} names it but it is missing" in output


def test_head_of_an_empty_chain(migrated_engine: Engine, verify_cli: VerifyCli) -> None:
    assert verify_cli(command="head") == (
        0,
        "The audit trail is empty: there is no head to anchor yet.",
    )
    assert verify_cli("--json", command="head") == (0, "null")
    append_events(migrated_engine, 1)
    exit_code, output = verify_cli("--json", command="head")
    assert exit_code == 0
    assert output.startswith('{ "seq": 1, "hash": "')


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("12:" + "a" * 64, None),
        (" 12:" + "A" * 64 + " ", None),
        ("12", "not SEQ:HASH"),
        ("x:" + "a" * 64, "not SEQ:HASH"),
        ("0:" + "a" * 64, "not SEQ:HASH"),
        ("12:abc", "64-character"),
        ("12:" + "g" * 64, "64-character"),
    ],
)
def test_anchor_parsing(text: str, problem: str | None) -> None:
    if problem is None:
        anchor = Anchor.parse(text)
        assert (anchor.seq, anchor.hash) == (12, "a" * 64)
        assert str(anchor) == "12:" + "a" * 64
    else:
        with pytest.raises(ValueError, match=problem):
            Anchor.parse(text)


def test_a_malformed_anchor_is_a_usage_error(
    migrated_engine: Engine, verify_cli: VerifyCli
) -> None:
    exit_code, output = verify_cli("--anchor", "3:abc")
    assert exit_code == 2
    assert "Invalid value for '--anchor'" in output
