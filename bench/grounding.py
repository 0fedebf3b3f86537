"""Groundedness of extractive answers, and what the grounding checks cost per answer.

    .venv/bin/python bench/grounding.py [--govuk]

Runs the sample council's golden set (evals/sample-council.jsonl) through the real pipeline
with the extractive composer, and with --govuk also the GOV.UK questions from
../shared/data/govuk (when present). For every answered question it prints how many
sentences the check stage kept and dropped, and by which check; every extractive sentence
should pass, so any drop is printed in full as a finding. Then it times the grounding checks
alone on each answer: cold (caches emptied first, as for guidance seen for the first time)
and warm (as on a running server).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from civicdesk.assistant.context import InquiryContext
from civicdesk.assistant.evaluation import percentile
from civicdesk.assistant.grounding import Claim, check_grounding, clear_caches
from civicdesk.assistant.service import Assistant, new_reference
from civicdesk.assistant.stages.check import Check
from civicdesk.domain.inquiry import Channel, Outcome
from civicdesk.knowledge import ingest_paths, sample_council_path
from civicdesk.settings import Settings
from civicdesk.store import migrate
from civicdesk.store.engine import make_engine

ROOT = Path(__file__).resolve().parents[1]
GOVUK = ROOT.parent / "shared" / "data" / "govuk"


def questions(govuk: bool) -> list[tuple[str, str]]:
    found = []
    for line in (ROOT / "evals" / "sample-council.jsonl").read_text("utf-8").splitlines():
        if line.strip():
            case = json.loads(line)
            found.append(("council", str(case["text"])))
    if govuk and (GOVUK / "questions-train.jsonl").exists():
        for line in (GOVUK / "questions-train.jsonl").open(encoding="utf-8"):
            row = json.loads(line)
            found.append(("govuk", f"{row['scenario']} {row['question']}".strip()))
    return found


def run(assistant: Assistant, corpus: str, texts: list[str]) -> None:
    check = next(s for s in assistant.pipeline.stages if isinstance(s, Check))
    verdicts: Counter[str] = Counter()
    supports: list[float] = []
    cold: list[float] = []
    warm: list[float] = []
    stage_ms: list[float] = []
    answered = 0
    for text in texts:
        context = InquiryContext(raw_text=text, channel=Channel.EVAL, reference=new_reference())
        assistant.pipeline.run(context)
        record = next((r for r in context.trace if r.stage == "check"), None)
        if record is None or not isinstance(record.detail.get("grounding"), dict):
            continue
        grounding = record.detail["grounding"]
        assert isinstance(grounding, dict)
        verdicts.update(grounding["verdicts"])
        supports.extend(grounding["support"])
        stage_ms.append(record.duration_ms)
        if context.outcome is Outcome.ANSWERED:
            answered += 1
        if grounding["dropped"]:
            print(f"FINDING ({corpus}): {text[:80]!r} -> {grounding}")
        # The checks alone, on the answer as composed (before the check stage changed it).
        claims = [Claim(p.text, (p.citation,), p.is_list_item) for p in context.parts]
        if not claims:
            continue
        sources = check.cited_sources(context)
        known = check.known_links(context)
        for caches, timings in ((True, cold), (False, warm)):
            if caches:
                clear_caches()
            started = time.perf_counter()
            check_grounding(claims, sources, known, min_support=check.min_support, verbatim=True)
            timings.append((time.perf_counter() - started) * 1000)
    print(f"\n### {corpus}: {len(texts)} questions, {answered} answered\n")
    print("| verdict | sentences |\n| --- | --- |")
    for verdict, count in verdicts.most_common():
        print(f"| {verdict} | {count} |")
    if supports:
        print(f"\nlowest support of any sentence: {min(supports):.3f}")
    print(
        "\n| grounding cost per answer | median ms | p95 ms | max ms |\n| --- | --- | --- | --- |"
    )
    for name, timings in (("checks alone, cold", cold), ("checks alone, warm", warm)):
        if timings:
            print(
                f"| {name} | {statistics.median(timings):.3f} | "
                f"{percentile(timings, 0.95):.3f} | {max(timings):.3f} |"
            )
    if stage_ms:
        print(
            f"| whole check stage (trace) | {statistics.median(stage_ms):.3f} | "
            f"{percentile(stage_ms, 0.95):.3f} | {max(stage_ms):.3f} |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--govuk", action="store_true", help="Also the GOV.UK questions.")
    args = parser.parse_args()
    cases = questions(args.govuk)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), environment="test", organisation_name="Aberwen")
        engine = make_engine(settings)
        migrate.upgrade(engine)
        ingest_paths(settings, engine, [sample_council_path()])
        assistant = Assistant.from_settings(settings, engine)
        run(assistant, "sample council", [t for c, t in cases if c == "council"])
        engine.dispose()
        if args.govuk:
            if not (GOVUK / "pages.json").exists():
                print(f"\n../shared/data is absent ({GOVUK}): GOV.UK not measured.")
                return 0
            folder2 = Path(folder) / "govuk"
            settings = Settings(data_dir=folder2, environment="test")
            engine = make_engine(settings)
            migrate.upgrade(engine)
            ingest_paths(settings, engine, [GOVUK / "pages.json"])
            assistant = Assistant.from_settings(settings, engine)
            run(assistant, "GOV.UK", [t for c, t in cases if c == "govuk"])
            engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
