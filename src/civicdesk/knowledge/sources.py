"""Files and folders to guidance pages, whatever their format.

Supported: GOV.UK Content API JSON (one item or a list), HTML, Markdown (optional YAML front
matter: title, url, locale, updated, description), PDF and DOCX. Folders are read
recursively. A file that cannot be read raises :class:`SourceUnreadable` naming it; the
ingest carries on with the other files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from selectolax.lexbor import LexborHTMLParser

from civicdesk.domain.knowledge import GuidancePage
from civicdesk.errors import CivicdeskError
from civicdesk.knowledge.documents import DocumentText, read_docx, read_pdf
from civicdesk.knowledge.govuk import content_item_page, is_content_item, parse_date
from civicdesk.knowledge.markup import html_sections, markdown_to_html

MARKDOWN = {".md", ".markdown"}
HTML = {".html", ".htm"}
SUPPORTED = MARKDOWN | HTML | {".json", ".pdf", ".docx"}


class SourceUnreadable(CivicdeskError):
    """A guidance file that cannot be turned into pages."""

    code = "E601"


FOLDER_DOCUMENTS = frozenset({"readme", "license", "licence", "changelog", "contributing"})


def discover(paths: Iterable[Path]) -> list[Path]:
    """Every supported file under the given files and folders, in a stable order.

    In a folder, files that describe the folder itself (README, LICENCE, CHANGELOG ...) are
    not guidance and are passed over; name one explicitly to ingest it.
    """
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file()
                    and p.suffix.lower() in SUPPORTED
                    and not p.name.startswith(".")
                    and p.stem.lower() not in FOLDER_DOCUMENTS
                )
            )
        elif path.exists():
            found.append(path)
        else:
            raise SourceUnreadable(f"{path} does not exist.", hint="Check the path and retry.")
    return list(dict.fromkeys(found))


def read_source(path: Path) -> list[GuidancePage]:
    """The pages in one file; raises SourceUnreadable with the file's name and the reason."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".json":
            pages = _read_json(path)
        elif suffix in MARKDOWN:
            pages = [_read_markdown(path)]
        elif suffix in HTML:
            pages = [_read_html(path)]
        elif suffix == ".pdf":
            pages = [_document_page(path, read_pdf(path))]
        elif suffix == ".docx":
            pages = [_document_page(path, read_docx(path))]
        else:
            raise ValueError(f"unsupported file type {suffix or '(none)'}")
    except SourceUnreadable:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure names the file and goes on
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SourceUnreadable(
            f"cannot read {path}: {reason}.",
            hint="Fix or remove the file; the other files were ingested.",
        ) from None
    empty = [page for page in pages if not page.sections]
    if empty:
        raise SourceUnreadable(
            f"{path} has no text to index.",
            hint="Check it is not a scanned image or an empty file; the others were ingested.",
        )
    return pages


def _file_url(path: Path) -> str:
    return path.resolve().as_uri()


def _read_json(path: Path) -> list[GuidancePage]:
    data: Any = json.loads(path.read_text(encoding="utf-8"))
    items = data if isinstance(data, list) else [data]
    if not items or not all(is_content_item(item) for item in items):
        raise ValueError("not GOV.UK Content API JSON (each item needs base_path and title)")
    return [content_item_page(item, source=str(path)) for item in items]


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """YAML front matter (between --- lines at the top) and the rest of the text."""
    if not text.startswith("---"):
        return {}, text
    lines = text.splitlines(keepends=True)
    for number, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            meta = yaml.safe_load("".join(lines[1:number])) or {}
            if not isinstance(meta, dict):
                raise ValueError("the front matter is not a mapping of names to values")
            return meta, "".join(lines[number + 1 :])
    raise ValueError("the front matter has no closing --- line")


def _read_markdown(path: Path) -> GuidancePage:
    meta, body = split_front_matter(path.read_text(encoding="utf-8"))
    sections, first_h1 = html_sections(markdown_to_html(body))
    return GuidancePage(
        url=str(meta.get("url") or _file_url(path)),
        title=str(meta.get("title") or first_h1 or path.stem.replace("-", " ")).strip(),
        locale=str(meta.get("locale") or meta.get("lang") or "en"),
        sections=tuple(sections),
        updated=parse_date(meta.get("updated")),
        description=str(meta.get("description") or "").strip(),
        source=str(path),
    )


def _read_html(path: Path) -> GuidancePage:
    html = path.read_text(encoding="utf-8", errors="replace")
    tree = LexborHTMLParser(html)
    root = tree.css_first("html")
    main = tree.css_first("main") or tree.css_first("article")
    sections, first_h1 = html_sections(main.html or "" if main else html)
    title_node = tree.css_first("title")
    canonical = tree.css_first('link[rel="canonical"]')
    description = tree.css_first('meta[name="description"]')
    modified = tree.css_first('meta[name="dcterms.modified"]') or tree.css_first(
        'meta[property="article:modified_time"]'
    )
    title = first_h1 or (title_node.text(strip=True) if title_node else "") or path.stem
    return GuidancePage(
        url=str((canonical.attributes.get("href") if canonical else None) or _file_url(path)),
        title=title.strip(),
        locale=str((root.attributes.get("lang") if root else None) or "en"),
        sections=tuple(sections),
        updated=parse_date(modified.attributes.get("content") if modified else None),
        description=str(description.attributes.get("content") or "") if description else "",
        source=str(path),
    )


def _document_page(path: Path, document: DocumentText) -> GuidancePage:
    return GuidancePage(
        url=_file_url(path),
        title=document.title,
        locale="en",
        sections=tuple(document.sections),
        updated=document.updated,
        description=document.description,
        source=str(path),
    )
