"""Ask a provider to write the answer from the retrieved guidance; keep the extractive one if
it cannot.

The model sees numbered sources: one per section of the best pages (the passages the
extractive composer would choose from), most relevant first. Source number n is citation
n - 1 of the answer, so what the model cites maps straight onto the links a citizen sees.
Its sentences become claims that the check stage grounds before anything is shown. Any
provider failure leaves the extractive answer in place and says why in the trace.

With a sink (a reader of the answer as it is written, civicdesk.assistant.live) the answer
is streamed: each sentence is checked as soon as it is complete and passed on if it passes;
the whole answer is still read back and checked by the check stage as before.

With `translate_to` (a question asked in a language no guidance is written in), the model
writes each sentence in the citizen's language and again in the guidance's; the claims carry
both, and grounding checks the second against the sources and the first against the second.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from civicdesk.assistant.compose import _snippet as snippet
from civicdesk.assistant.compose import render_answer
from civicdesk.assistant.context import InquiryContext
from civicdesk.assistant.grounding import Claim
from civicdesk.assistant.live import LiveReset, SentenceGate, SentenceSink, guarded
from civicdesk.domain.inquiry import AnswerPart, Citation
from civicdesk.domain.knowledge import PageHit
from civicdesk.knowledge.chunking import is_navigation
from civicdesk.llm.generator import (
    GeneratedSentence,
    GenerationFailed,
    Generator,
    Source,
    TokenUsage,
)
from civicdesk.llm.structured import complete_sentences, parse_answer

MAX_SOURCES = 8
MAX_PAGES = 3


def numbered_sources(hits: list[PageHit]) -> tuple[list[Source], list[Citation]]:
    """Sections of the best pages, one source each, and the citation each would become."""
    if not hits:
        return [], []
    top = hits[0].score
    pages = [hits[0]] + [h for h in hits[1:MAX_PAGES] if h.score >= 0.85 * top]
    passages: dict[str, list[str]] = {}
    first: dict[str, tuple[str, str]] = {}
    for rank, page in enumerate(pages):
        for chunk_hit in page.chunks[: 6 if rank == 0 else 2]:
            chunk = chunk_hit.chunk
            if is_navigation(chunk):
                continue
            url = chunk.citation_url
            if url not in passages and len(passages) >= MAX_SOURCES:
                continue
            passages.setdefault(url, []).append(chunk.text)
            first.setdefault(url, (chunk.page_title, chunk.section))
    sources: list[Source] = []
    citations: list[Citation] = []
    for number, (url, texts) in enumerate(passages.items(), start=1):
        title, section = first[url]
        text = "\n\n".join(texts)
        sources.append(Source(number, title, section, url, text))
        citations.append(Citation(url, title, section, snippet(text)))
    return sources, citations


def generate_answer(
    context: InquiryContext, generator: Generator, token_budget: int, translate_to: str = ""
) -> dict[str, object]:
    """Replace the extractive answer with a generated one when the provider gives one.

    Returns what the trace should say. On failure nothing in the context changes except
    the usage record, so the extractive answer stands. The usage record is the inquiry's
    (a translation of the question for retrieval may have started it).
    """
    sources, citations = numbered_sources(context.hits)
    usage = context.usage or TokenUsage(budget=token_budget)
    context.usage = usage
    language = context.guidance_language or context.language
    try:
        answer = generator.generate(
            context.text, sources, language=language, usage=usage, translate_to=translate_to
        )
    except GenerationFailed as exc:
        return _fallback(exc, usage)
    use_generated(context, answer.sentences, citations, translated=bool(translate_to))
    return {
        "composer": generator.name,
        "sentences": len(context.claims),
        "structured": answer.structured,
        "llm": usage.as_record(),
    }


GateFor = Callable[[InquiryContext, SentenceSink, bool], SentenceGate]


def stream_answer(
    context: InquiryContext,
    generator: Generator,
    token_budget: int,
    sink: SentenceSink,
    gate_for: GateFor,
    translate_to: str = "",
) -> dict[str, object]:
    """generate_answer, streamed: each sentence goes to `sink` as soon as it is written and
    `gate_for(context, sink, generated)` lets it through.

    The answer kept is the whole reply read back, exactly as generate_answer keeps it. When
    the provider fails (before or part-way through), the sink gets a LiveReset and then the
    extractive answer, checked the same way; the context keeps the extractive answer.
    """
    sources, citations = numbered_sources(context.hits)
    usage = context.usage or TokenUsage(budget=token_budget)
    context.usage = usage
    language = context.guidance_language or context.language
    translated = bool(translate_to)
    sink = guarded(sink)
    extractive = context.citations
    context.citations = citations  # what the model's source numbers point at
    gate = gate_for(context, sink, True)
    written: list[str] = []

    def deltas() -> Iterator[str]:
        for delta in generator.stream(
            context.text, sources, language=language, usage=usage, translate_to=translate_to
        ):
            written.append(delta)
            yield delta

    try:
        for sentence in complete_sentences(deltas()):
            gate.offer(_claim(sentence, translated))
        sentences = parse_answer("".join(written))  # the whole reply, as generate reads it
    except GenerationFailed as exc:
        context.citations = extractive
        sink(LiveReset())
        again = gate_for(context, sink, False)
        for part in context.parts:
            again.offer(Claim(part.text, (part.citation,), part.is_list_item))
        return _fallback(exc, usage) | {"streamed": gate.shown}
    except Exception:
        context.citations = extractive  # the context as it was; the pipeline hands over
        raise
    use_generated(context, sentences, citations, translated=translated)
    return {
        "composer": generator.name,
        "sentences": len(context.claims),
        "streamed": gate.shown,
        "llm": usage.as_record(),
    }


def use_generated(
    context: InquiryContext,
    sentences: Sequence[GeneratedSentence],
    citations: list[Citation],
    *,
    translated: bool = False,
) -> None:
    """The model's sentences become the answer's claims and parts, for the check stage.

    Parts hold the text shown: in a translated answer, the citizen's language."""
    claims = [_claim(s, translated) for s in sentences]
    context.generated = True
    context.claims = claims
    context.citations = citations
    context.parts = [
        AnswerPart(
            c.text, next((i for i in c.sources if 0 <= i < len(citations)), 0), c.is_list_item
        )
        for c in claims
    ]
    context.answer = render_answer(context.parts)


def _claim(sentence: GeneratedSentence, translated: bool = False) -> Claim:
    """Source number n is citation n - 1. A sentence of a translated answer without its
    guidance-language twin keeps source_text "" (it cannot be checked, so it is dropped)."""
    return Claim(
        sentence.text,
        tuple(n - 1 for n in sentence.sources),
        sentence.is_list_item,
        source_text=(sentence.source_text or "") if translated else None,
    )


def _fallback(exc: GenerationFailed, usage: TokenUsage) -> dict[str, object]:
    return {
        "composer": "extractive",
        "fallback": exc.reason,
        "code": exc.code,
        "llm": usage.as_record(),
    }
