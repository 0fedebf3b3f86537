"""The public shape of a reply, shared by the CLI, the JSON API and the evaluation harness."""

from __future__ import annotations

from dataclasses import asdict

from civicdesk.domain.inquiry import AssistantReply


def public_reply(reply: AssistantReply, *, trace: bool = False) -> dict[str, object]:
    body: dict[str, object] = {
        "outcome": reply.outcome.value,
        "answer": reply.answer,
        "citations": [
            {"url": c.url, "title": c.title, "section": c.section, "snippet": c.snippet}
            for c in reply.citations
        ],
        "language": reply.language,
        "confidence": reply.confidence,
        "reference": reply.reference,
        "reasons": list(reply.reasons),
        "help_lines": [asdict(line) for line in reply.help_lines],
        "removed_data_types": list(reply.removed_data_types),
        "guidance_language": reply.guidance_language,
    }
    if reply.question_language:
        body["question_language"] = reply.question_language
    if reply.related:
        body["related"] = [{"url": c.url, "title": c.title} for c in reply.related]
    if reply.notice:
        body["notice"] = {"text": reply.notice, "language": reply.message_language}
    if trace:
        body["trace"] = [asdict(record) for record in reply.trace]
    return body
