"""AI drafts: guidance verbatim and cited, framed as a reply, never sent on their own."""

from __future__ import annotations

import re

import pytest
from desks import HANDOVER, Desk
from sqlalchemy import select

from civicdesk.casework.drafts import frame, word_edit_distance
from civicdesk.domain.inquiry import Citation, HelpLine
from civicdesk.store.cases import CaseReplyRow
from civicdesk.store.engine import make_sessionmaker
from civicdesk.store.knowledge import ChunkRow

SENTENCE_END = re.compile(r"(?<=[.!?:])\s+(?=[A-Z£0-9])")


@pytest.mark.parametrize(
    ("before", "after", "distance"),
    [
        ("", "", 0),
        ("one two three", "one two three", 0),
        ("one two three", "one  two\nthree", 0),  # spacing is not an edit
        ("one two three", "one 2 three", 1),  # substitution
        ("one two three", "one three", 1),  # deletion
        ("one two three", "one two and three", 1),  # insertion
        ("one two three", "", 3),
        ("", "one two", 2),
        ("kitten sitting on a mat", "sitting kitten on the mat", 3),
        ("a b c d e f", "f e d c b a", 6),
    ],
)
def test_word_edit_distance(before: str, after: str, distance: int) -> None:
    assert word_edit_distance(before, after) == distance
    assert word_edit_distance(after, before) == distance  # symmetric


def test_a_draft_is_guidance_verbatim_with_its_sources(desk: Desk) -> None:
    question = "Can I get council tax reduction on a low income?"
    written = desk.desk.drafts.write(
        reference="CD-TEST-0001", text=question, language="en", help_lines=[]
    )
    assert written.citations and written.relevance > 0
    lines = written.text.split("\n\n")
    assert lines[:2] == ["Hello,", "Thank you for your question (reference CD-TEST-0001)."]
    assert lines[-1] == "Aberwen"
    answer = lines[2]
    with make_sessionmaker(desk.engine)() as session:
        guidance = "\n".join(session.execute(select(ChunkRow.text)).scalars())
    for line in answer.splitlines():
        for sentence in SENTENCE_END.split(line.removeprefix("- ")):
            assert sentence in guidance  # never a word of its own
    for citation in written.citations:
        assert f"- {citation.title}: {citation.url}" in written.text


def test_a_welsh_draft_is_framed_in_welsh() -> None:
    text = frame(
        reference="CD-TEST-0002",
        language="cy",
        answer="Mae biniau'n cael eu casglu bob wythnos.",
        citations=[Citation("https://example.gov.uk/cy/biniau", "Casgliadau biniau", "", "")],
        help_lines=[],
        organisation="Cyngor Sir Aberwen",
    )
    assert text.startswith("Helo,\n\nDiolch am eich cwestiwn (cyfeirnod CD-TEST-0002).")
    assert "Gallwch ddarllen mwy yn ein canllawiau:\n- Casgliadau biniau:" in text


def test_help_lines_come_first() -> None:
    text = frame(
        reference="CD-TEST-0003",
        language="en",
        answer="",
        citations=[],
        help_lines=[HelpLine("Samaritans", phone="116 123", hours="Free, 24 hours a day")],
        organisation="Aberwen",
    )
    assert text.splitlines()[1] == "- Samaritans: 116 123 (Free, 24 hours a day)"
    assert "You can read more" not in text  # no sources, no sources line


def test_no_guidance_leaves_the_body_to_the_caseworker(desk: Desk) -> None:
    written = desk.desk.drafts.write(
        reference="CD-TEST-0004", text="zxqv wibble frobnicate", language="en", help_lines=[]
    )
    assert written.citations == []
    assert written.text == (
        "Hello,\n\nThank you for your question (reference CD-TEST-0004).\n\nAberwen"
    )


def test_a_draft_is_never_sent_on_its_own(desk: Desk) -> None:
    reference = desk.handed_over(HANDOVER)
    case = desk.desk.find(reference)
    assert case is not None and case.draft is not None and case.draft.state == "pending"
    assert case.replies == []
    assert desk.rows(CaseReplyRow) == []
    assert desk.desk.citizen_view(reference, "x") is None
