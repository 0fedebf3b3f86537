"""The audit trail: an append-only, hash-chained log of events.

Each event stores the SHA-256 of a canonical encoding of its own fields and of the event
before it, so editing, deleting, inserting or reordering any row breaks the chain. A one-row
head table records the last sequence number and hash, so removing events from the end is
caught too. Database triggers refuse UPDATE and DELETE on events (on PostgreSQL for every
role; the owner would have to drop the trigger first, which `verify` still catches).

Later parts record their events through :func:`record_event` and nothing else.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, String, Table, Text, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from civicdesk.store.base import Base, utcnow

GENESIS_HASH = "0" * 64

PayloadScrubber = Callable[[Mapping[str, Any]], dict[str, Any]]
_scrubbers: list[PayloadScrubber] = []


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(Integer, nullable=False, unique=True)
    occurred_at: Mapped[str] = mapped_column(String(40), nullable=False)
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    action: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    object_type: Mapped[str] = mapped_column(String(100), nullable=False)
    object_id: Mapped[str] = mapped_column(String(200), nullable=False)
    payload: Mapped[str] = mapped_column(Text, nullable=False)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)


class AuditHead(Base):
    """The last event of the chain, so truncating its tail is detectable."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)


def register_payload_scrubber(scrubber: PayloadScrubber) -> None:
    """Add a function that removes personal data from payloads before they are chained."""
    if scrubber not in _scrubbers:
        _scrubbers.append(scrubber)


def canonical(fields: Mapping[str, Any]) -> bytes:
    """The canonical encoding hashed for an event: sorted keys, no spaces, UTF-8."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(
    *,
    seq: int,
    occurred_at: str,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    payload: str,
    prev_hash: str,
) -> str:
    fields: dict[str, Any] = {
        "seq": seq,
        "occurred_at": occurred_at,
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "payload": payload,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical(fields)).hexdigest()


def record_event(
    session: Session,
    *,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    payload: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain inside the caller's transaction.

    The head row is locked (SELECT ... FOR UPDATE on PostgreSQL; SQLite transactions are
    already serialised by BEGIN IMMEDIATE), so concurrent writers never fork the chain.
    """
    body: dict[str, Any] = dict(payload or {})
    for scrub in _scrubbers:
        body = scrub(body)
    encoded = canonical(body).decode()
    head = _lock_head(session)
    if head is None:
        _create_head(session)
        head = _lock_head(session)
    fresh_head = head is None  # a database without ON CONFLICT: the first event makes the head
    last_seq, last_hash = head or (0, GENESIS_HASH)
    fields: dict[str, Any] = {
        "seq": last_seq + 1,
        "occurred_at": utcnow().isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "payload": encoded,
        "prev_hash": last_hash,
    }
    digest = event_hash(**fields)
    # Core statements, not the unit of work: every answer writes an event, and the ORM's
    # identity map and flush cost more than the two statements themselves.
    session.execute(_ADD_EVENT, {**fields, "hash": digest})
    session.execute(_ADD_HEAD if fresh_head else _MOVE_HEAD, {"seq": fields["seq"], "hash": digest})
    return AuditEvent(**fields, hash=digest)


_EVENTS: Table = Base.metadata.tables["audit_events"]
_HEAD: Table = Base.metadata.tables["audit_head"]
# Built once; the values come as parameters, so each call skips building and caching a statement.
_ADD_EVENT = insert(_EVENTS)
_ADD_HEAD = insert(_HEAD).values(id=1)
_MOVE_HEAD = update(_HEAD).where(_HEAD.c.id == 1)


def _lock_head(session: Session) -> tuple[int, str] | None:
    row = session.execute(
        select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()
    ).first()
    return (row.seq, row.hash) if row is not None else None


def _create_head(session: Session) -> None:
    """Create the genesis head row once, even when several writers race to make the first event.

    A plain INSERT would let two first writers both insert it and one fail; INSERT ... ON
    CONFLICT DO NOTHING makes the loser wait for the winner and then lock the winner's row.
    Another database gets its head row from the first event's own INSERT.
    """
    dialect = session.get_bind().dialect.name
    values = {"id": 1, "seq": 0, "hash": GENESIS_HASH}
    if dialect == "postgresql":
        session.execute(
            postgresql_insert(_HEAD).values(values).on_conflict_do_nothing(index_elements=["id"])
        )
    elif dialect == "sqlite":
        session.execute(
            sqlite_insert(_HEAD).values(values).on_conflict_do_nothing(index_elements=["id"])
        )


@dataclass(frozen=True)
class ChainReport:
    """The result of verifying the chain."""

    ok: bool
    events: int
    problem: str = ""
    seq: int | None = None

    def describe(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.events} events verified"
        return f"audit chain broken at event {self.seq}: {self.problem}"


