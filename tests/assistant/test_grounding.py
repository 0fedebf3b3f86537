"""Grounding checks: each row is a sentence, the source it cites, and the verdict expected.

The source is written the way the sample council's guidance is (a table, a list, a phone
number); the sentences are what a model might write about it, faithful or not.
"""

from __future__ import annotations

import pytest

from civicdesk.assistant.grounding import (
    Claim,
    KnownLinks,
    SourceText,
    check_grounding,
    facts,
    normalise_url,
    remove_unknown_links,
)

PERMITS = SourceText(
    url="https://www.aberwen.gov.uk/parking/parking-permits#resident-permits",
    passages=(
        "You can get a resident permit if:\n\n"
        "- you live at an address in a residents' parking zone\n\n"
        "| Permit | Price for 12 months |\n| --- | --- |\n"
        "| First vehicle | £45 |\n| Second vehicle | £70 |\n\n"
        "Each household can have up to 2 resident permits.",
        "If you cannot apply online, phone the parking team on 01632 960400 "
        "(Monday to Friday 9am to 5pm). Email parking@aberwen.gov.uk with questions. "
        "The DVLA explains vehicle tax at https://www.gov.uk/vehicle-tax.",
    ),
    heading="Resident and visitor parking permits Resident permits",
)
BINS = SourceText(
    url="https://www.aberwen.gov.uk/bins-and-recycling/bin-collections",
    passages=("We collect your black bin every 2 weeks, on the same day as your recycling.",),
    heading="Bin collection days",
)
SOURCES = [PERMITS, BINS]
KNOWN = KnownLinks(
    [
        "https://www.aberwen.gov.uk/parking/parking-permits",
        "https://www.aberwen.gov.uk/bins-and-recycling/bin-collections",
    ]
)


def check(text: str, sources: tuple[int, ...] = (0,), **options: object) -> tuple[str, str]:
    report = check_grounding(
        [Claim(text, sources)],
        SOURCES,
        KNOWN.__contains__,
        min_support=0.75,
        verbatim=bool(options.get("verbatim", False)),
    )
    result = report.sentences[0]
    return result.verdict, result.text


@pytest.mark.parametrize(
    ("sentence", "verdict"),
    [
        # faithful paraphrases
        ("A resident permit for your first vehicle costs £45 for 12 months.", "supported"),
        ("A permit for a second vehicle is £70.", "supported"),
        ("Each household can have up to two resident permits.", "supported"),  # "two" is 2
        ("Phone the parking team on 01632 960400, Monday to Friday 9am to 5pm.", "supported"),
        ("Phone the parking team on 01632 960 400.", "supported"),  # phone digits joined
        ("Email parking@aberwen.gov.uk with your questions.", "supported"),
        # a wrong fact, however familiar the words
        ("A permit for a second vehicle costs £75.", "facts_differ"),
        ("Each household can have up to three resident permits.", "facts_differ"),
        ("Phone the parking team on 01632 960401.", "facts_differ"),
        ("Phone the parking team on Saturday.", "facts_differ"),
        ("Email permits@aberwen.gov.uk with your questions.", "facts_differ"),
        # invented content
        ("You can also get a free permit by writing to the mayor.", "unsupported"),
        ("Permits are free for everyone over 65.", "facts_differ"),
        ("Permits are free for pensioners.", "unsupported"),
        # a bare yes or no is a claim the guidance must make
        ("Yes.", "unsupported"),
        # nothing to check: no content words at all
        ("You can.", "too_short"),
    ],
)
def test_sentence_support(sentence: str, verdict: str) -> None:
    assert check(sentence)[0] == verdict


def test_support_is_measured_against_every_source_cited() -> None:
    sentence = "Your first vehicle permit is £45 and we collect your black bin every 2 weeks."
    assert check(sentence, (0,))[0] == "unsupported"
    assert check(sentence, (0, 1))[0] == "supported"


def test_best_supporting_source_becomes_the_citation() -> None:
    report = check_grounding(
        [Claim("We collect your black bin every 2 weeks.", (0, 1))],
        SOURCES,
        KNOWN.__contains__,
        min_support=0.75,
    )
    assert report.sentences[0].citation == 1


@pytest.mark.parametrize(
    ("sources", "verdict", "unknown"),
    [((7,), "no_source", (7,)), ((-1, 0), "supported", (-1,)), ((), "no_source", ())],
)
def test_cited_ids_must_have_been_retrieved(
    sources: tuple[int, ...], verdict: str, unknown: tuple[int, ...]
) -> None:
    report = check_grounding(
        [Claim("A permit for your first vehicle costs £45.", sources)],
        SOURCES,
        KNOWN.__contains__,
        min_support=0.75,
    )
    assert report.sentences[0].verdict == verdict
    assert report.sentences[0].unknown_sources == unknown
    assert report.summary()["unknown_sources"] == len(unknown)


