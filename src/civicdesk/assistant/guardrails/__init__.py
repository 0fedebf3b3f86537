"""Input guardrails: refuse manipulation and abuse before the assistant reads a question."""

from civicdesk.assistant.guardrails.guard import (
    ClassifierGuard,
    GuardVerdict,
    InputGuard,
    LayeredGuard,
    RuleGuard,
    build_input_guard,
)

__all__ = [
    "ClassifierGuard",
    "GuardVerdict",
    "InputGuard",
    "LayeredGuard",
    "RuleGuard",
    "build_input_guard",
]
