"""The evaluation harness, and the sample council's golden set through the real pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicdesk.assistant.evaluation import (
    CaseResult,
    GoldenCase,
    read_golden,
    run_cases,
    score,
    to_markdown,
)
from civicdesk.assistant.service import Assistant
from civicdesk.errors import InputRejected

GOLDEN = Path(__file__).resolve().parents[2] / "evals" / "sample-council.jsonl"


def result(
    outcome: str,
    expected: str | None,
    url: str | None = None,
    ranked: list[str] | None = None,
    latency: float = 10.0,
) -> CaseResult:
    return CaseResult(GoldenCase("c", "q", expected, url), outcome, ranked or [], latency)


def test_scores_ranking_outcomes_and_latency() -> None:
    results = [
        result("answered", "answered", "a", ["a", "b"], 10),
        result("answered", "answered", "b", ["a", "b"], 20),
        result("answered", "answered", "z", ["a", "b"], 30),
        result("handed_over", "handed_over", latency=40),
        result("handed_over", "answered", "a", ["a"], 50),
        result("answered", "handed_over", latency=60),
    ]
    report = score(results)
    assert report["retrieval"] == {"cases": 4, "hit@1": 0.5, "hit@5": 0.75, "mrr@10": 0.625}
    assert report["outcomes"]["accuracy"] == round(4 / 6, 3)
    assert report["outcomes"]["handover_precision"] == 0.5
    assert report["outcomes"]["handover_recall"] == 0.5
    assert report["outcomes"]["confusion"]["answered"] == {"answered": 3, "handed_over": 1}
    assert report["latency_ms"]["median"] == 35.0
    assert len(report["misses"]) == 2
    table = to_markdown({"a": report, "b": report})
    assert "| outcome accuracy | 0.667 | 0.667 |" in table


@pytest.mark.parametrize("content", ["not json\n", '{"expect": {}}\n', '["a list"]\n', "\n\n"])
def test_bad_golden_files(tmp_path: Path, content: str) -> None:
    path = tmp_path / "golden.jsonl"
    path.write_text(content)
    with pytest.raises(InputRejected) as raised:
        read_golden(path)
    assert str(path) in str(raised.value)


def test_golden_set_is_well_formed() -> None:
    cases = read_golden(GOLDEN)
    assert len(cases) >= 50
    assert {c.outcome for c in cases} == {"answered", "handed_over", "signposted", "refused"}


@pytest.mark.slow
def test_sample_council_golden_set_meets_its_targets(assistant: Assistant) -> None:
    report = score(run_cases(assistant, read_golden(GOLDEN)))
    assert report["outcomes"]["accuracy"] >= 0.9, report["misses"]
    assert report["retrieval"]["hit@5"] >= 0.9
    assert report["outcomes"]["handover_recall"] >= 0.9
