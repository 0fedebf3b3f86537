"""check: every part is verbatim guidance from a retrieved page, and no personal data goes out.

Guidance is published, so the contact details a body publishes (phone numbers, email and
street addresses, names of offices) may appear in answers. Identifiers that belong to a
person never may: a part that contains one is dropped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from civicdesk.assistant.compose import render_answer
from civicdesk.assistant.context import InquiryContext, Verdict
from civicdesk.domain.inquiry import AnswerPart

PERSONAL_IDENTIFIERS = frozenset(
    {
        "UK_NINO",
        "UK_NHS",
        "CREDIT_CARD",
        "UK_BANK_ACCOUNT",
        "IBAN_CODE",
        "UK_PASSPORT",
        "UK_DRIVING_LICENCE",
        "UK_UTR",
        "DATE_OF_BIRTH",
        "IP_ADDRESS",
    }
)


class Span(Protocol):
    @property
    def type(self) -> str: ...


class Detector(Protocol):
    def detect(self, text: str) -> Sequence[Span]: ...


class Check:
    name = "check"
    always = False

    def __init__(self, detector: Detector | None) -> None:
        self.detector = detector

    def __call__(self, context: InquiryContext) -> Verdict:
        if not context.parts:
            return Verdict("nothing_to_check")
        sources = {hit.url: [c.chunk.text for c in hit.chunks] for hit in context.hits}
        kept: list[AnswerPart] = []
        unsupported = leaked = 0
        for part in context.parts:
            citation = context.citations[part.citation]
            page_url = citation.url.split("#", 1)[0]
            if not any(part.text in text for text in sources.get(page_url, [])):
                unsupported += 1
                continue
            if self.detector is not None and any(
                span.type in PERSONAL_IDENTIFIERS for span in self.detector.detect(part.text)
            ):
                leaked += 1
                continue
            kept.append(part)
        context.parts = kept
        context.answer = render_answer(kept)
        verdict = "pass" if not (unsupported or leaked) else "dropped"
        return Verdict(
            verdict,
            {"unsupported": unsupported, "personal_data": leaked, "kept": len(kept)},
        )
