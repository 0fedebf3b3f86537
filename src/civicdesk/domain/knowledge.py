"""Guidance as data: pages, their sections, the chunks we index, and search results."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Section:
    """A part of a page under one heading path, e.g. ("Eligibility", "If you rent").

    `anchor` locates the section from its page's URL: a fragment id ("eligibility",
    "page=3"), or, for a part of a multi-page guide, a path below the page starting with "/"
    ("/eligibility", "/eligibility#if-you-rent").
    """

    heading_path: tuple[str, ...]
    text: str
    anchor: str | None = None


@dataclass(frozen=True)
class GuidancePage:
    """One page of official guidance, parsed from any source format."""

    url: str
    title: str
    locale: str
    sections: tuple[Section, ...]
    updated: date | None = None
    description: str = ""
    source: str = ""


@dataclass(frozen=True)
class Chunk:
    """A passage that is indexed and cited; it keeps its page and heading path."""

    id: str
    page_url: str
    page_title: str
    heading_path: tuple[str, ...]
    text: str
    locale: str
    anchor: str | None = None

    @property
    def section(self) -> str:
        return " > ".join(self.heading_path)

    @property
    def citation_url(self) -> str:
        """The link that opens this chunk's section (see Section.anchor)."""
        if not self.anchor:
            return self.page_url
        if self.anchor.startswith("/"):
            return self.page_url.rstrip("/") + self.anchor
        return f"{self.page_url}#{self.anchor}"


@dataclass(frozen=True)
class ChunkHit:
    chunk: Chunk
    score: float


@dataclass(frozen=True)
class PageHit:
    """Retrieval result: a page, its score, and its best chunks, best first."""

    url: str
    title: str
    locale: str
    score: float
    chunks: tuple[ChunkHit, ...] = field(default_factory=tuple)
