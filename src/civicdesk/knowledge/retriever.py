"""The retriever the assistant calls, and the index files kept beside the database.

With an embedder set (settings `embedder`), the index folder also holds the chunks' vectors
(see vectors.py), and the retriever ranks by vectors where the settings say: for every
question fused with the lexical ranking (`vector_search = "hybrid"`), or only for questions
in a language the guidance is not written in (`"other-languages"`, the default).

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
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

from civicdesk.domain.knowledge import PageHit
from civicdesk.errors import StorageError
from civicdesk.knowledge.embedders import Embedder, EmbeddingUnavailable, make_embedder
from civicdesk.knowledge.index import (
    FORMAT_VERSION,
    LexicalIndex,
    RankingParameters,
    build_index,
    load_index,
    save_index,
)
from civicdesk.knowledge.vectors import (
    POOL,
    VectorIndex,
    build_vectors,
    cache_file,
    chunk_digest,
    fuse,
    load_vectors,
    read_cache,
    save_vectors,
    vector_pages,
    vectors_file,
    write_cache,
)
from civicdesk.logging import get_logger
from civicdesk.settings import Settings
from civicdesk.store.engine import make_sessionmaker
from civicdesk.store.knowledge import KnowledgeRepository

log = get_logger(__name__)
_lock = threading.Lock()
_loaded: dict[Path, LexicalIndex] = {}
_vectors: dict[tuple[Path, str], tuple[str, VectorIndex]] = {}
_embedders: dict[tuple[str, str, str], Embedder] = {}
_failed: dict[tuple[Path, str], tuple[str, float]] = {}
RETRY_SECONDS = 60.0  # after an embedder fails to embed the guidance


class Retriever:
    """Ranked search over the knowledge base: pages best first, with their chunks.

    Lexical (BM25F) always; with `vectors` and their `embedder`, vector ranking too, for
    every question (`mode="hybrid"`) or only for questions in a language no guidance is
    written in (`mode="other-languages"`). `last_ranking` says which ranking the last search
    in this thread used ("lexical", "hybrid", "vector", or "lexical:embedder_unavailable").
    """

    def __init__(
        self,
        index: LexicalIndex,
        vectors: VectorIndex | None = None,
        embedder: Embedder | None = None,
        mode: str = "other-languages",
    ) -> None:
        self.index = index
        self.vectors = vectors if embedder is not None else None
        self.embedder = embedder
        self.mode = mode
        self._local = threading.local()

    @property
    def name(self) -> str:
        if self.vectors is None:
            return "bm25f"
        return f"bm25f+{self.vectors.embedder}:{self.mode}"

    @property
    def last_ranking(self) -> str:
        return str(getattr(self._local, "ranking", "lexical"))

    def crosses_languages(self, language: str | None) -> bool:
        """Whether a question in `language` is ranked by vectors across languages."""
        if self.vectors is None or not language or language == "und":
            return False
        return language.split("-")[0].lower() not in self.index.languages

    @property
    def fingerprint(self) -> str:
        return self.index.fingerprint

    @property
    def size(self) -> int:
        """Number of chunks searched."""
        return self.index.size

    def search(
        self,
        query: str,
        *,
        k: int = 5,
        locale: str | None = None,
        chunks_per_page: int = 3,
        query_language: str | None = None,
    ) -> list[PageHit]:
        """The `k` best pages for `query`, each with its best chunks, best first.

        `locale` ("en", "cy") keeps only pages in that language; None searches all.
        `query_language` is the language the question is written in, when known.
        """
        self._local.ranking = "lexical"
        if k <= 0 or not query.strip():
            return []
        across = self.crosses_languages(query_language)
        if self.vectors is None or not (across or self.mode == "hybrid"):
            return self.index.search(query, k=k, locale=locale, chunks_per_page=chunks_per_page)
        try:
            by_vector = self._vector_search(query, max(k, POOL), locale, chunks_per_page)
        except EmbeddingUnavailable:
            self._local.ranking = "lexical:embedder_unavailable"
            return self.index.search(query, k=k, locale=locale, chunks_per_page=chunks_per_page)
        if across:
            self._local.ranking = "vector"
            return by_vector[:k]
        self._local.ranking = "hybrid"
        lexical = self.index.search(
            query, k=max(k, POOL), locale=locale, chunks_per_page=chunks_per_page
        )
        return fuse(lexical, by_vector, k)

    def _vector_search(
        self, query: str, k: int, locale: str | None, chunks_per_page: int
    ) -> list[PageHit]:
        assert self.vectors is not None and self.embedder is not None
        vector = self.embedder.queries([query])[0]
        scores = self.vectors.chunk_scores(vector)
        allowed = ~self.index.navigation
        if locale:
            allowed &= self.index.in_language(locale)
        return vector_pages(self.vectors, self.index.chunks, scores, allowed, k, chunks_per_page)


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


def load_retriever(
    settings: Settings,
    engine: Engine,
    embedding_progress: Callable[[int, int], None] | None = None,
) -> Retriever:
    """The retriever over the current knowledge, rebuilding the index files when stale.

    With an embedder set, chunk vectors are read or made too; `embedding_progress` is told
    (chunks embedded, chunks to embed) as they are made."""
    root = index_root(settings)
    wanted = _database_fingerprint(engine)
    with _lock:
        cached = _loaded.get(root.resolve())
    if cached is not None and cached.fingerprint == wanted:
        return _with_vectors(settings, cached, embedding_progress)
    index = _read_current(root)
    if index is None or index.fingerprint != wanted:
        log.debug("knowledge index missing or stale; rebuilding from the database")
        index = rebuild_index_files(settings, engine)
    with _lock:
        _loaded[root.resolve()] = index
    return _with_vectors(settings, index, embedding_progress)


def embedder_for(settings: Settings) -> Embedder | None:
    """The settings' embedder, one per process (a model loads once)."""
    key = (settings.embedder, settings.embedder_model, settings.embedder_base_url)
    with _lock:
        if key not in _embedders:
            made = make_embedder(settings)
            if made is None:
                return None
            _embedders[key] = made
        return _embedders[key]


