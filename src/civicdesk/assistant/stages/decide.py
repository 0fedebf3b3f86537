"""decide: the outcome, its confidence and reasons, and the words the citizen will read."""

from __future__ import annotations

from civicdesk.assistant.context import InquiryContext, Verdict
from civicdesk.assistant.messages import Catalogues, current_catalogues
from civicdesk.domain.inquiry import Outcome


class Decide:
    name = "decide"
    always = True

    def __init__(
        self, organisation: str, threshold: float, catalogues: Catalogues | None = None
    ) -> None:
        self.organisation = organisation
        self.threshold = threshold
        self.catalogues = catalogues or current_catalogues()

    def __call__(self, context: InquiryContext) -> Verdict:
        # Messages speak the question's language when a catalogue has it (a Polish question
        # on the English page is told in Polish), else the page's: the one asked for, even
        # when the run ended before the language stage (a refusal, nonsense).
        asked = context.question_language
        context.message_language = (
            asked
            if asked and self.catalogues.has(asked)
            else (context.requested_language or context.language)
        )
        if context.outcome is None:
            if context.parts and context.relevance >= self.threshold:
                context.finish(Outcome.ANSWERED, "answered_from_guidance", confidence=0.0)
                context.confidence = round(min(0.99, 0.5 + context.relevance / 2), 3)
            else:
                context.finish(Outcome.HANDED_OVER, "no_relevant_guidance", confidence=0.6)
                context.parts, context.citations = [], []
        outcome = context.outcome
        if outcome is not Outcome.ANSWERED:
            context.answer = self._message(context)
        elif asked and context.generated:
            # A model translated the answer from the guidance; every sentence was checked
            # against its English twin, which was checked against the guidance.
            context.notice = self.catalogues.message("machine_translated", context.message_language)
        elif asked and context.guidance_language == "en":
            # Guidance shown as written in English to someone who asked in another language.
            context.notice = self.catalogues.message(
                "english_guidance_offer", context.message_language
            )
        return Verdict(
            str(outcome),
            {"confidence": context.confidence, "message_language": context.message_language},
        )

    def _message(self, context: InquiryContext) -> str:
        values = {"organisation": self.organisation, "reference": context.reference}
        language = context.message_language
        message = self.catalogues.message
        reason = context.reasons[-1] if context.reasons else ""
        if context.outcome is Outcome.REFUSED and reason.startswith("nonsense:"):
            return message("nonsense", language, **values)
        if context.outcome is Outcome.REFUSED:
            return message("refused", language, **values)
        if context.outcome is Outcome.SIGNPOSTED and reason.startswith("crisis:"):
            return message("crisis", language, **values)
        if context.outcome is Outcome.SIGNPOSTED:
            destination = context.help_lines[-1].name if context.help_lines else ""
            return message("signposted", language, destination=destination, **values)
        if reason.startswith("language_not_supported"):
            return message("handed_over_language", language, **values)
        if reason == "no_relevant_guidance" and context.question_language:
            return message("handed_over_translated", language, **values)
        if reason == "no_relevant_guidance":
            return message("handed_over_no_guidance", language, **values)
        return message("handed_over", language, **values)