def verify_chain(session: Session) -> ChainReport:
    """Walk the events in storage order and report the first that does not verify."""
    rows = session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()
    head = session.get(AuditHead, 1)
    return verify_events(
        rows, head_seq=head.seq if head else 0, head_hash=head.hash if head else GENESIS_HASH
    )


def verify_events(events: Iterable[AuditEvent], *, head_seq: int, head_hash: str) -> ChainReport:
    """Check events in storage order; the first one that does not fit is named by its seq."""
    materialised = list(events)
    seqs_seen: set[int] = set()
    all_seqs = [e.seq for e in materialised]
    expected_seq = 1
    last_hash = GENESIS_HASH
    hash_before_last: str | None = None
    for position, event in enumerate(materialised):
        if event.prev_hash != last_hash and event.prev_hash == hash_before_last:
            # This event is chained to the one two places back: the one between was slipped in.
            return ChainReport(
                False,
                position - 1,
                "it was inserted: the event after it is chained to the event before it",
                materialised[position - 1].seq,
            )
        recomputed = event_hash(
            seq=event.seq,
            occurred_at=event.occurred_at,
            actor=event.actor,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            payload=event.payload,
            prev_hash=event.prev_hash,
        )
        if recomputed != event.hash:
            return ChainReport(False, position, "its contents were edited", event.seq)
        if event.seq in seqs_seen:
            return ChainReport(
                False, position, "it was inserted: its number is used twice", event.seq
            )
        if event.seq != expected_seq:
            later = all_seqs[position + 1 :]
            if event.prev_hash == last_hash and event.seq not in later:
                return ChainReport(
                    False,
                    position,
                    f"it was inserted: it follows event {expected_seq - 1} "
                    f"but is numbered {event.seq}",
                    event.seq,
                )
            if expected_seq in later or event.seq < expected_seq:
                return ChainReport(
                    False,
                    position,
                    f"events were reordered (expected {expected_seq} here)",
                    event.seq,
                )
            return ChainReport(
                False,
                position,
                f"event {expected_seq} before it was deleted",
                event.seq,
            )
        if event.prev_hash != last_hash:
            return ChainReport(
                False,
                position,
                "it was inserted: it does not follow the event before it",
                event.seq,
            )
        seqs_seen.add(event.seq)
        hash_before_last = last_hash
        last_hash = event.hash
        expected_seq += 1
    count = len(materialised)
    if head_seq > count:
        return ChainReport(
            False,
            count,
            f"events after {count} were deleted (the head records {head_seq})",
            count + 1,
        )
    if head_seq < count or head_hash != last_hash:
        return ChainReport(
            False,
            count,
            f"it was inserted after the last recorded event {head_seq}",
            head_seq + 1,
        )
    return ChainReport(True, count)


@dataclass(frozen=True)
class Anchor:
    """A (seq, hash) pair copied out of the database, written ``SEQ:HASH``.

    The chain alone cannot catch someone with write access who rewrites every event and the
    head; an anchor kept somewhere they cannot reach (a ticket, a signed email, another
    organisation's log) can, because a rewritten chain no longer contains it.
    """

    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    @classmethod
    def parse(cls, text: str) -> Anchor:
        """Read ``SEQ:HASH``; raises ValueError with the reason when it is not one."""
        seq_text, colon, digest = text.strip().partition(":")
        digest = digest.lower()
        if not colon or not seq_text.isdigit() or int(seq_text) < 1:
            raise ValueError(f"{text!r} is not SEQ:HASH, for example 42:{GENESIS_HASH[:8]}...")
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError(f"{text!r} does not end in a 64-character SHA-256 hex digest")
        return cls(int(seq_text), digest)


def read_head(session: Session) -> Anchor | None:
    """The chain's last event as an anchor to keep outside the database; None when empty."""
    head = session.get(AuditHead, 1)
    if head is None or head.seq == 0:
        return None
    return Anchor(head.seq, head.hash)


def check_anchors(session: Session, anchors: Iterable[Anchor]) -> ChainReport:
    """Verify the chain, then that it still holds every anchored event unchanged."""
    report = verify_chain(session)
    if not report.ok:
        return report
    for anchor in sorted(anchors, key=lambda a: a.seq):
        stored = session.execute(
            select(AuditEvent.hash).where(AuditEvent.seq == anchor.seq)
        ).scalar_one_or_none()
        if stored != anchor.hash:
            found = "is missing" if stored is None else "has a different hash"
            return ChainReport(
                False,
                report.events,
                f"the anchor {anchor} names it but it {found}: the chain was rewritten",
                anchor.seq,
            )
    return report
