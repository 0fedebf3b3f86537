"""Ingest on SQLite and PostgreSQL: counts, re-ingest, bad files, the audit event, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine, select

from civicdesk.knowledge import ingest_paths, load_retriever, sample_council_path
from civicdesk.settings import Settings
from civicdesk.store.audit import AuditEvent, verify_chain
from civicdesk.store.engine import make_sessionmaker
from civicdesk.store.knowledge import KnowledgeRepository


def test_ingest_then_reingest_skips_unchanged_and_replaces_changed(
    db_settings: Settings, migrated_engine: Engine, guidance_folder: Path
) -> None:
    seen: list[tuple[str, int, int]] = []
    report = ingest_paths(
        db_settings, migrated_engine, [guidance_folder],
        progress=lambda path, done, total: seen.append((path.name, done, total)),
    )
    assert (report.files, report.added, report.updated, report.unchanged) == (5, 5, 0, 0)
    assert report.chunks == 13 and not report.skipped
    assert seen[-1] == ("housing-repairs.md", 5, 5)

    again = ingest_paths(db_settings, migrated_engine, [guidance_folder])
    assert (again.added, again.updated, again.unchanged, again.chunks) == (0, 0, 5, 0)
    assert again.knowledge_version == report.knowledge_version

    page = guidance_folder / "en" / "bin-collections.md"
    page.write_text(page.read_text().replace("every week", "every Tuesday") + "\n## New\n\nMore.\n")
    changed = ingest_paths(db_settings, migrated_engine, [guidance_folder])
    assert (changed.added, changed.updated, changed.unchanged, changed.chunks) == (0, 1, 4, 4)
    assert changed.knowledge_version == report.knowledge_version + 1
    with make_sessionmaker(migrated_engine)() as session:
        repository = KnowledgeRepository(session)
        assert repository.counts() == (5, 14)
        bins = [c.text for c in repository.chunks() if c.page_url.endswith("/bins")]
        assert bins[0] == "Rubbish and recycling bins are collected every Tuesday on the same day."
        events = session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()
        assert [e.action for e in events] == ["knowledge.ingested"] * 3
        payload = json.loads(events[-1].payload)
        assert payload["pages_updated"] == 1 and payload["files_skipped"] == 0
        assert "bin-collections" not in events[-1].payload  # counts only, no names
        assert verify_chain(session).ok


def test_bad_files_are_skipped_and_the_rest_ingested(
    db_settings: Settings, migrated_engine: Engine, guidance_folder: Path
) -> None:
    (guidance_folder / "broken.json").write_text("[{")
    (guidance_folder / "scan.pdf").write_bytes(b"%PDF-1.4 garbage")
    report = ingest_paths(db_settings, migrated_engine, [guidance_folder])
    assert report.added == 5
    assert sorted(Path(s.path).name for s in report.skipped) == ["broken.json", "scan.pdf"]
    assert all(s.describe().startswith("E601: ") for s in report.skipped)
    hits = load_retriever(db_settings, migrated_engine).search("missed bin collection", k=1)
    assert hits[0].url == "https://council.example.gov.uk/bins"


def test_sample_council_pages_ingest(sqlite_settings: Settings, sqlite_engine: Engine) -> None:
    report = ingest_paths(sqlite_settings, sqlite_engine, [sample_council_path()])
    assert report.added >= 1 and not report.skipped
    retriever = load_retriever(sqlite_settings, sqlite_engine)
    with make_sessionmaker(sqlite_engine)() as session:
        locales = {c.locale for c in KnowledgeRepository(session).chunks()}
    assert "en" in locales
    assert retriever.size > 0


def test_cli_ingest_prints_counts_and_skips(tmp_path: Path, guidance_folder: Path) -> None:
    (guidance_folder / "broken.json").write_text("{")
    env = {**os.environ, "CIVICDESK_DATA_DIR": str(tmp_path / "data")}
    script = Path(sys.executable).parent / "civicdesk"
    command = [str(script)] if script.exists() else [
        sys.executable, "-c", "from civicdesk.cli.main import run; run()"
    ]
    result = subprocess.run(
        [*command, "ingest", str(guidance_folder)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "6 files: 5 pages added, 0 updated, 0 unchanged, 1 files skipped; 13 chunks" in (
        result.stdout
    )
    assert "E601: cannot read" in result.stderr and "broken.json" in result.stderr
    empty = subprocess.run(
        [*command, "ingest"], capture_output=True, text=True, env=env, cwd=tmp_path,
        timeout=120, check=False,
    )
    assert empty.returncode == 2
    assert "E602: nothing to ingest." in empty.stderr
