"""Casework figures: the AI draft's cost per case, and claims under contention.

    .venv/bin/python bench/casework.py [--rounds 50] [--workers 8]

1. Every question of ../shared/data/govuk/questions-train.jsonl (scenario + question) goes
   through the web pipeline with casework's handover hook, over the 157 GOV.UK pages. For each
   handed-over one it reports the draft's own time (staff-mode retrieval, composition, check)
   and the persist stage's time, which includes opening the case and writing the draft inline.
   Each question is also asked for a person afterwards, so every question gets a case and a
   draft. This is the figure behind ADR 0051's choice to write drafts inline.
2. Parallel claims: `--workers` threads, each its own caseworker and connection, claim the same
   case at once, `--rounds` times, on PostgreSQL when CIVICDESK_TEST_POSTGRES_URL (or the local
   server) answers, and on SQLite. Exactly one must win each round.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text

from civicdesk.assistant.evaluation import percentile
from civicdesk.assistant.service import Assistant
from civicdesk.casework.cases import CaseConflict, CaseDesk
from civicdesk.casework.staff_user import user_from_row
from civicdesk.domain.inquiry import Channel
from civicdesk.knowledge import ingest_paths, load_retriever
from civicdesk.settings import Settings
from civicdesk.store import migrate
from civicdesk.store.base import utcnow
from civicdesk.store.cases import CaseRow
from civicdesk.store.engine import make_engine, make_sessionmaker, session_scope
from civicdesk.store.staff import StaffUserRow

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "govuk"
PG_URL = os.environ.get(
    "CIVICDESK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def row(name: str, values: list[float]) -> str:
    return (
        f"| {name} | {len(values)} | {statistics.median(values):.2f} | "
        f"{percentile(values, 0.95):.2f} | {max(values):.2f} |"
    )


def drafts(folder: Path) -> None:
    lines = [json.loads(line) for line in (DATA / "questions-train.jsonl").open()]
    questions = [f"{r['scenario']} {r['question']}".strip() for r in lines]
    settings = Settings(data_dir=folder, environment="test", log_level="WARNING")
    engine = make_engine(settings)
    migrate.upgrade(engine)
    ingest_paths(settings, engine, [DATA / "pages.json"])
    load_retriever(settings, engine)
    desk = CaseDesk.from_settings(settings, engine)
    assistant = Assistant.from_settings(settings, engine, on_handover=[desk.on_handover])
    desk.knowledge.share(assistant.retriever)
    persist_handover, persist_answered, person = [], [], []
    for question in questions:
        reply = assistant.ask(question, channel=Channel.WEB)
        persist = next(r.duration_ms for r in reply.trace if r.stage == "persist")
        (persist_handover if reply.outcome.value != "answered" else persist_answered).append(
            persist
        )
        started = time.perf_counter()
        assistant.request_person(reply.reference)  # every question gets a case and a draft
        person.append((time.perf_counter() - started) * 1000)
    with make_sessionmaker(engine)() as session:
        draft_ms = [
            value
            for value in session.execute(select(CaseRow.draft_ms)).scalars()
            if value is not None
        ]
    engine.dispose()
    print(f"{len(questions)} questions over {len(lines)} labels, {len(draft_ms)} drafts\n")
    print("| what | n | p50 ms | p95 ms | max ms |\n|---|---|---|---|---|")
    print(row("draft alone (retrieve + compose + check + frame)", draft_ms))
    print(row("persist, handed over (case + draft inline)", persist_handover))
    print(row("persist, answered (no case)", persist_answered))
    print(row("talk to a person (case + draft inline)", person))


def claims(name: str, settings: Settings, rounds: int, workers: int) -> None:
    engine = make_engine(settings, **({} if settings.is_sqlite else {"pool_size": workers}))
    migrate.upgrade(engine)
    desk = CaseDesk.from_settings(settings, engine)
    users = []
    with session_scope(make_sessionmaker(engine)) as session:
        for number in range(workers):
            staff = StaffUserRow(
                email=f"bench{number}@example.gov.uk",
                name=f"Bench {number}",
                role="caseworker",
                password_hash="-",
                active=True,
                created_at=utcnow(),
            )
            session.add(staff)
            session.flush()
            users.append(user_from_row(staff))
    latencies: list[float] = []
    winners = 0
    lock = threading.Lock()
    for number in range(rounds):
        case = desk.create_case(f"Bench round {number}: my bin was missed", actor="bench")
        barrier = threading.Barrier(workers)
        outcomes: list[bool] = []

        def claim(
            user: Any,
            reference: str = case.reference,
            barrier: threading.Barrier = barrier,
            outcomes: list[bool] = outcomes,
        ) -> None:
            barrier.wait()
            started = time.perf_counter()
            try:
                desk.claim(reference, user)
                won = True
            except CaseConflict:
                won = False
            with lock:
                latencies.append((time.perf_counter() - started) * 1000)
                outcomes.append(won)

        threads = [threading.Thread(target=claim, args=(user,)) for user in users]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if outcomes.count(True) != 1:
            raise SystemExit(f"{name}: round {number} had {outcomes.count(True)} winners")
        winners += 1
    engine.dispose()
    print(row(f"{name}: claim, {workers} at once, 1 winner in {winners}/{rounds}", latencies))


def postgres_schema() -> str | None:
    try:
        admin = create_engine(PG_URL)
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
    except Exception as exc:  # no server: say so and go on
        print(f"PostgreSQL unreachable at {PG_URL} ({type(exc).__name__}): SQLite only.")
        return None
    return schema


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if (DATA / "pages.json").exists():
            drafts(Path(folder) / "drafts")
        else:
            print(f"../shared/data is absent ({DATA}): no draft figures.")
        print("\n| what | n | p50 ms | p95 ms | max ms |\n|---|---|---|---|---|")
        sqlite = Settings(data_dir=Path(folder) / "claims", environment="test")
        claims("SQLite", sqlite, args.rounds, args.workers)
        schema = postgres_schema()
        if schema is not None:
            separator = "&" if "?" in PG_URL else "?"
            url = f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
            pg = Settings(data_dir=Path(folder) / "pg", environment="test", database_url=url)
            try:
                claims("PostgreSQL", pg, args.rounds, args.workers)
            finally:
                admin = create_engine(PG_URL)
                with admin.begin() as connection:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
