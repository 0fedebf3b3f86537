"""Checked sentences for a reader who wants the answer while a model is writing it.

When a model writes the answer and the caller gave a sink, the compose stage passes each
sentence on as soon as it is complete, and only once it has passed the check stage's tests
for one sentence: its cited sources were retrieved, its cited text supports it, invented
links are removed, a generated sentence holds no personal identifier, and it meets no
output rule (the same functions: civicdesk.assistant.grounding, the check stage's detector
and output policy). A sentence translated into the citizen's language passes the same checks
as the check stage gives it (its guidance-language twin grounded, the same literal facts,
close enough in meaning when an embedder is set), and the reader gets the checked translation.
A lead-in ("You can:") waits for the sentence it leads into. Never raw tokens.

The check stage still checks the whole answer afterwards, and that answer is the one stored
and shown at the end: a reader replaces what it was shown with it. When the provider fails
part-way, the reader is told to reset and is then given the extractive answer, sentence by
sentence, checked the same way.

A sink is a callable the caller owns: it is never stored or logged, and one that raises is
dropped (its error type logged) without costing the citizen their answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from civicdesk.assistant.grounding import (
    Claim,
    SentenceCheck,
    Similarity,
    SourceText,
    check_grounding,
)
from civicdesk.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class LiveSentence:
    """A sentence that passed the checks: its text as it may be shown (invented links
    removed), the number of the source the page will link for it (1 is the answer's first
    source, as numbered while it is written), and whether it is a list item."""

    text: str
    sources: tuple[int, ...]
    is_list_item: bool = False
    event: ClassVar[str] = "sentence"


@dataclass(frozen=True)
class LiveReset:
    """Forget the sentences shown so far: the provider failed and the extractive answer
    follows."""

    event: ClassVar[str] = "reset"


LiveEvent = LiveSentence | LiveReset
SentenceSink = Callable[[LiveEvent], None]


def guarded(sink: SentenceSink) -> SentenceSink:
    """The sink, safe to call: its first failure is logged (the type only, never the
    text) and every later event is dropped, so a reader that went away costs nothing."""
    broken = False

    def send(event: LiveEvent) -> None:
        nonlocal broken
        if broken:
            return
        try:
            sink(event)
        except Exception as exc:
            broken = True
            log.warning("live_sink_failed", error=type(exc).__name__)

    return send


class SentenceGate:
    """Grounds an answer's claims one at a time as they arrive, the way the check stage
    grounds the whole answer, and sends those that pass to the sink.

    `withhold` says whether a grounded sentence must still not be shown (a personal
    identifier in generated text, an output rule met: the check stage's other tests);
    `verbatim` holds extractive parts to the words of their source; `similarity` measures
    a translated sentence against its guidance-language twin, as the check stage does.
    """

    def __init__(
        self,
        sink: SentenceSink,
        sources: Sequence[SourceText],
        known: Callable[[str], bool],
        *,
        min_support: float,
        verbatim: bool = False,
        withhold: Callable[[SentenceCheck], bool] | None = None,
        similarity: Similarity | None = None,
        min_similarity: float = 0.0,
    ) -> None:
        self.sink = sink
        self.sources = sources
        self.known = known
        self.min_support = min_support
        self.verbatim = verbatim
        self.withhold = withhold
        self.similarity = similarity
        self.min_similarity = min_similarity
        self.shown = 0
        self._lead_in: Claim | None = None

    def offer(self, claim: Claim) -> None:
        """Check `claim` and send it if it passes; a lead-in waits for the next claim."""
        claims = [self._lead_in, claim] if self._lead_in is not None else [claim]
        self._lead_in = None
        report = check_grounding(
            claims,
            self.sources,
            self.known,
            min_support=self.min_support,
            verbatim=self.verbatim,
            similarity=self.similarity,
            min_similarity=self.min_similarity,
        )
        *earlier, last = report.sentences
        for check in earlier:
            self._send(check)
        if last.verdict == "lead_in_alone":  # nothing followed it yet: ask again with the next
            self._lead_in = claim
        else:
            self._send(last)

    def _send(self, check: SentenceCheck) -> None:
        if not check.kept or check.citation is None:
            return
        if self.withhold is not None and self.withhold(check):
            return
        self.shown += 1
        self.sink(LiveSentence(check.text, (check.citation + 1,), check.is_list_item))