@pytest.mark.parametrize(
    ("sentence", "shown", "removed"),
    [
        (
            "You can apply at https://www.aberwen.gov.uk/parking/apply-now.",
            "You can apply.",
            ("https://www.aberwen.gov.uk/parking/apply-now",),
        ),
        (
            "Apply for a resident permit (https://permits.example.com/apply) online.",
            "Apply for a resident permit online.",
            ("https://permits.example.com/apply",),
        ),
        (
            "You need a resident permit (see https://permits.example.com/apply).",
            "You need a resident permit.",
            ("https://permits.example.com/apply",),
        ),
        (
            "Read about [resident permits](https://aberwen-permits.co.uk/apply) first.",
            "Read about resident permits first.",
            ("https://aberwen-permits.co.uk/apply",),
        ),
        (
            "Apply online at aberwen.gov.uk/permits/apply today.",
            "Apply online today.",
            ("aberwen.gov.uk/permits/apply",),
        ),
        (  # a page of the knowledge base stays, however it is written
            "See https://www.aberwen.gov.uk/parking/parking-permits/ for permits.",
            "See https://www.aberwen.gov.uk/parking/parking-permits/ for permits.",
            (),
        ),
        (
            "Read http://WWW.ABERWEN.GOV.UK/parking/parking-permits#visitor-permits too.",
            "Read http://WWW.ABERWEN.GOV.UK/parking/parking-permits#visitor-permits too.",
            (),
        ),
        (  # a link the cited guidance itself gives is not invented
            "Read about vehicle tax at https://www.gov.uk/vehicle-tax.",
            "Read about vehicle tax at https://www.gov.uk/vehicle-tax.",
            (),
        ),
        (  # an email address is not a link
            "Email parking@aberwen.gov.uk.",
            "Email parking@aberwen.gov.uk.",
            (),
        ),
    ],
)
def test_links_not_in_the_knowledge_base_are_removed(
    sentence: str, shown: str, removed: tuple[str, ...]
) -> None:
    quoted = KnownLinks(["https://www.gov.uk/vehicle-tax"])
    text, gone = remove_unknown_links(sentence, lambda url: url in KNOWN or url in quoted)
    assert (text, gone) == (shown, removed)


def test_an_invented_link_is_removed_in_the_report_too() -> None:
    report = check_grounding(
        [Claim("You can apply online at https://www.aberwen.gov.uk/apply-now.", (0,))],
        SOURCES,
        KNOWN.__contains__,
        min_support=0.75,
    )
    result = report.sentences[0]
    assert result.text == "You can apply online."
    assert result.kept
    assert report.summary()["links_removed"] == 1


def test_a_quoted_link_is_kept_only_when_its_source_is_cited() -> None:
    sentence = "Read about vehicle tax at https://www.gov.uk/vehicle-tax."
    report = check_grounding(
        [Claim(sentence, (0,)), Claim(sentence, (1,))], SOURCES, KNOWN.__contains__, min_support=0
    )
    assert report.sentences[0].removed_urls == ()
    assert report.sentences[1].removed_urls == ("https://www.gov.uk/vehicle-tax",)


def test_extractive_parts_must_be_verbatim() -> None:
    assert check("Each household can have up to 2 resident permits.", verbatim=True)[0] == (
        "supported"
    )
    assert check("Each household can have up to two resident permits.", verbatim=True)[0] == (
        "not_verbatim"
    )


def test_a_lead_in_is_kept_only_with_what_follows_it() -> None:
    claims = [
        Claim("You can get a resident permit if:", (0,)),
        Claim("you live at an address in a residents' parking zone", (0,), is_list_item=True),
        Claim("You can:", (0,)),
    ]
    report = check_grounding(claims, SOURCES, KNOWN.__contains__, min_support=0.75)
    assert [s.verdict for s in report.sentences] == ["supported", "supported", "lead_in_alone"]
    claims[1] = Claim("you own a yacht", (0,), is_list_item=True)
    report = check_grounding(claims, SOURCES, KNOWN.__contains__, min_support=0.75)
    assert [s.verdict for s in report.sentences] == [
        "lead_in_alone",
        "unsupported",
        "lead_in_alone",
    ]


@pytest.mark.parametrize(
    ("kept", "total", "enough"), [(0, 0, False), (0, 3, False), (1, 3, False), (2, 3, True)]
)
def test_too_little_left_means_a_person_should_answer(kept: int, total: int, enough: bool) -> None:
    good = Claim("A permit for your first vehicle costs £45.", (0,))
    bad = Claim("Permits are free for pensioners.", (0,))
    claims = [good] * kept + [bad] * (total - kept)
    report = check_grounding(claims, SOURCES, KNOWN.__contains__, min_support=0.75)
    assert len(report.kept) == kept
    assert report.enough_left is enough


def test_summary_holds_verdicts_and_numbers_never_text() -> None:
    report = check_grounding(
        [Claim("A permit for your first vehicle costs £45.", (0,)), Claim("You can.", (0,))],
        SOURCES,
        KNOWN.__contains__,
        min_support=0.75,
    )
    summary = report.summary()
    assert summary["verdicts"] == ["supported", "too_short"]
    assert summary["dropped"] == {"too_short": 1}
    assert "£45" not in str(summary)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("It costs £1,200.00 a year", {"£1200", "1200"}),
        ("Call 01632 960400 between 9am and 5pm", {"01632960400", "9", "5"}),
        ("every two weeks on Monday", {"2", "monday"}),
        ("Email careconnect@aberwen.gov.uk.", {"careconnect@aberwen.gov.uk"}),
        ("bob dydd Llun", set()),
    ],
)
def test_facts_that_must_match_exactly(text: str, expected: set[str]) -> None:
    assert facts(text) == expected


def test_welsh_day_names_are_facts_in_welsh_guidance() -> None:
    assert facts("bob dydd Llun", "cy") == {"llun"}


def test_urls_compare_loosely_only_where_it_is_safe() -> None:
    assert (
        normalise_url("HTTP://WWW.Aberwen.gov.uk/Parking/") == "https://www.aberwen.gov.uk/Parking"
    )
    assert normalise_url("www.aberwen.gov.uk/parking.") == "https://www.aberwen.gov.uk/parking"
    assert "https://www.aberwen.gov.uk/parking/parking-permits#anything" in KNOWN
    assert "https://www.aberwen.gov.uk/parking/parking-permits/apply" not in KNOWN
