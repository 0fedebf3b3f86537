"""guard: refuse manipulation and abuse, ask for nonsense to be rephrased; a message in crisis
is never refused.

The checks live behind `InputGuard` (assistant/guardrails): normalisation, the routing rules,
a trained classifier and nonsense detection. This stage only turns a verdict into an outcome.
Nonsense ends the run as `refused` with the reason `nonsense:<signal>`: nobody on the staff is
asked to read it, and the citizen reads the `nonsense` message, which asks them to try again
(ADR 0062).
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
        if verdict.action == "rephrase":
            context.finish(Outcome.REFUSED, f"nonsense:{verdict.category}", confidence=0.8)
            return Verdict(
                "rephrase",
                {
                    "signal": verdict.category,
                    "share": round(verdict.score, 3),
                    "reasons": list(verdict.reasons),
                },
            )
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
