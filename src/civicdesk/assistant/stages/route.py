"""route: crisis help at once (and a person), a person when needed, other bodies signposted.

A question in a language civicdesk cannot answer (no guidance, embedder or model for it) is
read by the rules first, so crisis help is never held back, then handed to a person.
"""

from __future__ import annotations

from civicdesk.assistant.context import InquiryContext, Verdict
from civicdesk.assistant.routing import Action, RuleBook
from civicdesk.domain.inquiry import Outcome


class Route:
    name = "route"
    always = False

    def __init__(self, rules: RuleBook) -> None:
        self.rules = rules

    def __call__(self, context: InquiryContext) -> Verdict:
        match = self.rules.first_match(
            context.text, (Action.CRISIS, Action.HANDOVER, Action.SIGNPOST)
        )
        if match is None:
            if context.unanswerable_language:
                code = context.question_language
                context.finish(
                    Outcome.HANDED_OVER, f"language_not_supported:{code}", confidence=0.8
                )
                return Verdict("language_not_supported", {"language": code})
            return Verdict("in_scope")
        context.rule = match.name
        context.help_lines = list(match.rule.help_lines(context.language))
        if match.action is Action.CRISIS:
            context.finish(Outcome.SIGNPOSTED, f"crisis:{match.name}", confidence=0.95)
            context.needs_person = True
            return Verdict("crisis", {"rule": match.name})
        if match.action is Action.HANDOVER:
            context.finish(Outcome.HANDED_OVER, f"handover:{match.name}", confidence=0.9)
            return Verdict("handover", {"rule": match.name})
        context.finish(Outcome.SIGNPOSTED, f"out_of_scope:{match.name}", confidence=0.85)
        return Verdict("signpost", {"rule": match.name})
