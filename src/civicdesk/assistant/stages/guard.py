"""guard: refuse manipulation and abuse; a message in crisis is never refused."""

from __future__ import annotations

from civicdesk.assistant.context import InquiryContext, Verdict
from civicdesk.assistant.routing import Action, RuleBook
from civicdesk.domain.inquiry import Outcome


class Guard:
    name = "guard"
    always = False

    def __init__(self, rules: RuleBook) -> None:
        self.rules = rules

    def __call__(self, context: InquiryContext) -> Verdict:
        match = self.rules.first_match(context.text, (Action.CRISIS, Action.REFUSE))
        if match is None:
            return Verdict("pass")
        if match.action is Action.CRISIS:
            return Verdict("pass", {"note": "crisis language: routed next"})
        context.rule = match.name
        context.finish(Outcome.REFUSED, f"refused:{match.name}", confidence=0.9)
        return Verdict("refused", {"rule": match.name})
