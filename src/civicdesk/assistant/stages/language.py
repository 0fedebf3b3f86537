"""language: detect it; the reply and page text follow it (English and Welsh).

A question in another language is handed to a person, unless it can be matched to guidance
across languages: the retriever can (an embedder is set), or a model provider is set, which
renders the question in the guidance's language for retrieval and answers in the citizen's.
Then it goes on, marked with its language (civicdesk.assistant.stages.retrieve, compose).
"""

from __future__ import annotations

from collections.abc import Callable

from civicdesk.assistant.context import InquiryContext, Verdict
from civicdesk.language.detect import PAGE_LANGUAGES, detect_language


class Language:
    name = "language"
    always = False

    def __init__(
        self, crosses_languages: Callable[[str], bool] | None = None, translates: bool = False
    ) -> None:
        self.crosses_languages = crosses_languages
        self.translates = translates  # a model can translate the question and the answer

    def __call__(self, context: InquiryContext) -> Verdict:
        detected = detect_language(context.text)
        context.detected_language = detected.code
        if context.requested_language:
            context.language = context.requested_language
        elif detected.code in PAGE_LANGUAGES:
            context.language = detected.code
        detail: dict[str, object] = {"detected": detected.code, "confident": detected.confident}
        crosses = self.crosses_languages
        if detected.code in PAGE_LANGUAGES and crosses is not None and crosses(detected.code):
            # A Welsh question where no guidance is in Welsh: matched by meaning to English.
            context.question_language = detected.code
            detail["across_languages"] = True
        if detected.code not in PAGE_LANGUAGES and detected.code != "und" and detected.confident:
            crossed = crosses is not None and crosses(detected.code)
            if crossed or self.translates:
                context.question_language = detected.code
                detail["across_languages"] = True
                return Verdict(context.language, detail)
            # Not answerable here: a person will reply. The route stage still reads it first,
            # so crisis help in Polish or Urdu is shown at once (the rules speak those too).
            context.question_language = detected.code
            context.unanswerable_language = True
            return Verdict("not_answerable", detail)
        return Verdict(context.language, detail)
