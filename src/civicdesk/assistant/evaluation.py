"""The evaluation harness: run a golden set through the real pipeline and score it.

A golden set is JSON Lines, one case per line: {"id", "text", "expect": {"outcome", "url"}}
(`expect` keys optional). Page ranking is scored for cases with a URL (hit@1, hit@5, MRR@10
over the pages the retrieve stage ranked); outcomes for cases with an outcome (accuracy, a
confusion table, handover precision and recall); latency for every case.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from civicdesk.assistant.service import Assistant
from civicdesk.assistant.stages.intake import QuestionRejected
from civicdesk.domain.inquiry import AssistantReply, Channel, Outcome
from civicdesk.errors import InputRejected

OUTCOMES = [o.value for o in Outcome] + ["rejected"]


@dataclass(frozen=True)
class GoldenCase:
    id: str
    text: str
    outcome: str | None = None
    url: str | None = None
    language: str | None = None


@dataclass
class CaseResult:
    case: GoldenCase
    outcome: str
    ranked_pages: list[str]
    latency_ms: float
    reasons: list[str] = field(default_factory=list)


def read_golden(path: Path) -> list[GoldenCase]:
    cases: list[GoldenCase] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            expect = raw.get("expect") or {}
            cases.append(
                GoldenCase(
                    id=str(raw.get("id") or f"line-{number}"),
                    text=str(raw["text"]),
                    outcome=expect.get("outcome"),
                    url=expect.get("url"),
                    language=raw.get("language"),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise InputRejected(
                f"{path}, line {number}: not a golden case ({type(exc).__name__}: {exc}).",
                hint='Each line needs {"text": ..., "expect": {"outcome": ..., "url": ...}}.',
                code="E520",
            ) from None
    if not cases:
        raise InputRejected(
            f"{path} holds no cases.", hint="Add one JSON object per line.", code="E521"
        )
    return cases


def _ranked_pages(reply: AssistantReply) -> list[str]:
    for record in reply.trace:
        if record.stage == "retrieve":
            pages = record.detail.get("ranked", [])
            return [str(p) for p in pages] if isinstance(pages, list) else []
    return []


def run_cases(assistant: Assistant, cases: Iterable[GoldenCase]) -> list[CaseResult]:
    results: list[CaseResult] = []
    for case in cases:
        started = time.perf_counter()
        try:
            reply = assistant.ask(case.text, language=case.language, channel=Channel.EVAL)
            outcome, ranked, reasons = (
                reply.outcome.value,
                _ranked_pages(reply),
                list(reply.reasons),
            )
        except QuestionRejected as exc:
            outcome, ranked, reasons = "rejected", [], [exc.code]
        latency = (time.perf_counter() - started) * 1000
        results.append(CaseResult(case, outcome, ranked, latency, reasons))
    return results


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank q-quantile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def score(results: Sequence[CaseResult]) -> dict[str, Any]:
    """The figures of one run, as plain data (the JSON report)."""
    with_url = [r for r in results if r.case.url]
    ranks = []
    for r in with_url:
        pages = list(dict.fromkeys(r.ranked_pages))
        ranks.append(pages.index(r.case.url) + 1 if r.case.url in pages else None)
    with_outcome = [r for r in results if r.case.outcome]
    confusion: dict[str, dict[str, int]] = {}
    for r in with_outcome:
        row = confusion.setdefault(str(r.case.outcome), {})
        row[r.outcome] = row.get(r.outcome, 0) + 1
    correct = sum(1 for r in with_outcome if r.outcome == r.case.outcome)
    handover = Outcome.HANDED_OVER.value
    predicted = [r for r in with_outcome if r.outcome == handover]
    actual = [r for r in with_outcome if r.case.outcome == handover]
    true_positive = sum(1 for r in predicted if r.case.outcome == handover)
    latencies = [r.latency_ms for r in results]
    n_url = len(with_url) or 1
    return {
        "cases": len(results),
        "retrieval": {
            "cases": len(with_url),
            "hit@1": round(sum(1 for k in ranks if k == 1) / n_url, 3),
            "hit@5": round(sum(1 for k in ranks if k is not None and k <= 5) / n_url, 3),
            "mrr@10": round(sum(1 / k for k in ranks if k is not None and k <= 10) / n_url, 3),
        },
        "outcomes": {
            "cases": len(with_outcome),
            "accuracy": round(correct / (len(with_outcome) or 1), 3),
            "confusion": confusion,
            "handover_precision": round(true_positive / (len(predicted) or 1), 3),
            "handover_recall": round(true_positive / (len(actual) or 1), 3),
        },
        "latency_ms": {
            "median": round(statistics.median(latencies), 2) if latencies else 0.0,
            "p95": round(percentile(latencies, 0.95), 2),
        },
        "misses": [
            {"id": r.case.id, "expected": r.case.outcome, "got": r.outcome, "reasons": r.reasons}
            for r in with_outcome
            if r.outcome != r.case.outcome
        ],
    }


def to_markdown(reports: dict[str, dict[str, Any]]) -> str:
    """One column per configuration, side by side."""
    names = list(reports)
    rows: list[tuple[str, Callable[[dict[str, Any]], object]]] = [
        ("cases", lambda r: r["cases"]),
        ("page hit@1", lambda r: r["retrieval"]["hit@1"]),
        ("page hit@5", lambda r: r["retrieval"]["hit@5"]),
        ("page MRR@10", lambda r: r["retrieval"]["mrr@10"]),
        ("outcome accuracy", lambda r: r["outcomes"]["accuracy"]),
        ("handover precision", lambda r: r["outcomes"]["handover_precision"]),
        ("handover recall", lambda r: r["outcomes"]["handover_recall"]),
        ("latency median (ms)", lambda r: r["latency_ms"]["median"]),
        ("latency p95 (ms)", lambda r: r["latency_ms"]["p95"]),
    ]
    lines = ["| measure | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for label, get in rows:
        lines.append(f"| {label} | " + " | ".join(str(get(reports[n])) for n in names) + " |")
    for name in names:
        confusion = reports[name]["outcomes"]["confusion"]
        lines += ["", f"Outcomes ({name}): expected (rows) by got (columns)", ""]
        lines.append("| expected \\ got | " + " | ".join(OUTCOMES) + " |")
        lines.append("|---|" + "---|" * len(OUTCOMES))
        for expected in OUTCOMES:
            if expected in confusion:
                counts = confusion[expected]
                lines.append(
                    f"| {expected} | " + " | ".join(str(counts.get(o, 0)) for o in OUTCOMES) + " |"
                )
        misses = reports[name]["misses"]
        if misses:
            lines += ["", f"Misses ({name}):", ""]
            lines += [
                f"- {m['id']}: expected {m['expected']}, got {m['got']} {m['reasons']}"
                for m in misses
            ]
    return "\n".join(lines)
