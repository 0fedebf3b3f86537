"""The input guard interface and its layers: normalisation, the routing rules, a classifier,
and nonsense.

Each layer is an `InputGuard`, so an optional model judge can be added as one more layer
without touching the guard stage. The routing rules (`rules/routing.yaml`) stay the policy
source: `RuleGuard` wraps the `RuleBook` rather than copying its patterns. A message in crisis
is never refused, whatever else it says: crisis is checked first, on every view of the message.
Nonsense is checked after the rules and before the classifier, on the message as written, and
asks the citizen to rephrase: it is never a refusal, and a rule refusing manipulation or abuse
wins when both apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from civicdesk.assistant.guardrails.classifier import Classifier, train_from
from civicdesk.assistant.guardrails.nonsense import LetterModel, assess, letter_model
from civicdesk.assistant.guardrails.normalise import views
from civicdesk.assistant.routing import Action, RuleBook

# pass: go on; refuse: manipulation or abuse; rephrase: nonsense, ask the citizen to try again.
GuardAction = Literal["pass", "refuse", "rephrase"]
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


class NonsenseGuard:
    """Keyboard mash, random characters, repetition, no letters: ask to rephrase.

    It reads only the message as written (`written_only`): folding look-alike letters would
    turn a Russian word into a mix of alphabets, and a decoded payload is not the citizen's
    words. A message that hides a payload is left to the other layers.
    """

    written_only = True

    def __init__(self, model: LetterModel | None = None) -> None:
        self.model = model or letter_model()

    def check(self, text: str) -> GuardVerdict:
        found = assess(text, self.model)
        if not found.nonsense:
            return PASS
        return GuardVerdict(
            "rephrase",
            found.signal,
            found.share,
            (f"nonsense:{found.signal}", f"nonsense_words:{found.flagged}/{found.judged}"),
        )


class LayeredGuard:
    """Normalise, then ask each layer in turn about every view; crisis first, then the first
    layer that stops the message (refuse or rephrase) decides."""

    def __init__(self, rules: RuleBook, layers: Sequence[InputGuard]) -> None:
        self.crisis = RuleGuard(rules)
        self.layers = tuple(layers)

    def check(self, text: str) -> GuardVerdict:
        seen = views(text)
        disguises = tuple(f"normalised:{change}" for change in seen.changes)
        texts = tuple(dict.fromkeys((text, *seen.all())))  # a view like the text: once
        for view in texts:
            verdict = self.crisis.check(view)
            if verdict.category == CRISIS:
                return GuardVerdict("pass", CRISIS, 1.0, verdict.reasons + disguises)
        best = 0.0
        for layer in self.layers:
            asked = texts
            if getattr(layer, "written_only", False):
                asked = () if seen.decoded else (text,)
            for view in asked:
                verdict = layer.check(view)
                if verdict.action != "pass":
                    return GuardVerdict(
                        verdict.action,
                        verdict.category,
                        verdict.score,
                        verdict.reasons + disguises,
                    )
                best = max(best, verdict.score)
        return GuardVerdict("pass", "none", best, disguises)


def build_input_guard(
    rules: RuleBook,
    *,
    threshold: float = CLASSIFIER_THRESHOLD,
    classifier: bool = True,
    nonsense: bool = True,
) -> LayeredGuard:
    """The default guard: the rules, nonsense, then the trained classifier (the last two can be
    turned off to compare configurations).

    Nonsense comes before the classifier, which was trained on sentences: on keyboard mash or
    another language's text its score means little, and a low threshold would refuse them as
    attacks. The rules come first, so "idiot idiot idiot" is refused as abuse, not rephrased.
    """
    layers: list[InputGuard] = [RuleGuard(rules)]
    if nonsense:
        layers.append(NonsenseGuard())
    if classifier:
        layers.append(ClassifierGuard(train_from(isolated=True), threshold))
    return LayeredGuard(rules, layers)
