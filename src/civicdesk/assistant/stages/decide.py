"""decide: the outcome, its confidence and reasons, and the words the citizen will read."""

from __future__ import annotations

from civicdesk.assistant.context import InquiryContext, Verdict
from civicdesk.assistant.messages import message
from civicdesk.domain.inquiry import Outcome


class Decide:
    name = "decide"
    always = True

    def __init__(self, organisation: str, threshold: float) -> None:
        self.organisation = organisation
        self.threshold = threshold

    def __call__(self, context: InquiryContext) -> Verdict:
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
        return Verdict(str(outcome), {"confidence": context.confidence})

    def _message(self, context: InquiryContext) -> str:
        values = {"organisation": self.organisation, "reference": context.reference}
        reason = context.reasons[-1] if context.reasons else ""
        if context.outcome is Outcome.REFUSED:
            return message("refused", context.language, **values)
        if context.outcome is Outcome.SIGNPOSTED and reason.startswith("crisis:"):
            return message("crisis", context.language, **values)
        if context.outcome is Outcome.SIGNPOSTED:
            destination = context.help_lines[-1].name if context.help_lines else ""
            return message("signposted", context.language, destination=destination, **values)
        if reason.startswith("language_not_supported"):
            return message("handed_over_language", context.language, **values)
        if reason == "no_relevant_guidance":
            return message("handed_over_no_guidance", context.language, **values)
        return message("handed_over", context.language, **values)
