"""In-process answer latency: the whole pipeline, GOV.UK pages loaded, then 100,000 chunks.

    .venv/bin/python bench/answer_latency.py [--chunks 100000]

Reads ../shared/data/govuk/pages.json and questions-train.jsonl (question = scenario + " " +
question). Every answer goes through every stage, including the two database writes, on a
SQLite file in a temporary folder. Prints medians and 95th percentiles.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from civicdesk.assistant.evaluation import percentile
from civicdesk.assistant.service import Assistant
from civicdesk.domain.inquiry import Channel
from civicdesk.knowledge import ingest_paths, load_retriever
from civicdesk.knowledge.index import build_index
from civicdesk.knowledge.retriever import Retriever
from civicdesk.settings import Settings
from civicdesk.store import migrate
from civicdesk.store.engine import make_engine

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "govuk"
sys.path.insert(0, str(Path(__file__).parent))
from corpus import synthesise_chunks  # noqa: E402


def timed_answers(assistant: Assistant, questions: list[str]) -> list[float]:
    timings = []
    for question in questions:
        started = time.perf_counter()
        assistant.ask(question, channel=Channel.EVAL)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def report(name: str, timings: list[float]) -> None:
    print(
        f"| {name} | {len(timings)} | {statistics.median(timings):.2f} | "
        f"{percentile(timings, 0.95):.2f} | {max(timings):.2f} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chunks", type=int, default=100_000)
    args = parser.parse_args()
    if not (DATA / "pages.json").exists():
        print(f"../shared/data is absent ({DATA}): nothing to measure.")
        return 0
    rows = [json.loads(line) for line in (DATA / "questions-train.jsonl").open()]
    questions = [f"{r['scenario']} {r['question']}".strip() for r in rows]
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), environment="test", log_level="WARNING")
        engine = make_engine(settings)
        migrate.upgrade(engine)
        started = time.perf_counter()
        ingest_paths(settings, engine, [DATA / "pages.json"])
        load_retriever(settings, engine)
        print(f"ingest + index of pages.json: {time.perf_counter() - started:.2f} s")
        assistant = Assistant.from_settings(settings, engine)
        timed_answers(assistant, questions[:20])  # warm up
        print("\n| corpus | answers | p50 ms | p95 ms | max ms |\n|---|---|---|---|---|")
        report(
            f"GOV.UK pages ({load_retriever(settings, engine).size} chunks)",
            timed_answers(assistant, questions),
        )
        source = load_retriever(settings, engine).index.chunks
        big = synthesise_chunks(source, args.chunks)
        started = time.perf_counter()
        index = build_index(source + big, fingerprint="bench-large")
        build_seconds = time.perf_counter() - started
        large = Assistant.from_settings(settings, engine, retriever=Retriever(index))
        timed_answers(large, questions[:20])
        report(
            f"{len(source) + len(big):,} chunks (built in {build_seconds:.1f} s)",
            timed_answers(large, questions),
        )
        engine.dispose()
    print("\ntargets: p95 <= 30 ms (GOV.UK pages), <= 150 ms (100,000 chunks)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
