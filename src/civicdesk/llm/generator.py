"""The generator interface: a question and numbered sources in, cited sentences out.

For a question in a language no guidance is written in, a generator also renders the question
in the guidance's language for retrieval (`translate_query`), and writes each sentence twice
(`translate_to`): in the guidance's language, to be checked against the sources, and in the
citizen's, to be shown once it is checked against the first.

A generator writes an answer only from the sources it is given, and says for each sentence
which sources support it. What it writes is not trusted: the assistant checks every sentence
against the sources it cites before a citizen sees it (civicdesk.assistant.grounding). The
extractive composer is the default and needs no generator; a provider ("openai") is one
implementation of this protocol, picked by name from settings (civicdesk.llm.build_generator).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from civicdesk.errors import CivicdeskError


@dataclass(frozen=True)
class Source:
    """One numbered passage of guidance shown to the model; `number` is what it cites."""

    number: int
    title: str
    section: str
    url: str
    text: str


@dataclass(frozen=True)
class GeneratedSentence:
    """A sentence (or list item) the model wrote, with the numbers of the sources it cites.

    In a translated answer `text` is in the citizen's language and `source_text` is the same
    sentence in the guidance's language ("" when the model left it out); otherwise None.
    """

    text: str
    sources: tuple[int, ...]
    is_list_item: bool = False
    source_text: str | None = None


@dataclass(frozen=True)
class Prices:
    """What a provider charges per 1,000 tokens, in the body's billing currency."""

    input_per_1k: float = 0.0
    output_per_1k: float = 0.0

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (
            prompt_tokens / 1000 * self.input_per_1k + completion_tokens / 1000 * self.output_per_1k
        )


@dataclass
class TokenUsage:
    """Tokens and cost spent on one inquiry, across every call and retry, against a budget.

    One object per inquiry, passed to each call, so later calls (translation, a judge) share
    the same budget. `estimated` is set when a server did not report usage and the count was
    estimated from the text (about four characters a token).
    """

    budget: int
    prompt_tokens: int = 0
    completion_tokens: int = 0
    attempts: int = 0
    cost: float = 0.0
    estimated: bool = False
    model: str = ""

    @property
    def total(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def remaining(self) -> int:
        return max(0, self.budget - self.total)

    def add(self, prompt_tokens: int, completion_tokens: int, prices: Prices) -> None:
        self.prompt_tokens += prompt_tokens
        self.completion_tokens += completion_tokens
        self.cost += prices.cost(prompt_tokens, completion_tokens)

    def as_record(self) -> dict[str, object]:
        """For the trace and the audit event: numbers only, never text."""
        return {
            "model": self.model,
            "attempts": self.attempts,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "budget": self.budget,
            "cost": round(self.cost, 6),
            "estimated": self.estimated,
        }


@dataclass(frozen=True)
class GeneratedAnswer:
    sentences: tuple[GeneratedSentence, ...]
    structured: bool = True  # False when the server had no JSON-schema mode and text was parsed
    notes: tuple[str, ...] = field(default_factory=tuple)


class GenerationFailed(CivicdeskError):
    """The provider gave no usable answer (after retries, or with the circuit open).

    The assistant never shows this to a citizen: it falls back to the extractive answer and
    the trace records `reason` and the code.
    """

    code = "E1000"

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        code: str,
        hint: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, hint=hint, code=code)
        self.reason = reason
        self.retry_after = retry_after  # seconds the provider asked us to wait, if it said


# Why a call failed. Codes are stable (see docs/operator-guide.md, "Configuring a provider").
FAILURES: dict[str, str] = {
    "timeout": "E1001",
    "unreachable": "E1002",
    "rate_limited": "E1003",
    "server_error": "E1004",
    "malformed_output": "E1005",
    "rejected": "E1006",  # 4xx other than 429: key, model name, request refused
    "truncated": "E1007",  # stopped at llm_max_tokens before the JSON was complete
    "model_refused": "E1008",
    "over_budget": "E1009",
    "circuit_open": "E1010",
}


def failure(
    reason: str, message: str, hint: str = "", *, retry_after: float | None = None
) -> GenerationFailed:
    return GenerationFailed(
        reason, message, code=FAILURES[reason], hint=hint, retry_after=retry_after
    )


class Generator(Protocol):
    """Writes a grounded answer. Implementations must never raise anything but
    GenerationFailed for a provider problem, so the caller has one thing to fall back on."""

    name: str

    def generate(
        self,
        question: str,
        sources: Sequence[Source],
        *,
        language: str,
        usage: TokenUsage,
        translate_to: str = "",
    ) -> GeneratedAnswer:
        """The answer in `language` (the sources'); with `translate_to` (the citizen's
        language), each sentence's `text` in that language and `source_text` in `language`."""
        ...

    def stream(
        self,
        question: str,
        sources: Sequence[Source],
        *,
        language: str,
        usage: TokenUsage,
        translate_to: str = "",
    ) -> Iterator[str]:
        """The raw answer as it is written, in text deltas (the JSON of GeneratedAnswer);
        `civicdesk.llm.structured.complete_sentences` turns them into sentences."""
        ...

    def translate_query(self, text: str, *, target: str, usage: TokenUsage) -> str:
        """`text` (a citizen's question, already redacted) rendered in `target`, for
        retrieval only: never shown to anyone as an answer."""
        ...
