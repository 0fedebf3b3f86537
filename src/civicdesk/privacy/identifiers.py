"""The built-in recognisers for UK identifiers and contact details.

Between two digits the patterns accept one separator (space, dot or dash), so numbers split
to dodge a filter are still found; the check digits then decide.
"""

from __future__ import annotations

import re

from civicdesk.privacy.checks import (
    driving_licence_valid,
    iban_valid,
    ip_address_valid,
    luhn_valid,
    nhs_number_valid,
    north_american_phone_valid,
    phone_valid,
    uk_phone_valid,
)
from civicdesk.privacy.recognisers import Recogniser, pattern

I = re.IGNORECASE  # noqa: E741
S = r"[ .\-]?"  # one optional separator between digits
NO_DIGIT_BEFORE = r"(?<![\w+])(?<!\d[ .\-])(?<![A-Za-z][\-/])"
NO_DIGIT_AFTER = r"(?![ .\-]?\d)(?!\w)"
EXTENSION = r"(?:\s?(?:x|ext\.?|extension)\s?\d{1,5})?"
MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
DAY = r"(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"
DATE = (
    rf"(?:{DAY}[/.\-](?:0?[1-9]|1[0-2])[/.\-](?:19|20)?\d\d"
    rf"|{DAY}(?: of)? {MONTHS},? (?:19|20)\d\d"
    rf"|{MONTHS} {DAY},? (?:19|20)\d\d"
    rf"|(?:19|20)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]))"
)

UK_NINO = Recogniser(
    "UK_NINO",
    [
        pattern(
            "nino",
            r"(?<![A-Za-z0-9])(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
            rf"(?:{S}\d){{6}}{S}[A-D](?![A-Za-z0-9])",
            0.85,
            flags=I,
        ),
        pattern(
            "nino-any-prefix",
            rf"(?<![A-Za-z0-9])[A-Z]{{2}}(?:{S}\d){{6}}{S}[A-D](?![A-Za-z0-9])",
            0.4,
            flags=I,
            needs_context=True,
        ),
    ],
    context=["national insurance", "ni number", "nino", "ni no", "nin", "insurance number"],
)

UK_NHS = Recogniser(
    "UK_NHS",
    [pattern("nhs", rf"{NO_DIGIT_BEFORE}\d(?:{S}\d){{9}}{NO_DIGIT_AFTER}", 0.6)],
    context=["nhs", "health", "gp", "hospital", "patient", "chi number", "hcn"],
    validate=nhs_number_valid,
)

UK_POSTCODE = Recogniser(
    "UK_POSTCODE",
    [
        pattern(
            "postcode",
            r"(?<![A-Za-z0-9])(?:GIR ?0AA|[A-PR-UWYZ](?:\d{1,2}|[A-HK-Y]\d{1,2}|\d[A-HJKPSTUW]"
            r"|[A-HK-Y]\d[ABEHMNPRV-Y]) ?\d[ABD-HJLNP-UW-Z]{2})(?![A-Za-z0-9])",
            0.85,
            flags=I,
        )
    ],
    context=["postcode", "post code", "address", "live", "road", "street"],
)

PHONE_CONTEXT = [
    "phone",
    "telephone",
    "tel",
    "mobile",
    "call",
    "ring",
    "text me",
    "contact",
    "number",
    "landline",
    "whatsapp",
    "cell",
    "fax",
    "extension",
    "desk",
    "office",
    "answering",
    "reach me",
    "messages to",
    "sms",
    "voicemail",
]
PHONE_WORDS = [word for word in PHONE_CONTEXT if word != "number"]
PHONE_NUMBER = Recogniser(
    "PHONE_NUMBER",
    [
        pattern(
            "uk",
            rf"{NO_DIGIT_BEFORE}\(?0\d{{2,4}}\)?(?:{S}\d){{6,8}}{EXTENSION}{NO_DIGIT_AFTER}",
            0.75,
        ),
        pattern(
            "international",
            rf"(?<![\w+])(?:\+|\b00){S}[1-9]\d{{0,2}}{S}(?:\(0\){S})?\(?\d{{1,4}}\)?"
            rf"(?:{S}\d){{4,12}}{EXTENSION}{NO_DIGIT_AFTER}",
            0.8,
        ),
    ],
    context=PHONE_CONTEXT,
    validate=lambda value: uk_phone_valid(value) or north_american_phone_valid(value),
)  # fmt: skip

