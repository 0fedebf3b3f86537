"""check: every sentence is grounded in the guidance it cites, and no personal data goes out.

Extractive and generated answers go through the same grounding checks
(civicdesk.assistant.grounding): cited sources retrieved, links real, sentences supported by
their cited text; extractive parts must also be verbatim. Unsupported sentences are dropped;
when too little of the answer is left, the citizen is handed to a person.

A model's answer to a question in another language is checked in both languages: each
sentence's guidance-language twin as above, then the text shown against it (the same literal
facts; close in meaning when an embedder is set). The output policy reads both.

Guidance is published, so the contact details a body publishes (phone numbers, email and
street addresses, names of offices) may appear in answers. Identifiers that belong to a
person never may: a part that contains one is dropped.

Then the output policy (civicdesk.assistant.guardrails.output) reads what is left: a sentence
with a forbidden `drop_sentence` term is dropped; a `hand_over` term or a sentence outside the
body's remit hands the citizen to a person (reason `forbidden_term:<id>` or
`outside_remit:<topic>`). The trace names the rules met, never the words.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from typing import Protocol

from civicdesk.assistant.compose import render_answer
from civicdesk.assistant.context import InquiryContext, Verdict
from civicdesk.assistant.grounding import (
    Claim,
    KnownLinks,
    SentenceCheck,
    Similarity,
    SourceText,
    check_grounding,
)
from civicdesk.assistant.guardrails.output import Finding, OutputAction, OutputPolicy
from civicdesk.domain.inquiry import AnswerPart, Outcome

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
    """Grounds every sentence, then runs the detector and the output policy over what is
    left."""

    name = "check"
    always = False

    def __init__(
        self,
        detector: Detector | None,
        *,
        min_support: float = 0.75,
        known_pages: Callable[[], Collection[str]] | None = None,
        output_policy: OutputPolicy | None = None,
        similarity: Similarity | None = None,
        min_similarity: float = 0.0,
    ) -> None:
        self.detector = detector
        self.output_policy = output_policy
        self.min_support = min_support
        self.similarity = similarity  # of a translated sentence and its twin (an embedder)
        self.min_similarity = min_similarity
        self.known_pages = known_pages  # every page URL in the knowledge base
        self._pages: Collection[str] | None = None
        self._links = KnownLinks(())

    def __call__(self, context: InquiryContext) -> Verdict:
        if not context.parts:
            if context.generated:  # the model found nothing in the guidance to say
                context.finish(Outcome.HANDED_OVER, "generated_no_answer", confidence=0.5)
            return Verdict("nothing_to_check")
        claims = context.claims or [
            Claim(p.text, (p.citation,), p.is_list_item) for p in context.parts
        ]
        report = check_grounding(
            claims,
            self.cited_sources(context),
            self.known_links(context),
            min_support=self.min_support,
            verbatim=not context.generated,
            similarity=self.similarity,
            min_similarity=self.min_similarity,
        )
        checks = report.kept
        kept = [AnswerPart(s.text, s.citation or 0, s.is_list_item) for s in checks]
        # Extractive parts are the body's own published words (checked verbatim above), so
        # only generated text is searched for personal identifiers.
        flagged = self._parts_with_identifiers(kept) if context.generated else set()
        kept = [part for number, part in enumerate(kept) if number not in flagged]
        checks = [check for number, check in enumerate(checks) if number not in flagged]
        found = self.output_findings(checks)
        forbidden = {f.sentence for f in found if f.action is OutputAction.DROP_SENTENCE}
        kept = [part for number, part in enumerate(kept) if number not in forbidden]
        # a hand_over rule decides the reason; so does a drop that left nothing
        reasons = [f.reason for f in found if f.action is OutputAction.HAND_OVER or not kept]
        detail: dict[str, object] = {
            "kept": len(kept),
            "personal_data": len(flagged),
            "grounding": report.summary(),
            "output": {"dropped": len(forbidden), "rules": sorted({f.reason for f in found})},
        }
        if reasons or not kept or not report.enough_left:
            reason = reasons[0] if reasons else "answer_not_grounded"
            context.finish(Outcome.HANDED_OVER, reason, confidence=0.5)
            context.parts, context.citations, context.answer = [], [], ""
            return Verdict("handed_over", detail)
        context.answer = render_answer(kept)
        used = sorted({part.citation for part in kept})
        renumber = {old: new for new, old in enumerate(used)}
        context.citations = [context.citations[old] for old in used]
        context.parts = [AnswerPart(p.text, renumber[p.citation], p.is_list_item) for p in kept]
        dropped = len(kept) < len(claims)
        return Verdict("dropped" if dropped else "pass", detail)

    def output_findings(self, checks: Sequence[SentenceCheck]) -> list[Finding]:
        """The output rules the sentences meet: in the text shown, and in the guidance-
        language twin of a translated sentence (the rules are written in that language)."""
        if self.output_policy is None:
            return []
        found = self.output_policy.scan([check.text for check in checks])
        twins = [number for number, check in enumerate(checks) if check.source_text]
        if twins:
            in_twins = self.output_policy.scan([checks[number].source_text for number in twins])
            found += [replace(f, sentence=twins[f.sentence]) for f in in_twins]
        return found

    @staticmethod
    def cited_sources(context: InquiryContext) -> list[SourceText]:
        """Each citation's retrieved text: every passage of its section that was retrieved."""
        passages: dict[str, list[str]] = {}
        locales: dict[str, str] = {}
        for hit in [*context.hits, *context.fallback_hits]:
            for chunk_hit in hit.chunks:
                chunk = chunk_hit.chunk
                texts = passages.setdefault(chunk.citation_url, [])
                if chunk.text not in texts:
                    texts.append(chunk.text)
                locales.setdefault(chunk.citation_url, chunk.locale)
        return [
            SourceText(
                c.url,
                tuple(passages.get(c.url, ())),
                f"{c.title} {c.section}",
                locales.get(c.url, context.language),
            )
            for c in context.citations
        ]

    def known_links(self, context: InquiryContext) -> Callable[[str], bool]:
        """Retrieved pages and sections, then every page of the knowledge base (normalised
        once per index: the callable returns the same collection until guidance changes)."""
        hits = [*context.hits, *context.fallback_hits]
        built: list[KnownLinks] = []

        def retrieved() -> KnownLinks:  # built on the first link met: most answers have none
            if not built:
                built.append(
                    KnownLinks(
                        url
                        for hit in hits
                        for url in (hit.url, *(c.chunk.citation_url for c in hit.chunks))
                    )
                )
            return built[0]

        if self.known_pages is not None:
            pages = self.known_pages()
            if pages is not self._pages:
                self._links, self._pages = KnownLinks(pages), pages
        links = self._links
        return lambda url: url in links or url in retrieved()

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
