"""Guidance pages and their chunks in the database, and the knowledge fingerprint.

The fingerprint is a digest of every page's URL and content hash. It changes exactly when the
knowledge changes, so index files built from the database can tell when they are stale.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    delete,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from civicdesk.domain.knowledge import Chunk, GuidancePage
from civicdesk.store.base import Base, utcnow

EMPTY_FINGERPRINT = hashlib.sha256(b"").hexdigest()


class PageRow(Base):
    __tablename__ = "knowledge_pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(2000), nullable=False, unique=True)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    locale: Mapped[str] = mapped_column(String(20), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    updated: Mapped[date | None] = mapped_column(Date, nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    source: Mapped[str] = mapped_column(Text, nullable=False, default="")
    ingested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class ChunkRow(Base):
    __tablename__ = "knowledge_chunks"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    page_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("knowledge_pages.id", ondelete="CASCADE"), nullable=False, index=True
    )
    ordinal: Mapped[int] = mapped_column(Integer, nullable=False)
    heading_path: Mapped[str] = mapped_column(Text, nullable=False)
    anchor: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    text: Mapped[str] = mapped_column(Text, nullable=False)


class KnowledgeStateRow(Base):
    """One row: the knowledge version (bumped on every change) and its fingerprint."""

    __tablename__ = "knowledge_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    fingerprint: Mapped[str] = mapped_column(String(64), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


def content_hash(page: GuidancePage) -> str:
    """Digest of what a citizen would read: title, locale, dates, description and sections."""
    body = {
        "title": page.title,
        "locale": page.locale,
        "updated": page.updated.isoformat() if page.updated else None,
        "description": page.description,
        "sections": [[list(s.heading_path), s.anchor, s.text] for s in page.sections],
    }
    encoded = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


@dataclass(frozen=True)
class KnowledgeState:
    version: int
    fingerprint: str


Change = Literal["added", "updated", "unchanged"]


class KnowledgeRepository:
    """Reads and writes pages and chunks inside the caller's session (and transaction)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def save_page(self, page: GuidancePage, chunks: list[Chunk]) -> Change:
        """Store a page and its chunks, replacing an older version; skip it when unchanged."""
        digest = content_hash(page)
        row = self.session.execute(
            select(PageRow).where(PageRow.url == page.url)
        ).scalar_one_or_none()
        if row is not None and row.content_hash == digest:
            return "unchanged"
        change: Change = "updated" if row is not None else "added"
        if row is None:
            row = PageRow(url=page.url)
            self.session.add(row)
        else:
            self.session.execute(delete(ChunkRow).where(ChunkRow.page_id == row.id))
        row.title = page.title
        row.locale = page.locale
        row.description = page.description
        row.updated = page.updated
        row.content_hash = digest
        row.source = page.source
        row.ingested_at = utcnow()
        self.session.flush()
        self.session.add_all(
            ChunkRow(
                id=chunk.id,
                page_id=row.id,
                ordinal=ordinal,
                heading_path=json.dumps(list(chunk.heading_path), ensure_ascii=False),
                anchor=chunk.anchor,
                text=chunk.text,
            )
            for ordinal, chunk in enumerate(chunks)
        )
        self.session.flush()
        return change

    def remove_page(self, url: str) -> bool:
        row = self.session.execute(select(PageRow).where(PageRow.url == url)).scalar_one_or_none()
        if row is None:
            return False
        self.session.execute(delete(ChunkRow).where(ChunkRow.page_id == row.id))
        self.session.delete(row)
        self.session.flush()
        return True

    def counts(self) -> tuple[int, int]:
        pages = self.session.execute(select(func.count()).select_from(PageRow)).scalar_one()
        chunks = self.session.execute(select(func.count()).select_from(ChunkRow)).scalar_one()
        return int(pages), int(chunks)

    def descriptions(self) -> dict[str, str]:
        rows = self.session.execute(select(PageRow.url, PageRow.description))
        return {url: description for url, description in rows}

    def chunks(self) -> Iterator[Chunk]:
        """Every chunk, page by page in reading order."""
        rows = self.session.execute(
            select(ChunkRow, PageRow.url, PageRow.title, PageRow.locale)
            .join(PageRow, PageRow.id == ChunkRow.page_id)
            .order_by(PageRow.url, ChunkRow.ordinal)
        )
        for chunk, url, title, locale in rows:
            yield Chunk(
                id=chunk.id,
                page_url=url,
                page_title=title,
                heading_path=tuple(json.loads(chunk.heading_path)),
                text=chunk.text,
                locale=locale,
                anchor=chunk.anchor,
            )

    def state(self) -> KnowledgeState:
        row = self.session.get(KnowledgeStateRow, 1)
        if row is None:
            return KnowledgeState(0, EMPTY_FINGERPRINT)
        return KnowledgeState(row.version, row.fingerprint)

    def refresh_state(self) -> KnowledgeState:
        """Recompute the fingerprint; bump the version when it changed."""
        digest = hashlib.sha256()
        rows = self.session.execute(
            select(PageRow.url, PageRow.content_hash).order_by(PageRow.url)
        )
        for url, page_hash in rows:
            digest.update(f"{url}\n{page_hash}\n".encode())
        fingerprint = digest.hexdigest()
        row = self.session.get(KnowledgeStateRow, 1)
        if row is None:
            row = KnowledgeStateRow(id=1, version=0, fingerprint=EMPTY_FINGERPRINT)
            self.session.add(row)
        if row.fingerprint != fingerprint or row.version == 0:
            row.version += 1
            row.fingerprint = fingerprint
            row.changed_at = utcnow()
        self.session.flush()
        return KnowledgeState(row.version, row.fingerprint)
