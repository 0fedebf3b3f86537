"""retrieve: the best guidance pages, with their best sections, in the citizen's language first.

A question in a language no guidance is written in (Polish, Urdu) is ranked by the
embedder's vectors across languages when one is set (the language stage let it through);
its hits are guidance in the page language, and the answer says so.
"""

from __future__ import annotations

from typing import Protocol

from civicdesk.assistant.context import InquiryContext, Verdict
from civicdesk.assistant.terms import without_placeholders
from civicdesk.domain.knowledge import PageHit

CHUNKS_PER_PAGE = 6  # the composer picks sentences from these, so it sees a page whole


class Retriever(Protocol):
    def search(
        self,
        query: str,
        *,
        k: int = 5,
        locale: str | None = None,
        chunks_per_page: int = 3,
        query_language: str | None = None,
    ) -> list[PageHit]: ...


class Retrieve:
    name = "retrieve"
    always = False

    def __init__(self, retriever: Retriever, k: int = 10) -> None:
        self.retriever = retriever
        self.k = k

    def __call__(self, context: InquiryContext) -> Verdict:
        query = without_placeholders(context.text)
        detail: dict[str, object] = {}
        if context.question_language:
            # English guidance where there is any (the note says so): a Polish reader on the
            # Welsh page is more likely to read English than Welsh.
            crosses = getattr(self.retriever, "crosses_languages", None)
            locale = None if crosses is not None and crosses("en") else "en"
            context.hits = self.retriever.search(
                query,
                k=self.k,
                locale=locale,
                chunks_per_page=CHUNKS_PER_PAGE,
                query_language=context.question_language,
            )
            if getattr(self.retriever, "last_ranking", "vector") != "vector":
                # The embedder failed and ranking fell back to words the question does not
                # share with the guidance: nothing found, so a person answers.
                context.hits = []
            context.guidance_language = context.hits[0].locale if context.hits else ""
            detail["across_languages"] = f"{context.question_language}->{locale or 'any'}"
        else:
            context.hits = self.retriever.search(
                query, k=self.k, locale=context.language, chunks_per_page=CHUNKS_PER_PAGE
            )
            context.guidance_language = context.language
            if context.language != "en":
                # English guidance is the fallback when the citizen's language has too little.
                context.fallback_hits = self.retriever.search(
                    query, k=self.k, locale="en", chunks_per_page=CHUNKS_PER_PAGE
                )
        ranking = getattr(self.retriever, "last_ranking", None)
        if ranking:
            detail["ranking"] = ranking
        detail["ranked"] = [hit.url for hit in context.hits[:10]]
        return Verdict("found" if context.hits or context.fallback_hits else "nothing", detail)
