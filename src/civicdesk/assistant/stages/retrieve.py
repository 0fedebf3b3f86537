"""retrieve: the best guidance pages, with their best sections, in the citizen's language first."""

from __future__ import annotations

from typing import Protocol

from civicdesk.assistant.context import InquiryContext, Verdict
from civicdesk.domain.knowledge import PageHit


class Retriever(Protocol):
    def search(self, query: str, *, k: int = 5, locale: str | None = None) -> list[PageHit]: ...


class Retrieve:
    name = "retrieve"
    always = False

    def __init__(self, retriever: Retriever, k: int = 5) -> None:
        self.retriever = retriever
        self.k = k

    def __call__(self, context: InquiryContext) -> Verdict:
        context.hits = self.retriever.search(context.text, k=self.k, locale=context.language)
        context.guidance_language = context.language
        if context.language != "en":
            # English guidance is the fallback when the citizen's language has too little.
            context.fallback_hits = self.retriever.search(context.text, k=self.k, locale="en")
        return Verdict(
            "found" if context.hits or context.fallback_hits else "nothing",
            {"pages": [hit.url for hit in context.hits[:3]]},
        )