# Numbers of any country's shape count as phone numbers only next to words like "call".
PHONE_NUMBER_OTHER = Recogniser(
    "PHONE_NUMBER",
    [
        pattern(
            "north-american",
            rf"{NO_DIGIT_BEFORE}(?:1{S})?\(?\d{{3}}\)?{S}\d{{3}}{S}\d{{4}}{EXTENSION}{NO_DIGIT_AFTER}",
            0.45,
        ),
        pattern(
            "any-with-context",
            rf"{NO_DIGIT_BEFORE}(?:(?:\+|\b00){S}\d{{1,3}}{S})?(?:\(\d{{1,4}}\){S})?\d{{2,5}}"
            rf"(?:[ .\-]\d{{2,5}}){{0,4}}{EXTENSION}{NO_DIGIT_AFTER}",
            0.25,
            needs_context=True,
        ),
    ],
    context=PHONE_WORDS,
    validate=phone_valid,
)  # fmt: skip

EMAIL_ADDRESS = Recogniser(
    "EMAIL_ADDRESS",
    [
        pattern(
            "email",
            r"(?<![\w.%+\-])\w[\w.%+\-]*@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
            r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![\w\-])",
            1.0,
            hints=("@",),
        ),
        pattern(
            "spelled-out",
            r"(?<![\w.])\w+(?: ?(?:\.|\bdot\b) ?\w+)* ?(?:@|\(at\)|\[at\]|\bat\b) ?"
            r"[A-Za-z0-9\-]+(?: ?(?:\.|\bdot\b|\(dot\)|\[dot\]) ?[A-Za-z0-9\-]+)*"
            r" ?(?:\.|\bdot\b|\(dot\)|\[dot\]) ?"
            r"(?:com|org|net|gov|ac|co|uk|ca|ie|info|io|me|edu)\b",
            0.75,
            flags=I,
            hints=("@", "dot", "(at)", "[at]"),
        ),
    ],
)

CREDIT_CARD = Recogniser(
    "CREDIT_CARD",
    [
        pattern("card", rf"{NO_DIGIT_BEFORE}[2-6]\d{{3}}(?:{S}\d){{9,15}}{NO_DIGIT_AFTER}", 0.9),
        pattern(
            "short-card",
            rf"{NO_DIGIT_BEFORE}[2-6]\d{{11}}{NO_DIGIT_AFTER}",
            0.4,
            needs_context=True,
        ),
    ],
    context=["card", "visa", "mastercard", "maestro", "amex", "debit", "credit", "payment", "cc"],
    validate=luhn_valid,
)

SORT_CODE = r"\d\d[ \-]\d\d[ \-]\d\d|\d{6}"
UK_BANK_ACCOUNT = Recogniser(
    "UK_BANK_ACCOUNT",
    [
        pattern(
            "sort-code-and-account",
            r"(?<![\w\-])(?:\d\d-\d\d-\d\d)[ ,/;]{1,3}(?:\d{8}|\d{4} \d{4})(?![\w\-])",
            0.9,
        ),
        pattern("sort-code", rf"(?<![\w\-.])(?:{SORT_CODE})(?![\w\-.]\d)(?!\w)", 0.3,
                needs_context=True),
        pattern(
            "account-number",
            r"(?<![\w\-.])(?:\d{8}|\d{4} \d{4})(?![\w\-.]\d)(?!\w)",
            0.3,
            needs_context=True,
        ),
    ],
    context=["sort code", "sort-code", "sortcode", "account number", "account no", "acc no",
             "a/c", "bank account", "account num"],
)  # fmt: skip

IBAN_CODE = Recogniser(
    "IBAN_CODE",
    [
        pattern(
            "iban",
            r"(?<![A-Za-z0-9])[A-Z]{2}\d\d(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?"
            r"(?![A-Za-z0-9])",
            1.0,
        )
    ],
    validate=iban_valid,
)

