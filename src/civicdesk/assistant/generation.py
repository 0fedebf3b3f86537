"""Ask a provider to write the answer from the retrieved guidance; keep the extractive one if
it cannot.

The model sees numbered sources: one per section of the best pages (the passages the
extractive composer would choose from), most relevant first. Source number n is citation
n - 1 of the answer, so what the model cites maps straight onto the links a citizen sees.
Its sentences become claims that the check stage grounds before anything is shown. Any
provider failure leaves the extractive answer in place and says why in the trace.
"""

from __future__ import annotations

from civicdesk.assistant.compose import NAVIGATION_HEADINGS, render_answer
from civicdesk.assistant.compose import _snippet as snippet
from civicdesk.assistant.context import InquiryContext
from civicdesk.assistant.grounding import Claim
from civicdesk.domain.inquiry import AnswerPart, Citation
from civicdesk.domain.knowledge import PageHit
from civicdesk.llm.generator import GenerationFailed, Generator, Source, TokenUsage

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
            if chunk.heading_path and chunk.heading_path[-1].lower() in NAVIGATION_HEADINGS:
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
    context: InquiryContext, generator: Generator, token_budget: int
) -> dict[str, object]:
    """Replace the extractive answer with a generated one when the provider gives one.

    Returns what the trace should say. On failure nothing in the context changes except
    the usage record, so the extractive answer stands.
    """
    sources, citations = numbered_sources(context.hits)
    usage = TokenUsage(budget=token_budget)
    context.usage = usage
    language = context.guidance_language or context.language
    try:
        answer = generator.generate(context.text, sources, language=language, usage=usage)
    except GenerationFailed as exc:
        return {
            "composer": "extractive",
            "fallback": exc.reason,
            "code": exc.code,
            "llm": usage.as_record(),
        }
    claims = [
        Claim(s.text, tuple(n - 1 for n in s.sources), s.is_list_item) for s in answer.sentences
    ]
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
    return {
        "composer": generator.name,
        "sentences": len(claims),
        "structured": answer.structured,
        "llm": usage.as_record(),
    }
