"""compose: an extractive answer, every sentence taken from a cited section."""

from __future__ import annotations

from civicdesk.assistant.compose import compose_extractive, render_answer
from civicdesk.assistant.context import InquiryContext, Verdict

RELEVANCE_THRESHOLD = 0.4


class Compose:
    name = "compose"
    always = False

    def __init__(self, threshold: float = RELEVANCE_THRESHOLD) -> None:
        self.threshold = threshold

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
        return Verdict(
            "composed" if composition.parts else "empty",
            {"parts": len(composition.parts), "relevance": round(composition.relevance, 3)},
        )
