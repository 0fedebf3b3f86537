"""compose: an extractive answer, every sentence taken from a cited section.

With a provider configured, the model then writes the answer from the same guidance
(civicdesk.assistant.generation); the extractive answer stays if the provider fails.
When the caller reads the answer as it is written (`context.on_sentence`), the model's
answer is streamed and each sentence passes the check stage's tests for one sentence before
it is passed on (civicdesk.assistant.live).

A question in a language no guidance is written in is answered from the guidance as written
(the best section's opening, when an embedder matched it), or, when the model rendered the
question in English for retrieval, by the model in the citizen's language, every sentence
also written in the guidance's language to be checked. If the model then fails, the English
guidance as written is shown when an embedder found it; otherwise a person answers.
"""

from __future__ import annotations

from civicdesk.assistant.compose import compose_extractive, compose_passage, render_answer
from civicdesk.assistant.context import InquiryContext, Verdict
from civicdesk.assistant.generation import generate_answer, stream_answer
from civicdesk.assistant.grounding import SentenceCheck
from civicdesk.assistant.live import SentenceGate, SentenceSink
from civicdesk.assistant.stages.check import Check
from civicdesk.assistant.stages.retrieve import VECTOR_RANKINGS
from civicdesk.domain.inquiry import AnswerPart, Citation, Outcome
from civicdesk.llm.generator import Generator

RELEVANCE_THRESHOLD = 0.4
RELATED_PAGES = 2  # offered beside an answer across languages
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
        detail |= self._generate(context, self.generator)
        return Verdict("generated" if context.generated else "fallback", detail)

    def _generate(
        self, context: InquiryContext, generator: Generator, translate_to: str = ""
    ) -> dict[str, object]:
        """The model's answer, streamed through the check stage's tests when the caller reads
        it as it is written; what the trace should say."""
        if context.on_sentence is not None and self.check is not None:
            return stream_answer(
                context,
                generator,
                self.token_budget,
                context.on_sentence,
                self._gate,
                translate_to=translate_to,
            )
        return generate_answer(context, generator, self.token_budget, translate_to=translate_to)

    def _gate(self, context: InquiryContext, sink: SentenceSink, generated: bool) -> SentenceGate:
        """The check stage's tests, one sentence at a time, for the answer in `context`."""
        check = self.check
        if check is None:  # pragma: no cover - only called with a check stage
            raise RuntimeError("streaming needs the check stage")

        def withhold(sentence: SentenceCheck) -> bool:
            """What the check stage drops or hands over after grounding: a personal
            identifier (in generated text only) or any output rule met."""
            if generated and check._parts_with_identifiers([AnswerPart(sentence.text, 0)]):
                return True
            return bool(check.output_findings([sentence]))

        return SentenceGate(
            sink,
            Check.cited_sources(context),
            check.known_links(context),
            min_support=check.min_support,
            verbatim=not generated,
            withhold=withhold,
            similarity=check.similarity,
            min_similarity=check.min_similarity,
        )

    def _across_languages(self, context: InquiryContext) -> Verdict:
        """A question in a language the guidance is not written in: the model's answer in
        the citizen's language when the question was rendered for retrieval, else the
        matched section as written (the extractive default never translates)."""
        if context.retrieval_query and self.generator is not None:
            return self._translated(context, self.generator)
        similarity = context.hits[0].score if context.hits else 0.0
        composition = compose_passage(context.hits, similarity_relevance(similarity))
        context.parts = composition.parts
        context.citations = composition.citations
        # The page shown is the right one less than half the time across languages (hit@1
        # 0.38-0.47, hit@5 0.65-0.78 on the team's translations): the next pages that match
        # about as well are offered as links.
        shown = {c.url.split("#")[0] for c in composition.citations}
        context.related = [
            Citation(url=hit.url, title=hit.title, section="", snippet="")
            for hit in context.hits[1 : RELATED_PAGES + 1]
            if hit.url not in shown and similarity_relevance(hit.score) > 0
        ]
        context.relevance = composition.relevance
        context.answer = render_answer(composition.parts)
        detail: dict[str, object] = {
            "parts": len(composition.parts),
            "relevance": composition.relevance,
            "similarity": round(similarity, 4),
            "as_written": context.guidance_language,
        }
        return Verdict("passage" if composition.parts else "empty", detail)

    def _translated(self, context: InquiryContext, generator: Generator) -> Verdict:
        """The model answers in the citizen's language from guidance found with its
        rendering of the question, when that guidance answers it as well as an English
        question's must (the same extractive answerability, on the rendering)."""
        composition = compose_extractive(context.retrieval_query, context.hits)
        found_by_meaning = context.ranking in VECTOR_RANKINGS
        detail: dict[str, object] = {
            "parts": len(composition.parts),
            "relevance": round(composition.relevance, 3),
            "query": "translated",
        }
        context.relevance = composition.relevance
        if not composition.parts or composition.relevance < self.threshold:
            return Verdict("empty" if not composition.parts else "composed", detail)
        if found_by_meaning:
            # Should the model fail, this English answer is shown as written, with the note
            # that it is not translated: as when an embedder finds guidance without a model.
            context.parts = composition.parts
            context.citations = composition.citations
            context.answer = render_answer(composition.parts)
        detail |= self._generate(context, generator, translate_to=context.question_language)
        if context.generated:
            return Verdict("generated", detail)
        if found_by_meaning:
            detail["as_written"] = context.guidance_language
            return Verdict("fallback", detail)
        # Without an embedder nothing but the model matched the question: a person answers,
        # told so in the citizen's language. No translation is claimed that did not happen.
        reason = f"not_translated:{detail.get('fallback', '')}"
        context.finish(Outcome.HANDED_OVER, reason, confidence=0.5)
        return Verdict("fallback", detail)
