"""guard: refuse manipulation and abuse; a message in crisis is never refused.

The checks live behind `InputGuard` (assistant/guardrails): normalisation, the routing rules
and a trained classifier. This stage only turns a verdict into an outcome.
"""

from __future__ import annotations

from civicdesk.assistant.context import InquiryContext, Verdict
from civicdesk.assistant.guardrails import InputGuard, build_input_guard
from civicdesk.assistant.guardrails.guard import CRISIS
from civicdesk.assistant.routing import RuleBook
from civicdesk.domain.inquiry import Outcome


class Guard:
    name = "guard"
    always = False

    def __init__(self, rules: RuleBook, guard: InputGuard | None = None) -> None:
        self.guard = guard if guard is not None else build_input_guard(rules)

    def __call__(self, context: InquiryContext) -> Verdict:
        verdict = self.guard.check(context.text)
        if verdict.category == CRISIS:
            return Verdict("pass", {"note": "crisis language: routed next"})
        if not verdict.refused:
            return Verdict("pass", {"score": round(verdict.score, 3)})
        context.rule = verdict.category
        context.finish(Outcome.REFUSED, f"refused:{verdict.category}", confidence=0.9)
        return Verdict(
            "refused",
            {
                "rule": verdict.category,
                "score": round(verdict.score, 3),
                "reasons": list(verdict.reasons),
            },
        )
