"""A citizen's inquiry as it moves through the answer pipeline, and what comes back."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Outcome(StrEnum):
    """How an inquiry ended. Every result has exactly one."""

    ANSWERED = "answered"
    HANDED_OVER = "handed_over"
    SIGNPOSTED = "signposted"
    REFUSED = "refused"


class Channel(StrEnum):
    WEB = "web"
    API = "api"
    CLI = "cli"
    OPENAI = "openai"
    EVAL = "eval"


@dataclass(frozen=True)
class Citation:
    """A link to the guidance an answer used, down to the section."""

    url: str
    title: str
    section: str
    snippet: str


@dataclass(frozen=True)
class AnswerPart:
    """One sentence or list item of an answer, tied to the citation it came from."""

    text: str
    citation: int  # index into the answer's citations
    is_list_item: bool = False


@dataclass(frozen=True)
class HelpLine:
    """A service to contact now (crisis help) or the right body for an out-of-scope question."""

    name: str
    phone: str = ""
    text: str = ""
    url: str = ""
    hours: str = ""
    description: str = ""


@dataclass(frozen=True)
class StageRecord:
    """One stage's verdict and time, kept in the trace."""

    stage: str
    verdict: str
    duration_ms: float
    detail: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class AssistantReply:
    """What the citizen (or an API client) gets back."""

    reference: str
    outcome: Outcome
    answer: str
    parts: tuple[AnswerPart, ...]
    citations: tuple[Citation, ...]
    language: str
    confidence: float
    reasons: tuple[str, ...]
    help_lines: tuple[HelpLine, ...] = ()
    removed_data_types: tuple[str, ...] = ()
    trace: tuple[StageRecord, ...] = ()
    guidance_language: str = ""
    question_language: str = ""  # when asked in a language no guidance is written in
    message_language: str = ""  # language of `answer` when it is a message, and of `notice`
    notice: str = ""  # e.g. "this guidance is only in English", in message_language
    generated: bool = False  # a model wrote the answer's sentences (each checked)
    related: tuple[Citation, ...] = ()  # other pages that may help (across languages)
