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

from sqlalchemy import Integer, String, Text, select
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
    fields = {
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
    head = session.execute(
        select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS_HASH)
        session.add(head)
    seq = head.seq + 1
    occurred_at = utcnow().isoformat(timespec="microseconds")
    digest = event_hash(
        seq=seq,
        occurred_at=occurred_at,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        payload=encoded,
        prev_hash=head.hash,
    )
    event = AuditEvent(
        seq=seq,
        occurred_at=occurred_at,
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        payload=encoded,
        prev_hash=head.hash,
        hash=digest,
    )
    session.add(event)
    head.seq = seq
    head.hash = digest
    session.flush()
    return event


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
    materialised = list(events)
    seqs_seen: set[int] = set()
    all_seqs = [e.seq for e in materialised]
    expected_seq = 1
    last_hash = GENESIS_HASH
    for position, event in enumerate(materialised):
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
        if event.seq in seqs_seen or (event.seq == expected_seq and event.prev_hash != last_hash):
            return ChainReport(
                False,
                position,
                "it was inserted: it does not follow the event before it",
                event.seq,
            )
        if event.seq != expected_seq:
            later = all_seqs[position + 1 :]
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
        seqs_seen.add(event.seq)
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
