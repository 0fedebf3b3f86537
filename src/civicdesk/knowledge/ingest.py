"""Ingest: files -> pages -> chunks -> database, then fresh index files.

Each file is its own transaction: a bad file is reported and skipped, the rest go in. A page
whose content hash is unchanged is left alone; a changed page replaces its old chunks. One
audit event records the run (counts only, never file names or text).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from civicdesk.errors import CivicdeskError
from civicdesk.knowledge.chunking import chunk_page
from civicdesk.knowledge.retriever import load_retriever
from civicdesk.knowledge.sources import discover, read_source
from civicdesk.settings import Settings
from civicdesk.store.audit import record_event
from civicdesk.store.engine import make_sessionmaker, session_scope
from civicdesk.store.knowledge import KnowledgeRepository

SAMPLE_COUNCIL = Path(__file__).parent / "sample_council"


def sample_council_path() -> Path:
    """The bundled sample council guidance (Markdown with front matter, English and Welsh)."""
    return SAMPLE_COUNCIL


@dataclass(frozen=True)
class SkippedSource:
    path: str
    error: CivicdeskError

    def describe(self) -> str:
        return str(self.error)


@dataclass
class IngestReport:
    """What an ingest run did, for the CLI and the audit trail."""

    files: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    chunks: int = 0
    skipped: list[SkippedSource] = field(default_factory=list)
    seconds: float = 0.0
    knowledge_version: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated)

    def counts(self) -> dict[str, int]:
        return {
            "files": self.files,
            "pages_added": self.added,
            "pages_updated": self.updated,
            "pages_unchanged": self.unchanged,
            "chunks_written": self.chunks,
            "files_skipped": len(self.skipped),
        }


Progress = Callable[[Path, int, int], None]
"""Called after each file with (file, files done, files in total)."""


def ingest_paths(
    settings: Settings,
    engine: Engine,
    paths: Iterable[Path],
    progress: Progress | None = None,
    *,
    actor: str = "system",
    embedding_progress: Callable[[int, int], None] | None = None,
) -> IngestReport:
    """Ingest every supported file under `paths`; returns counts and the files skipped."""
    started = time.perf_counter()
    files = discover(paths)
    report = IngestReport(files=len(files))
    sessions = make_sessionmaker(engine)
    for done, path in enumerate(files, start=1):
        try:
            pages = read_source(path)
        except CivicdeskError as error:
            report.skipped.append(SkippedSource(str(path), error))
        else:
            with session_scope(sessions) as session:
                repository = KnowledgeRepository(session)
                for page in pages:
                    chunks = chunk_page(page)
                    change = repository.save_page(page, chunks)
                    if change == "added":
                        report.added += 1
                    elif change == "updated":
                        report.updated += 1
                    else:
                        report.unchanged += 1
                    if change != "unchanged":
                        report.chunks += len(chunks)
        if progress is not None:
            progress(path, done, len(files))
    with session_scope(sessions) as session:
        state = KnowledgeRepository(session).refresh_state()
        report.knowledge_version = state.version
        record_event(
            session,
            actor=actor,
            action="knowledge.ingested",
            object_type="knowledge",
            object_id=str(state.version),
            payload={**report.counts(), "fingerprint": state.fingerprint},
        )
    # Rebuilds the index files when the knowledge changed, and embeds new chunks when an
    # embedder is set (told to `embedding_progress`).
    load_retriever(settings, engine, embedding_progress)
    report.seconds = time.perf_counter() - started
    return report
