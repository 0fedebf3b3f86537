"""Office documents to sections: PDF (pypdf) and Word DOCX (python-docx).

A DOCX keeps its headings (the "Heading N" styles) and its list items. A PDF has no reliable
headings: when it has an outline (bookmarks) each entry starts a section; otherwise each page
is a section. PDF anchors are "page=N", which PDF viewers honour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from civicdesk.domain.knowledge import Section
from civicdesk.knowledge.markup import slugify

if TYPE_CHECKING:
    from pypdf import PdfReader

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)
_BLANK_LINES = re.compile(r"\n\s*\n")
_SPACES = re.compile(r"[ \t\f\v]+")


@dataclass(frozen=True)
class DocumentText:
    """What a document yields before it becomes a page."""

    title: str
    sections: list[Section]
    updated: date | None = None
    description: str = ""


def read_docx(path: Path) -> DocumentText:
    import docx  # here, not at the top: a server that never ingests need not load it

    document = docx.Document(str(path))
    title = (document.core_properties.title or "").strip()
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    blocks: list[str] = []

    def flush() -> None:
        if blocks:
            heading_path = tuple(text for _, text in stack)
            anchor = slugify(stack[-1][1]) if stack else None
            sections.append(Section(heading_path, "\n\n".join(blocks), anchor))
        blocks.clear()

    for item in document.iter_inner_content():
        if isinstance(item, docx.table.Table):
            for row in item.rows:
                cells = [cell.text.strip() for cell in row.cells]
                line = " | ".join(dict.fromkeys(cell for cell in cells if cell))
                if line:
                    blocks.append(line)
            continue
        text = item.text.strip()
        if not text:
            continue
        style = (item.style.name if item.style is not None else "") or ""
        heading = _HEADING_STYLE.match(style)
        if style.lower() == "title":
            title = title or text
        elif heading:
            flush()
            level = int(heading.group(1))
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, text))
        elif style.lower().startswith("list") or _is_numbered(item):
            if blocks and blocks[-1].startswith("- "):
                blocks[-1] += f"\n- {text}"
            else:
                blocks.append(f"- {text}")
        else:
            blocks.append(text)
    flush()
    modified = document.core_properties.modified
    return DocumentText(
        title=title or (stack[0][1] if stack else path.stem.replace("-", " ").strip()),
        sections=sections,
        updated=modified.date() if modified else None,
        description=(document.core_properties.subject or "").strip(),
    )


def _is_numbered(paragraph: Any) -> bool:
    properties = paragraph._p.pPr
    return properties is not None and properties.numPr is not None


def _page_paragraphs(text: str) -> list[str]:
    paragraphs = []
    for block in _BLANK_LINES.split(text):
        joined = _SPACES.sub(" ", " ".join(line.strip() for line in block.splitlines())).strip()
        if joined:
            paragraphs.append(joined)
    return paragraphs


def read_pdf(path: Path) -> DocumentText:
    import pypdf  # here, not at the top: a server that never ingests need not load it

    reader = pypdf.PdfReader(str(path))
    pages = [page.extract_text() or "" for page in reader.pages]
    starts = _outline_starts(reader)
    sections: list[Section] = []
    if starts:
        bounds = [*starts, (len(pages), "")]
        if starts[0][0] > 0:
            bounds.insert(0, (0, ""))
        for (first, heading), (after, _) in zip(bounds, bounds[1:], strict=False):
            text = "\n\n".join(pages[first : max(after, first + 1)])
            paragraphs = _page_paragraphs(text)
            if paragraphs:
                path_ = (heading,) if heading else ()
                sections.append(Section(path_, "\n\n".join(paragraphs), f"page={first + 1}"))
    else:
        for number, text in enumerate(pages, start=1):
            paragraphs = _page_paragraphs(text)
            if paragraphs:
                sections.append(Section((), "\n\n".join(paragraphs), f"page={number}"))
    metadata = reader.metadata
    title = str(metadata.title).strip() if metadata is not None and metadata.title else ""
    modified = metadata.modification_date if metadata is not None else None
    if not title and sections:
        title = sections[0].text.split("\n\n", 1)[0][:120]
    return DocumentText(
        title=title or path.stem,
        sections=sections,
        updated=modified.date() if modified else None,
    )


def _outline_starts(reader: PdfReader) -> list[tuple[int, str]]:
    """(first page index, title) of each top-level outline entry, in page order."""
    try:
        outline = reader.outline
    except Exception:  # noqa: BLE001 - a broken outline is no reason to refuse the text
        return []
    starts: list[tuple[int, str]] = []
    for entry in outline:
        if isinstance(entry, list):
            continue
        try:
            page = reader.get_destination_page_number(entry)
        except Exception:  # noqa: BLE001
            continue
        title = str(getattr(entry, "title", "") or "").strip()
        if page is not None and page >= 0 and title:
            starts.append((page, title))
    return sorted(set(starts))
