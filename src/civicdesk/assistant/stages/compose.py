"""compose: an extractive answer, every sentence taken from a cited section.

With a provider configured, the model then writes the answer from the same guidance
(civicdesk.assistant.generation); the extractive answer stays if the provider fails.
When the caller reads the answer as it is written (`context.on_sentence`), the model's
answer is streamed and each sentence passes the check stage's tests for one sentence before
it is passed on (civicdesk.assistant.live).
"""

from __future__ import annotations

from civicdesk.assistant.compose import compose_extractive, compose_passage, render_answer
from civicdesk.assistant.context import InquiryContext, Verdict
from civicdesk.assistant.generation import generate_answer, stream_answer
from civicdesk.assistant.live import SentenceGate, SentenceSink
from civicdesk.assistant.stages.check import Check
from civicdesk.domain.inquiry import AnswerPart
from civicdesk.llm.generator import Generator

RELEVANCE_THRESHOLD = 0.4
# Vector similarity of the best page for a question in another language, mapped onto the
# 0-1 relevance scale: at or below SIMILARITY_FLOOR nothing matches, at SIMILARITY_CEILING a
# perfect match. Measured on evals/multilingual-govuk.jsonl (bench/multilingual.py).
SIMILARITY_FLOOR = 0.86
SIMILARITY_CEILING = 0.94


def similarity_relevance(similarity: float) -> float:
    """A page's vector similarity on the composer's relevance scale (0 to 1)."""
    share = (similarity - SIMILARITY_FLOOR) / (SIMILARITY_CEILING - SIMILARITY_FLOOR)
    return round(min(1.0, max(0.0, share)), 4)


class Compose:
    name = "compose"
    always = False

    def __init__(
        self,
        threshold: float = RELEVANCE_THRESHOLD,
        generator: Generator | None = None,
        token_budget: int = 0,
        check: Check | None = None,
    ) -> None:
        self.threshold = threshold
        self.generator = generator
        self.token_budget = token_budget
        self.check = check  # the check stage: without it nothing is streamed

    def __call__(self, context: InquiryContext) -> Verdict:
        if context.question_language:
            return self._across_languages(context)
        composition = compose_extractive(context.text, context.hits)
        if composition.relevance < self.threshold and context.fallback_hits:
            fallback = compose_extractive(context.text, context.fallback_hits)
            if fallback.relevance > composition.relevance:
                composition = fallback
                context.hits = context.fallback_hits
                context.guidance_language = "en"
        context.parts = composition.parts
        context.citations = composition.citations
        context.relevance = composition.relevance
        context.answer = render_answer(composition.parts)
        detail: dict[str, object] = {
            "parts": len(composition.parts),
            "relevance": round(composition.relevance, 3),
        }
        if (
            self.generator is None
            or not composition.parts
            or composition.relevance < self.threshold
        ):
            return Verdict("composed" if composition.parts else "empty", detail)
        if context.on_sentence is not None and self.check is not None:
            detail |= stream_answer(
                context, self.generator, self.token_budget, context.on_sentence, self._gate
            )
        else:
            detail |= generate_answer(context, self.generator, self.token_budget)
        return Verdict("generated" if context.generated else "fallback", detail)

    def _gate(self, context: InquiryContext, sink: SentenceSink, generated: bool) -> SentenceGate:
        """The check stage's tests, one sentence at a time, for the answer in `context`."""
        check = self.check
        if check is None:  # pragma: no cover - only called with a check stage
            raise RuntimeError("streaming needs the check stage")

        def withhold(text: str) -> bool:
            """What the check stage drops or hands over after grounding: a personal
            identifier (in generated text only) or any output rule met."""
            if generated and check._parts_with_identifiers([AnswerPart(text, 0)]):
                return True
            return check.output_policy is not None and bool(check.output_policy.scan([text]))

        return SentenceGate(
            sink,
            Check.cited_sources(context),
            check.known_links(context),
            min_support=check.min_support,
            verbatim=not generated,
            withhold=withhold,
        )

    def _across_languages(self, context: InquiryContext) -> Verdict:
        """A question in a language the guidance is not written in: the matched section as
        written (a model, when set, could translate; the extractive default never does)."""
        similarity = context.hits[0].score if context.hits else 0.0
        composition = compose_passage(context.hits, similarity_relevance(similarity))
        context.parts = composition.parts
        context.citations = composition.citations
        context.relevance = composition.relevance
        context.answer = render_answer(composition.parts)
        detail: dict[str, object] = {
            "parts": len(composition.parts),
            "relevance": composition.relevance,
            "similarity": round(similarity, 4),
            "as_written": context.guidance_language,
        }
        return Verdict("passage" if composition.parts else "empty", detail)
