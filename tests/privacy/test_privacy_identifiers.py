"""Each recogniser as a table: (text, expected (type, text) spans), near-misses included."""

from __future__ import annotations

import pytest
from privacy_types import Found

from civicdesk.privacy import PrivacyEngine
from civicdesk.privacy.normalise import normalise

ZW = "\u200b"
CASES: list[tuple[str, list[tuple[str, str]]]] = [
    # National Insurance numbers
    ("My NI number is AB 12 34 56 C.", [("UK_NINO", "AB 12 34 56 C")]),
    ("nino: ce123456d", [("UK_NINO", "ce123456d")]),
    ("national insurance QQ123456C", [("UK_NINO", "QQ123456C")]),
    ("my reference GB123456A", []),
    # NHS numbers (mod 11)
    ("My NHS number is 943 476 5919", [("UK_NHS", "943 476 5919")]),
    ("nhs 943-476-5919 please", [("UK_NHS", "943-476-5919")]),
    ("nhs 9434765919", [("UK_NHS", "9434765919")]),
    ("My NHS number is 943 476 5918", []),
    ("reference HB-2024-943476", []),
    # postcodes
    ("I live in SW1A 1AA now", [("UK_POSTCODE", "SW1A 1AA")]),
    ("postcode cf10 3nq", [("UK_POSTCODE", "cf10 3nq")]),
    ("Do I send the SA100 or the P60?", []),
    # phone numbers
    ("Call me on 07700 900123 after 5", [("PHONE_NUMBER", "07700 900123")]),
    ("ring +44 (0)20 7946 0958", [("PHONE_NUMBER", "+44 (0)20 7946 0958")]),
    ("my mobile is +48 512 345 678", [("PHONE_NUMBER", "+48 512 345 678")]),
    ("office 0161 496 0000 ext 12", [("PHONE_NUMBER", "0161 496 0000 ext 12")]),
    ("Please call me at 123-456-7890.", [("PHONE_NUMBER", "123-456-7890")]),
    ("It costs £1,250.00 and is due on 12/03/2024", []),
    # email
    ("email jo.bloggs+tax@example.co.uk today", [("EMAIL_ADDRESS", "jo.bloggs+tax@example.co.uk")]),
    ("Send it to john . doe @ company . com", [("EMAIL_ADDRESS", "john . doe @ company . com")]),
    # cards (Luhn)
    ("card 4111 1111 1111 1111", [("CREDIT_CARD", "4111 1111 1111 1111")]),
    ("card 4111 1111 1111 1112", []),
    # bank details
    (
        "sort code 12-34-56 account number 12345678",
        [("UK_BANK_ACCOUNT", "12-34-56"), ("UK_BANK_ACCOUNT", "12345678")],
    ),
    ("pay 20-00-00 55779911 please", [("UK_BANK_ACCOUNT", "20-00-00 55779911")]),
    ("the meeting is on 12-03-24", []),
    # IBAN (mod 97)
    ("IBAN GB82 WEST 1234 5698 7654 32", [("IBAN_CODE", "GB82 WEST 1234 5698 7654 32")]),
    ("IBAN GB82WEST12345698765433", []),
    # passport, licence, vehicle, UTR, date of birth, IP
    ("passport number 123456789", [("UK_PASSPORT", "123456789")]),
    ("reference 123456789", []),
    ("Passport AB123456 issued in 2020", [("UK_PASSPORT", "AB123456")]),
    ("licence MORGA753116SM9IJ", [("UK_DRIVING_LICENCE", "MORGA753116SM9IJ")]),
    ("licence MORGA713316SM9IJ", []),
    ("PCN for my car AB12 CDE", [("UK_VEHICLE_REGISTRATION", "AB12 CDE")]),
    ("my UTR is 12345 67890", [("UK_UTR", "12345 67890")]),
    ("the total was 1234567890 pence", []),
    ("I was born on 3rd March 1985", [("DATE_OF_BIRTH", "3rd March 1985")]),
    ("date of birth: 03/04/1990", [("DATE_OF_BIRTH", "03/04/1990")]),
    ("the payment was due on 03/04/2025", []),
    ("blocked IP 192.168.10.20 again", [("IP_ADDRESS", "192.168.10.20")]),
    ("from 2001:db8::8a2e:370:7334 today", [("IP_ADDRESS", "2001:db8::8a2e:370:7334")]),
    ("version 1.2.3 at 10:30:00", []),
    ("My landlord served a section 21 notice", []),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_recognisers(found: Found, text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


OBFUSCATED: list[tuple[str, list[tuple[str, str]]]] = [
    (f"NI AB{ZW}12{ZW}34{ZW}56{ZW}C", [("UK_NINO", f"AB{ZW}12{ZW}34{ZW}56{ZW}C")]),
    ("nhs ９４３４７６５９１９ ok", [("UK_NHS", "９４３４７６５９１９")]),
    ("nhs 9 4 3 4 7 6 5 9 1 9", [("UK_NHS", "9 4 3 4 7 6 5 9 1 9")]),
    ("nhs 943.476.5919", [("UK_NHS", "943.476.5919")]),
    ("call 07700\u2013900\u2013123", [("PHONE_NUMBER", "07700\u2013900\u2013123")]),
    ("ＡＢ１２３４５６Ｃ is my national insurance", [("UK_NINO", "ＡＢ１２３４５６Ｃ")]),
    (
        "card 4111\u00a01111\u00a01111\u00a01111",
        [("CREDIT_CARD", "4111\u00a01111\u00a01111\u00a01111")],
    ),
]


@pytest.mark.parametrize(("text", "expected"), OBFUSCATED)
def test_obfuscated_forms_map_back_to_the_original(
    found: Found, text: str, expected: list[tuple[str, str]]
) -> None:
    assert found(text) == expected


def test_offsets_after_invisible_and_wide_characters(engine: PrivacyEngine) -> None:
    text = f"héllo {ZW}{ZW} ＮＨＳ: 943 476 5919, email a@b.org"
    spans = engine.detect(text)
    assert [(s.type, text[s.start : s.end]) for s in spans] == [
        ("UK_NHS", "943 476 5919"),
        ("EMAIL_ADDRESS", "a@b.org"),
    ]
    redacted = engine.redact(text)
    assert redacted.text == f"héllo {ZW}{ZW} ＮＨＳ: <UK_NHS>, email <EMAIL_ADDRESS>"
    assert redacted.types == frozenset({"UK_NHS", "EMAIL_ADDRESS"})


def test_normalise_keeps_a_map_to_original_offsets() -> None:
    norm = normalise(f"a{ZW}１\u2013b")
    assert norm.text == "a1-b"
    assert norm.span(1, 3) == (2, 4)
    assert normalise("plain ascii").origin is None


def test_empty_and_clean_text(engine: PrivacyEngine) -> None:
    assert engine.detect("") == []
    clean = engine.redact("How do I apply for a blue badge?")
    assert clean.text == "How do I apply for a blue badge?"
    assert clean.spans == () and not clean.changed
