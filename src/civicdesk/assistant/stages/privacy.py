"""privacy: personal data is replaced by typed placeholders before anything is stored."""

from __future__ import annotations

from typing import Protocol

from civicdesk.assistant.context import InquiryContext, Verdict


class Redacted(Protocol):
    @property
    def text(self) -> str: ...

    @property
    def types(self) -> frozenset[str]: ...


class Redactor(Protocol):
    def redact(self, text: str) -> Redacted: ...


class Privacy:
    name = "privacy"
    always = False

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor

    def __call__(self, context: InquiryContext) -> Verdict:
        result = self.redactor.redact(context.text)
        context.text = result.text
        context.removed_data_types = tuple(sorted(result.types))
        verdict = "redacted" if result.types else "clean"
        return Verdict(verdict, {"types": list(context.removed_data_types)})
