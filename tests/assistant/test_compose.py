"""The extractive composer keeps guidance word for word, in order, tied to its source."""

from __future__ import annotations

from civicdesk.assistant.compose import compose_extractive, render_answer, split_units
from civicdesk.assistant.terms import content_terms
from civicdesk.domain.knowledge import Chunk, ChunkHit, PageHit

PERMITS = Chunk(
    id="permits-1",
    page_url="https://www.example.gov.uk/parking-permits",
    page_title="Resident parking permits",
    heading_path=("Costs",),
    text=(
        "A resident permit costs £45 a year. A second permit for the same address costs £80.\n"
        "You can pay by:\n"
        "- debit or credit card online\n"
        "- phone on 01632 960100\n"
        "Permits are valid for 12 months from the start date. Blue Badge holders park free."
    ),
    locale="en",
    anchor="costs",
)
BINS = Chunk(
    id="bins-1",
    page_url="https://www.example.gov.uk/bins",
    page_title="Bin collections",
    heading_path=("Collection days",),
    text="Black bins are collected every 2 weeks. Recycling is collected every week.",
    locale="en",
)


def hits(*chunks: Chunk) -> list[PageHit]:
    return [
        PageHit(c.page_url, c.page_title, c.locale, 10.0 - i, (ChunkHit(c, 10.0 - i),))
        for i, c in enumerate(chunks)
    ]


def test_units_are_sentences_and_list_items() -> None:
    units = split_units(PERMITS)
    assert [u.text for u in units] == [
        "A resident permit costs £45 a year.",
        "A second permit for the same address costs £80.",
        "You can pay by:",
        "debit or credit card online",
        "phone on 01632 960100",
        "Permits are valid for 12 months from the start date.",
        "Blue Badge holders park free.",
    ]
    assert [u.is_list_item for u in units] == [False, False, False, True, True, False, False]


def test_answer_is_verbatim_and_cited() -> None:
    composition = compose_extractive("how much does a resident parking permit cost", hits(PERMITS))
    assert composition.parts
    assert composition.parts[0].text == "A resident permit costs £45 a year."
    for part in composition.parts:
        assert part.text in PERMITS.text
    assert composition.citations[0].url == "https://www.example.gov.uk/parking-permits#costs"
    assert composition.citations[0].section == "Costs"
    assert composition.relevance > 0.5


def test_lead_in_brings_its_list() -> None:
    composition = compose_extractive("how can I pay for a permit", hits(PERMITS))
    texts = [p.text for p in composition.parts]
    assert "You can pay by:" in texts
    assert "debit or credit card online" in texts
    assert texts.index("You can pay by:") < texts.index("debit or credit card online")
    rendered = render_answer(composition.parts)
    assert "- debit or credit card online" in rendered


def test_nothing_relevant_scores_low() -> None:
    composition = compose_extractive("planning permission for a conservatory", hits(BINS))
    assert composition.relevance < 0.5


def test_no_terms_no_answer() -> None:
    assert compose_extractive("the and of", hits(BINS)).parts == []
    assert compose_extractive("bins", []).parts == []


def test_content_terms_drop_stop_words_and_stem() -> None:
    assert content_terms("When are the black bins collected?") == ("black", "bin", "collect")
