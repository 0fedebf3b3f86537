"""Every source format becomes a GuidancePage with title, URL, locale, date and sections."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import docx
import pytest
from reportlab.pdfgen import canvas  # type: ignore[import-untyped]

from civicdesk.knowledge.sources import SourceUnreadable, discover, read_source

GUIDE_ITEM = {
    "title": "Maternity pay and leave",
    "base_path": "/maternity-pay-leave",
    "description": "Statutory Maternity Pay and Leave",
    "locale": "en",
    "public_updated_at": "2024-04-06 09:00:00+01:00",
    "details": {
        "body": "## Overview\n\nIgnored: the parts are used.",
        "parts": [
            {
                "title": "Overview",
                "slug": "overview",
                "body": '<p>You can take 52 weeks.</p><h2 id="leave">Leave</h2>'
                "<ul><li>26 weeks ordinary leave</li><li>26 weeks additional leave</li></ul>",
            },
            {
                "title": "Pay",
                "slug": "pay",
                "body": "<p>Statutory Maternity Pay is paid for 39 weeks.</p>",
            },
        ],
    },
}
ANSWER_ITEM = {
    "title": "Lwfans Ceisio Gwaith",
    "base_path": "/guidance/jsa.cy",
    "locale": "cy",
    "updated_at": "2023-10-20T13:25:32+01:00",
    "details": {
        "body": "## Trosolwg\n\nMae JSA yn daliad bob pythefnos.\n\n*[JSA]: Lwfans Ceisio Gwaith\n",
        "parts": None,
    },
}


def test_govuk_guide_parts_become_sections_with_part_links(tmp_path: Path) -> None:
    path = tmp_path / "guide.json"
    path.write_text(json.dumps(GUIDE_ITEM))
    [page] = read_source(path)
    assert page.url == "https://www.gov.uk/maternity-pay-leave"
    assert page.title == "Maternity pay and leave"
    assert page.updated == date(2024, 4, 6)
    assert page.description == "Statutory Maternity Pay and Leave"
    assert [(s.heading_path, s.anchor) for s in page.sections] == [
        (("Overview",), "/overview"),
        (("Overview", "Leave"), "/overview#leave"),
        (("Pay",), "/pay"),
    ]
    assert page.sections[1].text == "- 26 weeks ordinary leave\n- 26 weeks additional leave"


def test_govuk_list_with_markdown_body_keeps_welsh(tmp_path: Path) -> None:
    path = tmp_path / "pages.json"
    path.write_text(json.dumps([GUIDE_ITEM, ANSWER_ITEM]))
    pages = read_source(path)
    welsh = pages[1]
    assert (welsh.locale, welsh.url) == ("cy", "https://www.gov.uk/guidance/jsa.cy")
    assert welsh.updated == date(2023, 10, 20)
    assert welsh.sections[0].heading_path == ("Trosolwg",)
    assert welsh.sections[0].text == "Mae JSA yn daliad bob pythefnos."  # abbreviation dropped


def test_markdown_front_matter(guidance_folder: Path) -> None:
    [page] = read_source(guidance_folder / "en" / "council-tax-discounts.md")
    assert page.title == "Council Tax discounts"
    assert page.url == "https://council.example.gov.uk/council-tax/discounts"
    assert page.updated == date(2026, 3, 1)
    assert page.sections[0].heading_path == ("Single person discount",)
    assert page.sections[0].anchor == "single-person-discount"


def test_markdown_without_front_matter_takes_title_from_h1(tmp_path: Path) -> None:
    path = tmp_path / "parking-fines.md"
    path.write_text("# Parking fines\n\nPay within 14 days.\n\n## Appeal\n\n1. Write to us\n")
    [page] = read_source(path)
    assert page.title == "Parking fines"
    assert page.url == path.resolve().as_uri()
    assert page.locale == "en"
    assert [s.heading_path for s in page.sections] == [(), ("Appeal",)]
    assert page.sections[1].text == "- Write to us"


def test_html_page(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        '<html lang="cy"><head><title>Site | Treth</title>'
        '<link rel="canonical" href="https://example.gov.uk/cy/treth">'
        '<meta name="dcterms.modified" content="2025-01-02"></head>'
        "<body><nav>Menu</nav><main><h1>Treth y cyngor</h1><p>Talu ar-lein.</p>"
        '<h2 id="gostyngiadau">Gostyngiadau</h2><table><tr><th>Band</th><td>A</td></tr></table>'
        "</main><footer>Footer</footer></body></html>"
    )
    [page] = read_source(path)
    assert (page.title, page.locale, page.url) == (
        "Treth y cyngor",
        "cy",
        "https://example.gov.uk/cy/treth",
    )
    assert page.updated == date(2025, 1, 2)
    assert [(s.heading_path, s.text, s.anchor) for s in page.sections] == [
        ((), "Talu ar-lein.", None),
        (("Gostyngiadau",), "Band | A", "gostyngiadau"),
    ]


def test_pdf_with_outline(tmp_path: Path) -> None:
    path = tmp_path / "housing-allocation.pdf"
    pdf = canvas.Canvas(str(path))
    pdf.setTitle("Housing allocation policy")
    for number, (heading, line) in enumerate(
        [
            ("Who can apply", "Anyone over 16 can join the housing register."),
            ("Priority bands", "Band A is for people who are homeless."),
        ]
    ):
        pdf.bookmarkPage(f"p{number}")
        pdf.addOutlineEntry(heading, f"p{number}", level=0)
        pdf.drawString(72, 720, line)
        pdf.showPage()
    pdf.save()
    [page] = read_source(path)
    assert page.title == "Housing allocation policy"
    assert [(s.heading_path, s.anchor) for s in page.sections] == [
        (("Who can apply",), "page=1"),
        (("Priority bands",), "page=2"),
    ]
    assert "homeless" in page.sections[1].text


def test_docx_headings_lists_and_tables(tmp_path: Path) -> None:
    path = tmp_path / "school-transport.docx"
    document = docx.Document()
    document.add_heading("School transport", level=0)
    document.add_paragraph("Free transport for eligible children.")
    document.add_heading("Eligibility", level=1)
    document.add_paragraph("lives over 3 miles away", style="List Bullet")
    document.add_paragraph("has special needs", style="List Bullet")
    document.add_heading("Over 16", level=2)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Age 16 to 18"
    table.rows[0].cells[1].text = "Pass costs 200 pounds"
    document.save(str(path))
    [page] = read_source(path)
    assert page.title == "School transport"
    assert [(s.heading_path, s.text) for s in page.sections] == [
        ((), "Free transport for eligible children."),
        (("Eligibility",), "- lives over 3 miles away\n- has special needs"),
        (("Eligibility", "Over 16"), "Age 16 to 18 | Pass costs 200 pounds"),
    ]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("broken.json", "{not json", "cannot read"),
        ("other.json", '{"hello": "world"}', "not GOV.UK Content API JSON"),
        ("empty-item.json", '{"title": "T", "base_path": "/t", "details": {}}', "no body text"),
        ("bad.pdf", "this is not a PDF", "cannot read"),
        ("bad.docx", "this is not a zip", "cannot read"),
        ("empty.md", "---\ntitle: Nothing\n---\n", "no text to index"),
        ("bad-front.md", "---\ntitle: [unclosed\n---\nText", "cannot read"),
        ("unclosed.md", "---\ntitle: x\nText", "no closing"),
    ],
)
def test_bad_files_raise_one_line_naming_the_file(
    tmp_path: Path, name: str, content: str, reason: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(SourceUnreadable) as caught:
        read_source(path)
    message = str(caught.value)
    assert message.startswith("E601: ")
    assert name in message and reason in message
    assert "\n" not in message


def test_discover_walks_folders_recursively(guidance_folder: Path) -> None:
    (guidance_folder / "notes.txt").write_text("not guidance")
    (guidance_folder / ".hidden.md").write_text("# Hidden")
    found = discover([guidance_folder])
    assert [p.relative_to(guidance_folder).as_posix() for p in found] == [
        "cy/casgliadau-biniau.md",
        "en/bin-collections.md",
        "en/blue-badge.md",
        "en/council-tax-discounts.md",
        "en/housing-repairs.md",
    ]
    with pytest.raises(SourceUnreadable, match="does not exist"):
        discover([guidance_folder / "missing"])


def test_folder_documents_are_not_guidance(tmp_path: Path) -> None:
    from civicdesk.knowledge.sources import discover

    (tmp_path / "README.md").write_text("# About this folder\n")
    (tmp_path / "LICENSE.txt").write_text("licence")
    (tmp_path / "bins.md").write_text("# Bins\n\nBins are collected weekly.\n")
    assert [p.name for p in discover([tmp_path])] == ["bins.md"]
    assert [p.name for p in discover([tmp_path / "README.md"])] == ["README.md"]
