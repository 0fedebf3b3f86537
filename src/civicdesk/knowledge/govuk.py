"""GOV.UK Content API items to guidance pages.

An item keeps its text in `details.body` or, for guides, in `details.parts[]`, each part with a
title and a slug that is also the path of the part's own page. Bodies come as HTML or as
GOV.UK Markdown; both are accepted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from civicdesk.domain.knowledge import GuidancePage, Section
from civicdesk.knowledge.markup import html_sections, markdown_to_html

GOVUK_ORIGIN = "https://www.gov.uk"
_LOOKS_HTML = re.compile(r"^\s*<|</(?:p|h[1-6]|li|div|table)>", re.IGNORECASE)


def is_content_item(value: object) -> bool:
    """True for a mapping shaped like a Content API item."""
    return isinstance(value, Mapping) and "base_path" in value and "title" in value


def parse_date(value: object) -> date | None:
    """A date from an ISO date or timestamp ("2024-01-03 11:39:41+00:00"); None otherwise."""
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _body_sections(
    body: str, *, base_path: tuple[str, ...] = (), slug: str | None = None
) -> list[Section]:
    html = body if _LOOKS_HTML.search(body) else markdown_to_html(body)
    if slug:
        sections, _ = html_sections(
            html, base_path=base_path, base_anchor=f"/{slug}", anchor_prefix=f"/{slug}#"
        )
    else:
        sections, _ = html_sections(html, base_path=base_path)
    return sections


def content_item_page(item: Mapping[str, Any], *, source: str = "") -> GuidancePage:
    """One guidance page from a Content API item; raises ValueError when it has no text."""
    details: Mapping[str, Any] = item.get("details") or {}
    base_path = str(item["base_path"])
    url = str(item.get("web_url") or (GOVUK_ORIGIN + base_path))
    sections: list[Section] = []
    parts = details.get("parts") or []
    if parts:
        for part in parts:
            title = str(part.get("title") or "").strip()
            sections.extend(
                _body_sections(
                    str(part.get("body") or ""),
                    base_path=(title,) if title else (),
                    slug=str(part.get("slug") or "") or None,
                )
            )
    elif details.get("body"):
        sections = _body_sections(str(details["body"]))
    if not sections:
        raise ValueError(f"the item {base_path} has no body text")
    return GuidancePage(
        url=url,
        title=str(item["title"]).strip(),
        locale=str(item.get("locale") or "en"),
        sections=tuple(sections),
        updated=parse_date(item.get("public_updated_at") or item.get("updated_at")),
        description=str(item.get("description") or "").strip(),
        source=source,
    )
