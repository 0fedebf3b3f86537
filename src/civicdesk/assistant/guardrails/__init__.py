"""Input guardrails: refuse manipulation and abuse, and ask for nonsense to be rephrased,
before the assistant reads a question."""

from civicdesk.assistant.guardrails.guard import (
    ClassifierGuard,
    GuardVerdict,
    InputGuard,
    LayeredGuard,
    NonsenseGuard,
    RuleGuard,
    build_input_guard,
)

__all__ = [
    "ClassifierGuard",
    "GuardVerdict",
    "InputGuard",
    "LayeredGuard",
    "NonsenseGuard",
    "RuleGuard",
    "build_input_guard",
]