UK_PASSPORT = Recogniser(
    "UK_PASSPORT",
    [
        pattern(
            "passport",
            r"(?<![\w\-])(?:\d{9}|\d{3} \d{3} \d{3})(?![\w\-])",
            0.45,
            needs_context=True,
        ),
        # Other countries' passports (a resident's) start with letters: "AB123456".
        pattern(
            "passport-letters",
            r"(?<![\w\-])[A-Z]{1,2}\d{6,8}(?![\w\-])",
            0.45,
            flags=I,
            needs_context=True,
        ),
    ],
    context=["passport"],
)

UK_DRIVING_LICENCE = Recogniser(
    "UK_DRIVING_LICENCE",
    [
        pattern(
            "dvla",
            r"(?<![A-Za-z0-9])[A-Z9]{5} ?\d[0156]\d[0-3]\d\d ?[A-Z9]{2}\d[A-Z]{2}(?: ?\d\d)?"
            r"(?![A-Za-z0-9])",
            0.9,
            flags=I,
        )
    ],
    context=["driving licence", "driving license", "licence number", "dvla"],
    validate=driving_licence_valid,
)

UK_VEHICLE_REGISTRATION = Recogniser(
    "UK_VEHICLE_REGISTRATION",
    [
        pattern("current", r"(?<![A-Za-z0-9])[A-HJ-PR-Y][A-HJ-PR-Y]\d\d ?[A-HJ-PR-Z]{3}"
                r"(?![A-Za-z0-9])", 0.7),
        pattern("current-lower", r"(?<![A-Za-z0-9])[a-hj-pr-y]{2}\d\d ?[a-hj-pr-z]{3}"
                r"(?![A-Za-z0-9])", 0.3, needs_context=True),
        pattern("prefix", r"(?<![A-Za-z0-9])[A-HJ-NPR-Y]\d{1,3} ?[A-Z]{3}(?![A-Za-z0-9])", 0.3,
                flags=I, needs_context=True),
        pattern("suffix", r"(?<![A-Za-z0-9])[A-Z]{3} ?\d{1,3} ?[A-HJ-NPR-Y](?![A-Za-z0-9])", 0.3,
                flags=I, needs_context=True),
    ],
    context=["registration", "reg", "number plate", "numberplate", "vehicle", "car", "van",
             "parking", "pcn", "penalty charge", "motorbike", "vrm"],
)  # fmt: skip

UK_UTR = Recogniser(
    "UK_UTR",
    [pattern("utr", r"(?<![\w\-])\d{5} ?\d{5}K?(?![\w\-])", 0.45, flags=I, needs_context=True)],
    context=["utr", "unique taxpayer", "taxpayer reference", "tax reference", "self assessment",
             "self-assessment", "hmrc reference"],
)  # fmt: skip

DATE_OF_BIRTH = Recogniser(
    "DATE_OF_BIRTH",
    [pattern("date", rf"(?<![\w/.\-]){DATE}(?![\w/\-]|\.\d)", 0.3, flags=I, needs_context=True)],
    context=["born", "date of birth", "dob", "d.o.b", "birthday", "birth date", "birthdate",
             "geni", "dyddiad geni"],
)  # fmt: skip

IP_ADDRESS = Recogniser(
    "IP_ADDRESS",
    [
        pattern("ipv4", r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]|\.\d)", 0.8),
        pattern("ipv6", r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])", 0.8),
    ],
    context=["ip", "ip address", "router", "server"],
    validate=ip_address_valid,
)

IDENTIFIERS: tuple[Recogniser, ...] = (
    UK_NINO,
    UK_NHS,
    UK_POSTCODE,
    PHONE_NUMBER,
    PHONE_NUMBER_OTHER,
    EMAIL_ADDRESS,
    CREDIT_CARD,
    UK_BANK_ACCOUNT,
    IBAN_CODE,
    UK_PASSPORT,
    UK_DRIVING_LICENCE,
    UK_VEHICLE_REGISTRATION,
    UK_UTR,
    DATE_OF_BIRTH,
    IP_ADDRESS,
)
