"""HTML and Markdown to sections: the text under each heading path, lists kept whole.

Markdown is rendered to HTML first, so both formats go through one sectioniser. A section's
text is paragraphs separated by blank lines; the items of a list are consecutive lines that
start with "- ", so the chunker can keep each item whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from selectolax.lexbor import LexborHTMLParser, LexborNode

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

from civicdesk.domain.knowledge import Section

HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_SKIP = {"script", "style", "noscript", "template", "nav", "header", "footer", "head", "svg"}
_LEAF_BLOCKS = {"p", "pre", "dt", "dd", "figcaption", "caption", "summary", "address"}
_LISTS = {"ul", "ol"}
_INLINE_BREAKS = {"br"}
_BLOCKISH = (
    set(HEADINGS) | _LEAF_BLOCKS | _LISTS
    | {"li", "div", "section", "article", "main", "aside", "table", "thead", "tbody", "tfoot"}
    | {"tr", "td", "th", "blockquote", "details", "dl", "figure", "form", "fieldset", "hr"}
)
_SPACES = re.compile(r"\s+")
_ABBREVIATION = re.compile(r"^\*\[[^\]]+\]:.*$", re.MULTILINE)
_NOT_SLUG = re.compile(r"[^\w]+")


def slugify(text: str) -> str:
    """A GOV.UK-style anchor for a heading: lower case, words joined by hyphens."""
    return _NOT_SLUG.sub("-", text.lower().replace("\u2019", "").replace("'", "")).strip("-_")


def _clean(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def node_text(node: LexborNode) -> str:
    """Visible text of a node, with a space wherever a block or line break separates words."""
    parts: list[str] = []
    _collect_text(node, parts)
    return _clean("".join(parts)).replace(" .", ".").replace(" ,", ",")


def _collect_text(node: LexborNode, parts: list[str]) -> None:
    for child in node.iter(include_text=True):
        if child.is_text_node:
            parts.append(child.text_content or "")
        elif child.tag in _SKIP:
            continue
        elif child.tag in _INLINE_BREAKS:
            parts.append(" ")
        elif child.tag in _BLOCKISH:
            parts.append(" ")
            _collect_text(child, parts)
            parts.append(" ")
        else:
            _collect_text(child, parts)


@dataclass
class _Builder:
    """Collects blocks under the current heading path and closes a section at each heading."""

    base_path: tuple[str, ...] = ()
    base_anchor: str | None = None
    anchor_prefix: str = ""
    sections: list[Section] = field(default_factory=list)
    stack: list[tuple[int, str]] = field(default_factory=list)
    anchor: str | None = None
    blocks: list[str] = field(default_factory=list)
    first_h1: str | None = None

    def heading(self, level: int, title: str, anchor: str | None) -> None:
        self.flush()
        if level == 1 and self.first_h1 is None:
            self.first_h1 = title
            if not self.stack and not self.base_path:
                return  # the page title: not part of the heading paths below it
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, title))
        slug = anchor or slugify(title)
        self.anchor = f"{self.anchor_prefix}{slug}" if slug else self.base_anchor

    def block(self, text: str) -> None:
        if text:
            self.blocks.append(text)

    def flush(self) -> None:
        if self.blocks:
            path = self.base_path + tuple(title for _, title in self.stack)
            anchor = self.anchor if self.stack else self.base_anchor
            self.sections.append(Section(path, "\n\n".join(self.blocks), anchor))
        self.blocks = []


def _walk(node: LexborNode, builder: _Builder) -> None:
    inline: list[str] = []

    def end_inline() -> None:
        builder.block(_clean("".join(inline)).replace(" .", ".").replace(" ,", ","))
        inline.clear()

    for child in node.iter(include_text=True):
        tag = "" if child.is_text_node else (child.tag or "")
        if child.is_text_node:
            inline.append(child.text_content or "")
            continue
        if tag in _SKIP or tag.startswith("#"):
            continue
        if tag not in _BLOCKISH:
            inline.append(node_text(child))
            continue
        end_inline()
        if tag in HEADINGS:
            title = node_text(child)
            if title:
                builder.heading(HEADINGS[tag], title, child.attributes.get("id"))
        elif tag in _LISTS:
            items = [node_text(item) for item in child.iter() if item.tag == "li"]
            builder.block("\n".join(f"- {item}" for item in items if item))
        elif tag in _LEAF_BLOCKS or tag == "li":
            builder.block(node_text(child))
        elif tag == "tr":
            cells = [node_text(cell) for cell in child.iter() if cell.tag in ("td", "th")]
            builder.block(" | ".join(cell for cell in cells if cell))
        else:
            _walk(child, builder)
    end_inline()


def html_sections(
    html: str,
    *,
    base_path: tuple[str, ...] = (),
    base_anchor: str | None = None,
    anchor_prefix: str = "",
) -> tuple[list[Section], str | None]:
    """Sections of an HTML fragment or document, and the text of its first H1 (if any).

    `base_path` is prefixed to every heading path (a guide part's title, say); `base_anchor`
    is the anchor of text before the first heading; `anchor_prefix` goes before heading ids.
    """
    tree = LexborHTMLParser(html)
    root = tree.body or tree.root
    builder = _Builder(base_path=base_path, base_anchor=base_anchor, anchor_prefix=anchor_prefix)
    if root is not None:
        _walk(root, builder)
    builder.flush()
    return builder.sections, builder.first_h1


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    """The renderer, made on first use: a server that never ingests need not load it."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table")


def markdown_to_html(text: str) -> str:
    """Render Markdown (GOV.UK flavour tolerated: abbreviation lines are dropped)."""
    html: str = _markdown().render(_ABBREVIATION.sub("", text))
    return html