def _with_vectors(
    settings: Settings,
    index: LexicalIndex,
    progress: Callable[[int, int], None] | None = None,
) -> Retriever:
    embedder = embedder_for(settings)
    if embedder is None:
        return Retriever(index)
    vectors = vector_index(settings, index, embedder, progress)
    return Retriever(index, vectors, embedder if vectors else None, settings.vector_search)


def vector_index(
    settings: Settings,
    index: LexicalIndex,
    embedder: Embedder,
    progress: Callable[[int, int], None] | None = None,
) -> VectorIndex | None:
    """The chunks' vectors for `embedder`: kept in this process, read from the index folder,
    or made (reusing the embedding cache) and saved. None when the embedder fails: the
    retriever then ranks lexically, and says so."""
    root = index_root(settings)
    key = (root.resolve(), embedder.name)
    with _lock:
        kept = _vectors.get(key)
        failed = _failed.get(key)
    if kept is not None and kept[0] == index.fingerprint:
        return kept[1]
    if failed is not None and failed[0] == index.fingerprint:
        if time.monotonic() - failed[1] < RETRY_SECONDS:
            return None  # the embedder failed a moment ago: rank lexically, try again later
    digest = chunk_digest(index.chunks)
    path = vectors_file(root, embedder.name, index.fingerprint)
    page_count = len(index.page_urls)
    vectors = load_vectors(
        path, embedder.name, index.fingerprint, digest, index.chunk_page, page_count
    )
    if vectors is None:
        store = cache_file(root, embedder.name)
        try:
            vectors, cache = build_vectors(
                index.chunks, index.chunk_page, page_count, embedder, read_cache(store), progress
            )
        except EmbeddingUnavailable as error:
            with _lock:
                _failed[key] = (index.fingerprint, time.monotonic())
            log.warning(
                "embedder unavailable; ranking lexically", embedder=embedder.name, error=str(error)
            )
            return None
        root.mkdir(parents=True, exist_ok=True)
        save_vectors(vectors, path, index.fingerprint, digest)
        write_cache(store, cache)
        for old in root.glob("vectors-*.npz"):
            if old != path and ".tmp." not in old.name:
                old.unlink(missing_ok=True)
        log.debug("chunk vectors built", chunks=index.size, embedder=embedder.name)
    with _lock:
        _vectors[key] = (index.fingerprint, vectors)
    return vectors
