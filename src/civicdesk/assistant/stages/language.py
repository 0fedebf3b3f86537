"""language: detect it; the reply and page text follow it (English and Welsh)."""

from __future__ import annotations

from civicdesk.assistant.context import InquiryContext, Verdict
from civicdesk.domain.inquiry import Outcome
from civicdesk.language.detect import PAGE_LANGUAGES, detect_language


class Language:
    name = "language"
    always = False

    def __call__(self, context: InquiryContext) -> Verdict:
        detected = detect_language(context.text)
        context.detected_language = detected.code
        if context.requested_language:
            context.language = context.requested_language
        elif detected.code in PAGE_LANGUAGES:
            context.language = detected.code
        detail: dict[str, object] = {"detected": detected.code, "confident": detected.confident}
        if detected.code not in PAGE_LANGUAGES and detected.code != "und" and detected.confident:
            context.finish(
                Outcome.HANDED_OVER, f"language_not_supported:{detected.code}", confidence=0.8
            )
            return Verdict("handed_over", detail)
        return Verdict(context.language, detail)
