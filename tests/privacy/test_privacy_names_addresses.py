"""PERSON and STREET_ADDRESS: context rules, gazetteers of many origins, address shapes."""

from __future__ import annotations

import pytest
from privacy_types import Found

PEOPLE: list[tuple[str, list[tuple[str, str]]]] = [
    ("Hello, my name is Aisha Khan.", [("PERSON", "Aisha Khan")]),
    ("I spoke to Mrs Kowalska at the office.", [("PERSON", "Kowalska")]),
    ("My neighbour Chidi Okafor parks on the pavement.", [("PERSON", "Chidi Okafor")]),
    ("Regards, Siobhan O'Brien", [("PERSON", "Siobhan O'Brien")]),
    ("my son Gethin has a place at the school", [("PERSON", "Gethin")]),
    ("Dr. Wei Zhang signed the form", [("PERSON", "Wei Zhang")]),
    ("Agnieszka Wiśniewska wrote to us", [("PERSON", "Agnieszka Wiśniewska")]),
    (
        "They had 3: Priya, Emeka and Rhys.",
        [("PERSON", "Priya"), ("PERSON", "Emeka"), ("PERSON", "Rhys")],
    ),  # fmt: skip
    ("hi my name is borna jerković and i need help", [("PERSON", "borna jerković")]),
    ("my name is sarah and my son is ill", [("PERSON", "sarah")]),
    ("Hi Manlio, I am writing about the bins", [("PERSON", "Manlio")]),
    ("Thank you for the help.\nOlusegun Adebayo", [("PERSON", "Olusegun Adebayo")]),
    ("Hijacinta Godina, the carer, rang you", [("PERSON", "Hijacinta Godina")]),
    ("Post: letters to the Post Office are late", []),
    ("I moved from France to Cardiff in May", []),
    ("I claim Universal Credit and Council Tax Reduction.", []),
    ("Will the Housing Benefit team call me back on Monday?", []),
    ("Can I get a Blue Badge for my mum?", []),
    ("Is English or Welsh used at the Jobcentre Plus office?", []),
]


@pytest.mark.parametrize(("text", "expected"), PEOPLE)
def test_people(found: Found, text: str, expected: list[tuple[str, str]]) -> None:
    assert [s for s in found(text) if s[0] == "PERSON"] == expected


ADDRESSES: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "I live at Flat 2, 14 Acacia Avenue, Leeds LS1 4AB.",
        [("STREET_ADDRESS", "Flat 2, 14 Acacia Avenue, Leeds"), ("UK_POSTCODE", "LS1 4AB")],
    ),
    ("Bins not emptied at 7 Mill Lane this week", [("STREET_ADDRESS", "7 Mill Lane")]),
    ("Send it to 12 Heol y Parc, Cardiff", [("STREET_ADDRESS", "12 Heol y Parc, Cardiff")]),
    ("Wohnung: Friedhofstrasse 33", [("STREET_ADDRESS", "Friedhofstrasse 33")]),
    ("I live on Harrow Close near the park", [("STREET_ADDRESS", "Harrow Close")]),
    ("PO Box 91 is where we get post", [("STREET_ADDRESS", "PO Box 91")]),
    (
        "14 Acacia Avenue\nLeeds\nLS1 4AB",
        [("STREET_ADDRESS", "14 Acacia Avenue\nLeeds"), ("UK_POSTCODE", "LS1 4AB")],
    ),
    (
        "Cendrillon lives at Golfskálinn 78, Borgarnes",
        [("PERSON", "Cendrillon"), ("STREET_ADDRESS", "Golfskálinn 78, Borgarnes")],
    ),
    (
        "Post: 4596 Tylova 285\n Suite 578\n Ostrov",
        [("STREET_ADDRESS", "4596 Tylova 285\n Suite 578\n Ostrov")],
    ),
    (
        "Post\n    764 Fagradalsbraut 71\n Apt. 762",
        [("STREET_ADDRESS", "764 Fagradalsbraut 71\n Apt. 762")],
    ),
    ("I was born on 28 June 1998 and read Section 21 twice", [("DATE_OF_BIRTH", "28 June 1998")]),
    ("I waited 3 weeks and paid £40 on 2 occasions", []),
    ("During 1971 the road was built", []),
]


@pytest.mark.parametrize(("text", "expected"), ADDRESSES)
def test_addresses(found: Found, text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected
