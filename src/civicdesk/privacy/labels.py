"""Human phrases for each type, in English and Welsh, for the citizen's "we removed" message."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

LABELS: Mapping[str, tuple[str, str]] = {
    "UK_NINO": ("a National Insurance number", "rhif Yswiriant Gwladol"),
    "UK_NHS": ("an NHS number", "rhif GIG"),
    "UK_POSTCODE": ("a postcode", "cod post"),
    "PHONE_NUMBER": ("a phone number", "rhif ffôn"),
    "EMAIL_ADDRESS": ("an email address", "cyfeiriad e-bost"),
    "CREDIT_CARD": ("a payment card number", "rhif cerdyn talu"),
    "UK_BANK_ACCOUNT": ("bank account details", "manylion cyfrif banc"),
    "IBAN_CODE": ("an international bank account number", "rhif cyfrif banc rhyngwladol"),
    "UK_PASSPORT": ("a passport number", "rhif pasbort"),
    "UK_DRIVING_LICENCE": ("a driving licence number", "rhif trwydded yrru"),
    "UK_VEHICLE_REGISTRATION": ("a vehicle registration number", "rhif cofrestru cerbyd"),
    "UK_UTR": ("a tax reference (UTR)", "cyfeirnod treth (UTR)"),
    "DATE_OF_BIRTH": ("a date of birth", "dyddiad geni"),
    "IP_ADDRESS": ("an IP address", "cyfeiriad IP"),
    "PERSON": ("a name", "enw"),
    "STREET_ADDRESS": ("a street address", "cyfeiriad stryd"),
}  # fmt: skip
FALLBACK = ("other personal details", "manylion personol eraill")
ORDER = tuple(LABELS)


def describe_types(
    types: Iterable[str],
    lang: str = "en",
    extra: Mapping[str, tuple[str, str]] | None = None,
) -> list[str]:
    """One phrase per kind of data found, in a stable order, in "en" or "cy" (others: en).

    ``extra`` carries labels of deployment-specific types from the rules file; a type with no
    label is described as "other personal details", once.
    """
    welsh = 1 if lang == "cy" else 0
    known = {**LABELS, **(extra or {})}
    ordered = sorted(set(types), key=lambda t: (ORDER.index(t) if t in ORDER else len(ORDER), t))
    phrases: list[str] = []
    for kind in ordered:
        phrase = known.get(kind, FALLBACK)[welsh]
        if phrase not in phrases:
            phrases.append(phrase)
    return phrases
