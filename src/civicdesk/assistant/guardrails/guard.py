"""The input guard interface and its layers: normalisation, the routing rules, a classifier.

Each layer is an `InputGuard`, so an optional model judge can be added as one more layer
without touching the guard stage. The routing rules (`rules/routing.yaml`) stay the policy
source: `RuleGuard` wraps the `RuleBook` rather than copying its patterns. A message in crisis
is never refused, whatever else it says: crisis is checked first, on every view of the message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from civicdesk.assistant.guardrails.classifier import Classifier, train_from
from civicdesk.assistant.guardrails.normalise import views
from civicdesk.assistant.routing import Action, RuleBook

GuardAction = Literal["pass", "refuse"]
# Above this probability the classifier refuses. Set high: a wrongly refused citizen is worse
# than an attack that reaches the extractive composer, which only ever quotes the guidance.
CLASSIFIER_THRESHOLD = 0.75
CRISIS = "crisis"


@dataclass(frozen=True)
class GuardVerdict:
    action: GuardAction
    category: str
    score: float
    reasons: tuple[str, ...] = ()

    @property
    def refused(self) -> bool:
        return self.action == "refuse"


PASS = GuardVerdict("pass", "none", 0.0)


class InputGuard(Protocol):
    def check(self, text: str) -> GuardVerdict: ...


class RuleGuard:
    """The routing rules' crisis and refuse rules, as a guard layer."""

    def __init__(self, rules: RuleBook) -> None:
        self.rules = rules

    def check(self, text: str) -> GuardVerdict:
        match = self.rules.first_match(text, (Action.CRISIS, Action.REFUSE))
        if match is None:
            return PASS
        if match.action is Action.CRISIS:
            return GuardVerdict("pass", CRISIS, 1.0, (f"rule:{match.name}",))
        return GuardVerdict("refuse", match.name, 1.0, (f"rule:{match.name}",))


class ClassifierGuard:
    """The trained classifier, refusing above a threshold."""

    def __init__(self, classifier: Classifier, threshold: float = CLASSIFIER_THRESHOLD) -> None:
        self.classifier = classifier
        self.threshold = threshold

    def check(self, text: str) -> GuardVerdict:
        score = self.classifier.score(text)
        if score >= self.threshold:
            return GuardVerdict("refuse", "classifier", score, (f"classifier:{score:.2f}",))
        return GuardVerdict("pass", "none", score)


class LayeredGuard:
    """Normalise, then ask each layer about every view; the first refusal wins, crisis first."""

    def __init__(self, rules: RuleBook, layers: Sequence[InputGuard]) -> None:
        self.crisis = RuleGuard(rules)
        self.layers = tuple(layers)

    def check(self, text: str) -> GuardVerdict:
        seen = views(text)
        disguises = tuple(f"normalised:{change}" for change in seen.changes)
        texts = (text, *seen.all())
        for view in texts:
            verdict = self.crisis.check(view)
            if verdict.category == CRISIS:
                return GuardVerdict("pass", CRISIS, 1.0, verdict.reasons + disguises)
        best = 0.0
        for layer in self.layers:
            for view in texts:
                verdict = layer.check(view)
                if verdict.refused:
                    return GuardVerdict(
                        "refuse", verdict.category, verdict.score, verdict.reasons + disguises
                    )
                best = max(best, verdict.score)
        return GuardVerdict("pass", "none", best, disguises)


def build_input_guard(
    rules: RuleBook, *, threshold: float = CLASSIFIER_THRESHOLD, classifier: bool = True
) -> LayeredGuard:
    """The default guard: the rules, then (unless turned off) the trained classifier."""
    layers: list[InputGuard] = [RuleGuard(rules)]
    if classifier:
        layers.append(ClassifierGuard(train_from(), threshold))
    return LayeredGuard(rules, layers)
