"""Two caseworkers can never hold the same case: parallel claims on a real database.

Each round opens a case, then several threads (each its own caseworker, each on its own
connection) claim it at the same moment behind a barrier. Exactly one must win; the others get
CaseConflict naming the winner. Parallel edits at the same version: one lands, the rest are
stale. Runs on PostgreSQL (the production database) and on SQLite.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from civicdesk.casework.cases import CaseConflict, CaseDesk, StaleEdit
from civicdesk.casework.staff_user import StaffUser, user_from_row
from civicdesk.settings import Settings
from civicdesk.store import migrate
from civicdesk.store.base import utcnow
from civicdesk.store.cases import CaseHistoryRow, CaseRow
from civicdesk.store.engine import make_engine, make_sessionmaker, session_scope
from civicdesk.store.staff import StaffUserRow

WORKERS = 8
ROUNDS = 10


@pytest.fixture(params=["postgresql", "sqlite"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Settings, Engine]]:
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_schema_url")
        settings = Settings(data_dir=tmp_path / "data", environment="test", database_url=url)
    else:
        settings = Settings(data_dir=tmp_path / "data", environment="test")
    built = make_engine(settings, **({"pool_size": WORKERS} if not settings.is_sqlite else {}))
    migrate.upgrade(built)
    yield settings, built
    built.dispose()


def caseworkers(engine: Engine) -> list[StaffUser]:
    workers = []
    with session_scope(make_sessionmaker(engine)) as session:
        for number in range(WORKERS):
            row = StaffUserRow(
                email=f"worker{number}@example.gov.uk",
                name=f"Worker {number}",
                role="caseworker",
                password_hash="not-used",
                active=True,
                created_at=utcnow(),
            )
            session.add(row)
            session.flush()
            workers.append(user_from_row(row))
    return workers


def all_at_once(actions: list[Callable[[], Any]]) -> list[Any]:
    """Run every action in its own thread, released together; results or the exceptions."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = actions[index]()
        except Exception as exc:  # collected and checked by the test
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_exactly_one_parallel_claim_wins(engine: tuple[Settings, Engine]) -> None:
    settings, database = engine
    desk = CaseDesk.from_settings(settings, database)
    workers = caseworkers(database)
    winners: list[int] = []
    started = time.perf_counter()
    for round_number in range(ROUNDS):
        case = desk.create_case(f"Round {round_number}: my bin was missed", actor="test")
        results = all_at_once(
            [lambda user=user, ref=case.reference: desk.claim(ref, user) for user in workers]
        )
        won = [r for r in results if not isinstance(r, Exception)]
        lost = [r for r in results if isinstance(r, Exception)]
        assert len(won) == 1, results
        assert all(isinstance(r, CaseConflict) for r in lost), lost
        winner = won[0].assignee_id
        assert all(f"Worker {winner - workers[0].id}" in r.message for r in lost)
        [row] = [r for r in rows(database, CaseRow) if r.reference == case.reference]
        assert (row.assignee_id, row.status, row.version) == (winner, "in_progress", 2)
        claimed = [h for h in rows(database, CaseHistoryRow) if h.case_id == row.id]
        assert [h.action for h in claimed].count("claimed") == 1
        winners.append(winner)
    elapsed = time.perf_counter() - started
    print(
        f"\n{database.dialect.name}: {ROUNDS} rounds x {WORKERS} parallel claims, "
        f"1 winner each, {len(set(winners))} different winners, {elapsed:.2f}s"
    )


def test_parallel_edits_at_one_version_keep_exactly_one(engine: tuple[Settings, Engine]) -> None:
    settings, database = engine
    desk = CaseDesk.from_settings(settings, database)
    holder = caseworkers(database)[0]
    case = desk.create_case("My bin was missed again", actor="test")
    seen = desk.claim(case.reference, holder)
    texts = [f"Edit number {n} from tab {n}" for n in range(WORKERS)]
    results = all_at_once(
        [
            lambda text=text: desk.save_draft(case.reference, holder, text, seen.version)
            for text in texts
        ]
    )
    saved = [r for r in results if not isinstance(r, Exception)]
    stale = [r for r in results if isinstance(r, Exception)]
    assert len(saved) == 1 and all(isinstance(r, StaleEdit) for r in stale), results
    final = desk.find(case.reference)
    assert final is not None and final.draft is not None
    assert final.draft.text == saved[0].draft.text
    assert sorted([final.draft.text, *(r.yours for r in stale)]) == sorted(texts)  # none lost


def rows(engine: Engine, model: Any) -> list[Any]:
    with make_sessionmaker(engine)() as session:
        return list(session.execute(select(model)).scalars())
