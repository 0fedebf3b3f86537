"""retrieve: the best guidance pages, with their best sections, in the citizen's language first."""

from __future__ import annotations

from typing import Protocol

from civicdesk.assistant.context import InquiryContext, Verdict
from civicdesk.assistant.terms import without_placeholders
from civicdesk.domain.knowledge import PageHit

CHUNKS_PER_PAGE = 6  # the composer picks sentences from these, so it sees a page whole


class Retriever(Protocol):
    def search(
        self, query: str, *, k: int = 5, locale: str | None = None, chunks_per_page: int = 3
    ) -> list[PageHit]: ...


class Retrieve:
    name = "retrieve"
    always = False

    def __init__(self, retriever: Retriever, k: int = 10) -> None:
        self.retriever = retriever
        self.k = k

    def __call__(self, context: InquiryContext) -> Verdict:
        query = without_placeholders(context.text)
        context.hits = self.retriever.search(
            query, k=self.k, locale=context.language, chunks_per_page=CHUNKS_PER_PAGE
        )
        context.guidance_language = context.language
        if context.language != "en":
            # English guidance is the fallback when the citizen's language has too little.
            context.fallback_hits = self.retriever.search(
                query, k=self.k, locale="en", chunks_per_page=CHUNKS_PER_PAGE
            )
        return Verdict(
            "found" if context.hits or context.fallback_hits else "nothing",
            {"ranked": [hit.url for hit in context.hits[:10]]},
        )
