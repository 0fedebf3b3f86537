"""Chunking keeps heading paths and anchors, packs short text, and never splits a list item."""

from __future__ import annotations

import pytest

from civicdesk.domain.knowledge import Chunk, GuidancePage, Section
from civicdesk.knowledge.chunking import chunk_page


def _page(*sections: Section) -> GuidancePage:
    return GuidancePage(
        url="https://example.gov.uk/p", title="P", locale="cy", sections=sections
    )


def _sentence(number: int, words: int = 20) -> str:
    return f"Sentence {number} " + " ".join(["word"] * (words - 3)) + " end."


ITEM = "- " + " ".join(["item"] * 300)


@pytest.mark.parametrize(
    ("text", "expected_words"),
    [
        ("One short paragraph.", [3]),
        ("\n\n".join([_sentence(i, 100) for i in range(3)]), [200, 100]),
        (" ".join(_sentence(i, 50) for i in range(12)), [250, 250, 100]),
        ("Intro text here.\n\n" + ITEM, [3, 301]),
        ("- a b\n- c d\n- e f", [9]),
        (" ".join(["run-on"] * 600), [250, 250, 100]),
    ],
    ids=["short", "paragraphs", "long-paragraph", "long-list-item", "list", "run-on"],
)
def test_section_split_sizes(text: str, expected_words: list[int]) -> None:
    chunks = chunk_page(_page(Section(("Heading",), text, "heading")))
    assert [len(c.text.split()) for c in chunks] == expected_words


def test_list_items_stay_whole_and_on_their_own_lines() -> None:
    items = "\n".join(f"- item {i} " + " ".join(["x"] * 40) for i in range(8))
    chunks = chunk_page(_page(Section(("List",), items)))
    assert len(chunks) == 2
    for chunk in chunks:
        for line in chunk.text.split("\n"):
            assert line.startswith("- item ") and len(line.split()) == 43


def test_chunks_keep_page_heading_path_anchor_and_order() -> None:
    page = _page(
        Section((), "Opening text."),
        Section(("Eligibility", "If you rent"), "Renters can apply.", "/eligibility#rent"),
    )
    chunks = chunk_page(page)
    assert chunks == [
        Chunk(chunks[0].id, page.url, "P", (), "Opening text.", "cy", None),
        Chunk(chunks[1].id, page.url, "P", ("Eligibility", "If you rent"),
              "Renters can apply.", "cy", "/eligibility#rent"),
    ]
    assert chunks[0].id != chunks[1].id
    assert chunks[1].section == "Eligibility > If you rent"
    assert chunks[1].citation_url == "https://example.gov.uk/p/eligibility#rent"
    assert chunks[0].citation_url == "https://example.gov.uk/p"


@pytest.mark.parametrize(
    ("anchor", "url"),
    [
        (None, "https://x.gov.uk/a"),
        ("how-to-apply", "https://x.gov.uk/a#how-to-apply"),
        ("page=3", "https://x.gov.uk/a#page=3"),
        ("/pay", "https://x.gov.uk/a/pay"),
        ("/pay#rates", "https://x.gov.uk/a/pay#rates"),
    ],
)
def test_citation_url(anchor: str | None, url: str) -> None:
    chunk = Chunk("c", "https://x.gov.uk/a", "A", (), "text", "en", anchor)
    assert chunk.citation_url == url


def test_chunk_ids_are_stable_across_runs() -> None:
    page = _page(Section(("A",), "Text."))
    assert [c.id for c in chunk_page(page)] == [c.id for c in chunk_page(page)]
