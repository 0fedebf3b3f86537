"""The retriever the assistant calls, and the index files kept beside the database.

Index files live in ``settings.data_dir / "index"``: one folder per build, named by the
knowledge fingerprint, and ``current.json`` pointing at the one in use (replaced atomically,
so a reader never sees a half-written index). :func:`load_retriever` compares the stored
fingerprint with the database's; when they differ, or the files are missing or damaged, it
rebuilds from the database. A process keeps the last index it loaded, so a fresh check costs
one small query.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

from civicdesk.domain.knowledge import PageHit
from civicdesk.errors import StorageError
from civicdesk.knowledge.index import (
    FORMAT_VERSION,
    LexicalIndex,
    RankingParameters,
    build_index,
    load_index,
    save_index,
)
from civicdesk.logging import get_logger
from civicdesk.settings import Settings
from civicdesk.store.engine import make_sessionmaker
from civicdesk.store.knowledge import KnowledgeRepository

log = get_logger(__name__)
_lock = threading.Lock()
_loaded: dict[Path, LexicalIndex] = {}


class Retriever:
    """Ranked lexical search over the knowledge base: pages best first, with their chunks."""

    name = "bm25f"

    def __init__(self, index: LexicalIndex) -> None:
        self.index = index

    @property
    def fingerprint(self) -> str:
        return self.index.fingerprint

    @property
    def size(self) -> int:
        """Number of chunks searched."""
        return self.index.size

    def search(
        self, query: str, *, k: int = 5, locale: str | None = None, chunks_per_page: int = 3
    ) -> list[PageHit]:
        """The `k` best pages for `query`, each with its best chunks, best first.

        `locale` ("en", "cy") keeps only pages in that language; None searches all.
        """
        if k <= 0 or not query.strip():
            return []
        return self.index.search(query, k=k, locale=locale, chunks_per_page=chunks_per_page)


def index_root(settings: Settings) -> Path:
    return settings.data_dir / "index"


def _fingerprint_key(database_fingerprint: str) -> str:
    """What the index files are checked against: the knowledge and the index format."""
    return f"{FORMAT_VERSION}:{database_fingerprint}"


def _database_fingerprint(engine: Engine) -> str:
    try:
        with make_sessionmaker(engine)() as session:
            return _fingerprint_key(KnowledgeRepository(session).state().fingerprint)
    except (OperationalError, ProgrammingError):
        raise StorageError(
            "the knowledge tables are missing from the database.",
            hint="Run `civicdesk db upgrade` (or `civicdesk init`), then ingest guidance.",
            code="E603",
        ) from None


def build_from_database(
    engine: Engine, parameters: RankingParameters | None = None
) -> LexicalIndex:
    with make_sessionmaker(engine)() as session:
        repository = KnowledgeRepository(session)
        fingerprint = _fingerprint_key(repository.state().fingerprint)
        chunks = list(repository.chunks())
        descriptions = repository.descriptions()
    return build_index(
        chunks, fingerprint=fingerprint, descriptions=descriptions, parameters=parameters
    )


def rebuild_index_files(settings: Settings, engine: Engine) -> LexicalIndex:
    """Build the index from the database and make it the current one on disk."""
    index = build_from_database(engine)
    root = index_root(settings)
    folder = root / f"lexical-{index.fingerprint.split(':')[-1][:20]}-{os.getpid()}"
    if folder.exists():
        shutil.rmtree(folder)
    save_index(index, folder)
    pointer = root / f"current.{os.getpid()}.tmp"
    pointer.write_text(json.dumps({"folder": folder.name, "fingerprint": index.fingerprint}))
    os.replace(pointer, root / "current.json")
    for old in root.glob("lexical-*"):
        if old != folder:
            shutil.rmtree(old, ignore_errors=True)
    with _lock:
        _loaded[root.resolve()] = index
    log.debug("knowledge index built", chunks=index.size, pages=len(index.page_urls))
    return index


def _read_current(root: Path) -> LexicalIndex | None:
    try:
        current = json.loads((root / "current.json").read_text())
        return load_index(root / str(current["folder"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def load_retriever(settings: Settings, engine: Engine) -> Retriever:
    """The retriever over the current knowledge, rebuilding the index files when stale."""
    root = index_root(settings)
    wanted = _database_fingerprint(engine)
    with _lock:
        cached = _loaded.get(root.resolve())
    if cached is not None and cached.fingerprint == wanted:
        return Retriever(cached)
    index = _read_current(root)
    if index is None or index.fingerprint != wanted:
        log.debug("knowledge index missing or stale; rebuilding from the database")
        index = rebuild_index_files(settings, engine)
    with _lock:
        _loaded[root.resolve()] = index
    return Retriever(index)
