"""The AI draft: the assistant's retrieval and extractive composer, run in staff mode.

Staff mode skips routing and the answer threshold: a handed-over question still gets the best
guidance the knowledge base has, every sentence verbatim from a cited section, framed as a
reply the caseworker can edit, approve or discard. It is never sent on its own. A crisis
case's draft starts with the help lines the citizen was shown.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from civicdesk.assistant.context import InquiryContext
from civicdesk.assistant.guardrails.output import OutputPolicy
from civicdesk.assistant.pipeline import Pipeline
from civicdesk.assistant.stages.check import Check, Detector
from civicdesk.assistant.stages.compose import Compose
from civicdesk.assistant.stages.retrieve import Retrieve, Retriever
from civicdesk.domain.inquiry import Channel, Citation, HelpLine
from civicdesk.settings import Settings

PHRASES = {
    "en": {
        "greeting": "Hello,",
        "thanks": "Thank you for your question (reference {reference}).",
        "crisis": "If you or someone else is in danger now, call 999. You can also get help now "
        "from:",
        "sources": "You can read more in our guidance:",
    },
    "cy": {
        "greeting": "Helo,",
        "thanks": "Diolch am eich cwestiwn (cyfeirnod {reference}).",
        "crisis": "Os ydych chi neu rywun arall mewn perygl nawr, ffoniwch 999. Gallwch hefyd "
        "gael help nawr gan:",
        "sources": "Gallwch ddarllen mwy yn ein canllawiau:",
    },
}


class Knowledge:
    """The index drafts search: the assistant's own when it shares it (one copy per process,
    which forked web workers share), else loaded on the first draft."""

    def __init__(self, settings: Settings, engine: Engine, retriever: Retriever | None) -> None:
        self._settings = settings
        self._engine = engine
        self._retriever = retriever
        self._lock = threading.Lock()

    def share(self, retriever: Retriever | None) -> None:
        if retriever is not None:
            with self._lock:
                self._retriever = retriever

    def get(self) -> Retriever:
        with self._lock:
            if self._retriever is None:
                from civicdesk.assistant.service import FreshRetriever

                self._retriever = FreshRetriever(self._settings, self._engine)
            return self._retriever


@dataclass(frozen=True)
class WrittenDraft:
    text: str
    citations: list[Citation]
    relevance: float
    milliseconds: float


class DraftWriter:
    """Writes a draft reply for a case from its redacted question."""

    def __init__(
        self,
        knowledge: Callable[[], Retriever],
        detector: Detector | None,
        organisation: str,
        threshold: float,
        output_policy: OutputPolicy | None = None,
    ) -> None:
        self.knowledge = knowledge
        self._detector = detector
        self._organisation = organisation
        self._threshold = threshold
        self._output_policy = output_policy  # the same output checks as citizens' answers

    def write(
        self, *, reference: str, text: str, language: str, help_lines: Sequence[HelpLine]
    ) -> WrittenDraft:
        started = time.perf_counter()
        context = InquiryContext(
            raw_text=text, channel=Channel.API, reference=reference, text=text, language=language
        )
        check = Check(self._detector, output_policy=self._output_policy)
        staff_mode = Pipeline([Retrieve(self.knowledge()), Compose(self._threshold), check])
        staff_mode.run(context)
        body = frame(
            reference=reference,
            language=language,
            answer=context.answer,
            citations=context.citations,
            help_lines=help_lines,
            organisation=self._organisation,
        )
        elapsed = (time.perf_counter() - started) * 1000
        return WrittenDraft(body, list(context.citations), context.relevance, round(elapsed, 3))


def frame(
    *,
    reference: str,
    language: str,
    answer: str,
    citations: Sequence[Citation],
    help_lines: Sequence[HelpLine],
    organisation: str,
) -> str:
    """The draft as the citizen would read it: help first (crisis), answer, sources, sign-off."""
    words = PHRASES.get(language, PHRASES["en"])
    blocks: list[str] = []
    if help_lines:
        lines = [words["crisis"]]
        for line in help_lines:
            contact = ", ".join(part for part in (line.phone, line.text, line.url) if part)
            hours = f" ({line.hours})" if line.hours else ""
            lines.append(f"- {line.name}: {contact}{hours}")
        blocks.append("\n".join(lines))
    blocks.append(words["greeting"])
    blocks.append(words["thanks"].format(reference=reference))
    if answer:
        blocks.append(answer)
    if citations:
        sources = [words["sources"]]
        sources.extend(f"- {c.title}: {c.url}" for c in citations)
        blocks.append("\n".join(sources))
    blocks.append(organisation)
    return "\n\n".join(blocks)


def word_edit_distance(before: str, after: str) -> int:
    """Levenshtein distance in words: insertions, deletions and substitutions of whole words.

    Words suit a caseworker's edits better than characters ("fortnight" for "two weeks" is
    one or two changes, not nine). Common leading and trailing words are set aside first, so
    the usual light edit costs little.
    """
    a, b = before.split(), after.split()
    while a and b and a[0] == b[0]:
        a, b = a[1:], b[1:]
    while a and b and a[-1] == b[-1]:
        a, b = a[:-1], b[:-1]
    if not a or not b:
        return len(a) + len(b)
    previous = list(range(len(b) + 1))
    for i, word in enumerate(a, start=1):
        current = [i]
        for j, other in enumerate(b, start=1):
            current.append(
                min(
                    previous[j] + 1,  # delete word
                    current[j - 1] + 1,  # insert other
                    previous[j - 1] + (word != other),  # keep or substitute
                )
            )
        previous = current
    return previous[-1]
