"""A small guidance corpus written by the team, in English and Welsh, as Markdown files."""

from __future__ import annotations

from pathlib import Path

import pytest

PAGES: dict[str, str] = {
    "en/council-tax-discounts.md": """---
title: Council Tax discounts
url: https://council.example.gov.uk/council-tax/discounts
locale: en
updated: 2026-03-01
description: Discounts and exemptions that reduce your Council Tax bill.
---

## Single person discount

If you are the only adult living in your home you get 25% off your Council Tax bill.

## Students

Full-time students do not pay Council Tax. A home where everyone is a student is exempt.

## Apply for a discount

Apply online with your Council Tax account number.
""",
    "en/bin-collections.md": """---
title: Bin collections
url: https://council.example.gov.uk/bins
locale: en
description: When your rubbish and recycling are collected.
---

## Collection days

Rubbish and recycling bins are collected every week on the same day.

## Missed collections

Report a missed bin within 2 working days and we will come back to empty it.

## Garden waste

Garden waste is collected every two weeks from March to November if you subscribe.
""",
    "en/blue-badge.md": """---
title: Blue Badge parking permits
url: https://council.example.gov.uk/parking/blue-badge
locale: en
---

## Who can apply

You can apply for a Blue Badge if you have a disability that makes walking very difficult.

## How to apply

Apply online. You need a photo, proof of identity and proof of address.

## Renew a badge

A badge lasts 3 years. Renew it up to 12 weeks before it runs out.
""",
    "en/housing-repairs.md": """---
title: Report a repair in your council home
url: https://council.example.gov.uk/housing/repairs
locale: en
---

## Emergency repairs

Call us straight away about a gas leak, flooding or no heating. We attend within 24 hours.

## Damp and mould

Tell us about damp or mould. An inspector will visit within 10 working days.
""",
    "cy/casgliadau-biniau.md": """---
title: Casgliadau biniau
url: https://council.example.gov.uk/cy/biniau
locale: cy
---

## Diwrnodau casglu

Rydym yn casglu biniau sbwriel ac ailgylchu bob wythnos ar yr un diwrnod.

## Biniau a gollwyd

Rhowch wybod am fin a gollwyd o fewn 2 ddiwrnod gwaith.
""",
}


def write_corpus(folder: Path, pages: dict[str, str] | None = None) -> Path:
    for name, text in (pages or PAGES).items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def guidance_folder(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "guidance")
