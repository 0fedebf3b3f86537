"""compose: an extractive answer, every sentence taken from a cited section.

With a provider configured, the model then writes the answer from the same guidance
(civicdesk.assistant.generation); the extractive answer stays if the provider fails.
"""

from __future__ import annotations

from civicdesk.assistant.compose import compose_extractive, render_answer
from civicdesk.assistant.context import InquiryContext, Verdict
from civicdesk.assistant.generation import generate_answer
from civicdesk.llm.generator import Generator

RELEVANCE_THRESHOLD = 0.4


class Compose:
    name = "compose"
    always = False

    def __init__(
        self,
        threshold: float = RELEVANCE_THRESHOLD,
        generator: Generator | None = None,
        token_budget: int = 0,
    ) -> None:
        self.threshold = threshold
        self.generator = generator
        self.token_budget = token_budget

    def __call__(self, context: InquiryContext) -> Verdict:
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
        detail |= generate_answer(context, self.generator, self.token_budget)
        return Verdict("generated" if context.generated else "fallback", detail)
