"""The one typed context every stage of the answer pipeline reads and writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from civicdesk.assistant.grounding import Claim
from civicdesk.assistant.live import SentenceSink
from civicdesk.domain.inquiry import (
    AnswerPart,
    Channel,
    Citation,
    HelpLine,
    Outcome,
    StageRecord,
)
from civicdesk.domain.knowledge import PageHit
from civicdesk.llm.generator import TokenUsage


@dataclass
class InquiryContext:
    raw_text: str
    channel: Channel
    reference: str
    requested_language: str | None = None
    text: str = ""  # cleaned and redacted: the only form stored or shown to any model
    removed_data_types: tuple[str, ...] = ()
    language: str = "en"  # language of the reply and page text
    detected_language: str = "und"
    question_language: str = ""  # a language no page is written in, when detected
    unanswerable_language: bool = False  # no guidance, embedder or model for its language
    message_language: str = ""  # language of the assistant's own words (message, notice)
    notice: str = ""  # said beside an answer, e.g. that the guidance is in English
    guidance_language: str = ""
    rule: str = ""  # routing rule that decided the outcome, if any
    # A model's rendering of a question in another language in the guidance's language: what
    # it was searched with (never shown, never sent back to a model as the question).
    retrieval_query: str = ""
    ranking: str = ""  # how the retriever ranked the hits: lexical, hybrid, vector ...
    hits: list[PageHit] = field(default_factory=list)
    fallback_hits: list[PageHit] = field(default_factory=list)
    parts: list[AnswerPart] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    related: list[Citation] = field(default_factory=list)  # other pages that may help
    relevance: float = 0.0
    generated: bool = False  # True when a model, not the extractive composer, wrote the answer
    claims: list[Claim] = field(default_factory=list)  # a model's sentences, every source cited
    usage: TokenUsage | None = None  # tokens and cost spent on a provider for this inquiry
    answer: str = ""
    outcome: Outcome | None = None
    confidence: float = 0.0
    reasons: list[str] = field(default_factory=list)
    help_lines: list[HelpLine] = field(default_factory=list)
    needs_person: bool = False
    trace: list[StageRecord] = field(default_factory=list)
    # Who reads checked sentences as a model writes them (the citizen page): never stored,
    # never logged, not part of the context's repr (civicdesk.assistant.live).
    on_sentence: SentenceSink | None = field(default=None, repr=False, compare=False)

    def finish(self, outcome: Outcome, reason: str, *, confidence: float = 1.0) -> None:
        """Decide the outcome now; later working stages are skipped."""
        self.outcome = outcome
        self.confidence = confidence
        self.reasons.append(reason)
        if outcome in (Outcome.HANDED_OVER,):
            self.needs_person = True


@dataclass(frozen=True)
class Verdict:
    verdict: str
    detail: dict[str, object] = field(default_factory=dict)


class Stage(Protocol):
    """A named step over the context. `always` stages run even after an early outcome."""

    name: str
    always: bool

    def __call__(self, context: InquiryContext) -> Verdict: ...
