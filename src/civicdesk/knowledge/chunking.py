"""Sections to chunks: one or more passages per heading path, each small enough to cite.

A section that fits in `max_words` is one chunk. A longer one is packed greedily, aiming at
`target_words`, from paragraphs; list items are units of their own and never split; a
paragraph longer than `max_words` is cut at sentence ends (and, for a run-on sentence, at
word boundaries).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

from civicdesk.domain.knowledge import Chunk, GuidancePage

TARGET_WORDS = 180
MAX_WORDS = 250
# Sections that only link to other pages: never an answer, and never a match by meaning (their
# text is mostly the page title, so their vector sits close to many questions).
NAVIGATION_HEADINGS = frozenset(
    {
        "related guidance",
        "related content",
        "related links",
        "canllawiau cysylltiedig",
        "cysylltiedig",
    }
)


def is_navigation(chunk: Chunk) -> bool:
    """Whether `chunk` is a list of links to other pages ("Related guidance")."""
    return bool(chunk.heading_path) and chunk.heading_path[-1].lower() in NAVIGATION_HEADINGS
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\u2018\u201c])")


def _word_count(text: str) -> int:
    return len(text.split())


def _units(text: str, max_words: int) -> Iterator[str]:
    """Paragraphs and list items, with over-long ones cut at sentences then words."""
    for paragraph in text.split("\n\n"):
        lines = paragraph.split("\n") if paragraph.startswith("- ") else [paragraph]
        for unit in lines:
            unit = unit.strip()
            if not unit:
                continue
            if _word_count(unit) <= max_words or unit.startswith("- "):
                yield unit
                continue
            yield from _cut_long(unit, max_words)


def _cut_long(paragraph: str, max_words: int) -> Iterator[str]:
    current: list[str] = []
    for sentence in _SENTENCE_END.split(paragraph):
        words = sentence.split()
        while len(words) > max_words:
            if current:
                yield " ".join(current)
                current = []
            yield " ".join(words[:max_words])
            words = words[max_words:]
        if current and len(current) + len(words) > max_words:
            yield " ".join(current)
            current = []
        current.extend(words)
    if current:
        yield " ".join(current)


def _pack(units: list[str], target_words: int, max_words: int) -> list[str]:
    passages: list[str] = []
    current: list[str] = []
    size = 0
    for unit in units:
        words = _word_count(unit)
        if current and (size >= target_words or size + words > max_words):
            passages.append(_join(current))
            current, size = [], 0
        current.append(unit)
        size += words
    if current:
        passages.append(_join(current))
    return passages


def _join(units: list[str]) -> str:
    text = ""
    for unit in units:
        if not text:
            text = unit
        elif unit.startswith("- ") and text.rsplit("\n", 1)[-1].startswith("- "):
            text += "\n" + unit
        else:
            text += "\n\n" + unit
    return text


def chunk_id(url: str, ordinal: int) -> str:
    """A stable id: the page's URL digest and the chunk's position on the page."""
    return f"{hashlib.sha256(url.encode()).hexdigest()[:16]}-{ordinal:04d}"


def chunk_page(
    page: GuidancePage, *, target_words: int = TARGET_WORDS, max_words: int = MAX_WORDS
) -> list[Chunk]:
    """The page's chunks in reading order."""
    chunks: list[Chunk] = []
    for section in page.sections:
        units = list(_units(section.text, max_words))
        for passage in _pack(units, target_words, max_words):
            chunks.append(
                Chunk(
                    id=chunk_id(page.url, len(chunks)),
                    page_url=page.url,
                    page_title=page.title,
                    heading_path=section.heading_path,
                    text=passage,
                    locale=page.locale,
                    anchor=section.anchor,
                )
            )
    return chunks
