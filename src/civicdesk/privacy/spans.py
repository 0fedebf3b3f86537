"""What detection finds and what redaction returns: plain data, joined to actions by offsets."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class DetectedSpan:
    """One piece of personal data: its type, where it is in the original text, and how sure."""

    type: str
    start: int
    end: int
    score: float

    def as_dict(self) -> dict[str, object]:
        return {"type": self.type, "start": self.start, "end": self.end, "score": self.score}


@dataclass(frozen=True, slots=True)
class Redaction:
    """Text with personal data replaced, and the spans (offsets into the ORIGINAL text)."""

    text: str
    spans: tuple[DetectedSpan, ...]
    types: frozenset[str] = field(default_factory=frozenset)

    @property
    def changed(self) -> bool:
        return bool(self.spans)
