"""retrieve: the best guidance pages, with their best sections, in the citizen's language first.

A question in a language no guidance is written in (Polish, Urdu) went on from the language
stage because it can be matched across languages. With a model provider set, the model first
renders the question in English (one small call, on the inquiry's token budget); the
rendering is searched like an English question (lexically, and with the embedder's vectors
fused in when one is set) and kept in the trace. It is used only to search: the answer is
written from the citizen's own words. Without a provider, or when the provider fails, the
question is ranked by the embedder's vectors across languages; with neither, a person
answers. Hits are guidance in the page language, and the answer says so.
"""

from __future__ import annotations

from typing import Protocol

from civicdesk.assistant.context import InquiryContext, Verdict
from civicdesk.assistant.terms import without_placeholders
from civicdesk.domain.inquiry import Outcome
from civicdesk.domain.knowledge import PageHit
from civicdesk.knowledge.vectors import POOL, fuse
from civicdesk.llm.generator import GenerationFailed, Generator, TokenUsage

CHUNKS_PER_PAGE = 6  # the composer picks sentences from these, so it sees a page whole
VECTOR_RANKINGS = frozenset({"vector", "hybrid"})  # an embedder found the hits


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

    def __init__(
        self,
        retriever: Retriever,
        k: int = 10,
        translator: Generator | None = None,
        token_budget: int = 0,
    ) -> None:
        self.retriever = retriever
        self.k = k
        self.translator = translator  # renders a question in another language in English
        self.token_budget = token_budget

    def __call__(self, context: InquiryContext) -> Verdict:
        query = without_placeholders(context.text)
        detail: dict[str, object] = {}
        if context.question_language:
            # English guidance where there is any (the note says so): a Polish reader on the
            # Welsh page is more likely to read English than Welsh.
            locale = None if self._crosses("en") else "en"
            detail["across_languages"] = f"{context.question_language}->{locale or 'any'}"
            rendered = self._translate(context, query, detail)
            if rendered:
                self._search_rendered(context, rendered, locale)
            elif self._crosses(context.question_language):
                context.hits = self.retriever.search(
                    query,
                    k=self.k,
                    locale=locale,
                    chunks_per_page=CHUNKS_PER_PAGE,
                    query_language=context.question_language,
                )
                context.ranking = self._last_ranking("vector")
                if context.ranking != "vector":
                    # The embedder failed and ranking fell back to words the question does
                    # not share with the guidance: nothing found, so a person answers.
                    context.hits = []
            else:  # the model could not render it, and nothing else can match it
                failed = detail.get("translation")
                reason = failed.get("failed", "") if isinstance(failed, dict) else "no_provider"
                context.finish(Outcome.HANDED_OVER, f"not_translated:{reason}", confidence=0.5)
                return Verdict("handed_over", detail)
            context.guidance_language = context.hits[0].locale if context.hits else ""
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
            context.ranking = self._last_ranking("")
        if context.ranking:
            detail["ranking"] = context.ranking
        detail["ranked"] = [hit.url for hit in context.hits[:10]]
        return Verdict("found" if context.hits or context.fallback_hits else "nothing", detail)

    def _translate(self, context: InquiryContext, query: str, detail: dict[str, object]) -> str:
        """The model's English rendering of the question, or "" (no provider, or it failed:
        the trace says why)."""
        if self.translator is None:
            return ""
        if not query.strip():
            detail["translation"] = {"failed": "nothing_to_translate"}
            return ""
        usage = context.usage or TokenUsage(budget=self.token_budget)
        context.usage = usage
        try:
            rendered = self.translator.translate_query(context.text, target="en", usage=usage)
        except GenerationFailed as exc:
            detail["translation"] = {"failed": exc.reason, "code": exc.code}
            return ""
        context.retrieval_query = rendered
        detail["translation"] = {"query": rendered, "tokens": usage.total}
        return rendered

    def _search_rendered(self, context: InquiryContext, rendered: str, locale: str | None) -> None:
        """Search with the rendering as with an English question: by its words, and by its
        vectors too (fused) when an embedder is set. Measured in ADR 0011: better than
        either alone, and than the vectors of the question as asked."""
        query = without_placeholders(rendered)
        across = self._crosses(context.question_language)
        pool = max(self.k, POOL) if across else self.k
        hits = self.retriever.search(query, k=pool, locale=locale, chunks_per_page=CHUNKS_PER_PAGE)
        context.ranking = self._last_ranking("lexical")
        if across and context.ranking == "lexical":
            by_vector = self.retriever.search(
                query,
                k=pool,
                locale=locale,
                chunks_per_page=CHUNKS_PER_PAGE,
                query_language=context.question_language,
            )
            if self._last_ranking("vector") == "vector":
                hits, context.ranking = fuse(hits, by_vector, pool), "hybrid"
            else:
                context.ranking = self._last_ranking("")
        context.hits = hits[: self.k]

    def _crosses(self, language: str) -> bool:
        crosses = getattr(self.retriever, "crosses_languages", None)
        return crosses is not None and bool(crosses(language))

    def _last_ranking(self, default: str) -> str:
        return str(getattr(self.retriever, "last_ranking", default) or default)
