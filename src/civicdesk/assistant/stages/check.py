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

    @property
    def start(self) -> int: ...


class Detector(Protocol):
    def detect(self, text: str) -> Sequence[Span]: ...


class Check:
    """Runs the detector once over the whole answer and maps what it finds back to parts."""

    name = "check"
    always = False

    def __init__(self, detector: Detector | None) -> None:
        self.detector = detector

    def __call__(self, context: InquiryContext) -> Verdict:
        if not context.parts:
            return Verdict("nothing_to_check")
        sources: dict[str, list[str]] = {}
        for hit in [*context.hits, *context.fallback_hits]:
            for chunk_hit in hit.chunks:
                sources.setdefault(chunk_hit.chunk.citation_url, []).append(chunk_hit.chunk.text)
        # Extractive parts are the body's own published words (checked verbatim below), so
        # only generated text is searched for personal identifiers.
        flagged = self._parts_with_identifiers(context.parts) if context.generated else set()
        kept: list[AnswerPart] = []
        unsupported = leaked = 0
        for number, part in enumerate(context.parts):
            citation = context.citations[part.citation]
            if not any(part.text in text for text in sources.get(citation.url, [])):
                unsupported += 1
                continue
            if number in flagged:
                leaked += 1
                continue
            kept.append(part)
        context.answer = render_answer(kept)
        used = sorted({part.citation for part in kept})
        renumber = {old: new for new, old in enumerate(used)}
        context.citations = [context.citations[old] for old in used]
        context.parts = [AnswerPart(p.text, renumber[p.citation], p.is_list_item) for p in kept]
        verdict = "pass" if not (unsupported or leaked) else "dropped"
        return Verdict(
            verdict,
            {"unsupported": unsupported, "personal_data": leaked, "kept": len(kept)},
        )

    def _parts_with_identifiers(self, parts: Sequence[AnswerPart]) -> set[int]:
        if self.detector is None or not parts:
            return set()
        starts: list[int] = []
        offset = 0
        for part in parts:
            starts.append(offset)
            offset += len(part.text) + 1
        text = "\n".join(part.text for part in parts)
        flagged: set[int] = set()
        for span in self.detector.detect(text):
            if span.type not in PERSONAL_IDENTIFIERS:
                continue
            flagged.add(max(i for i, s in enumerate(starts) if s <= span.start))
        return flagged
