"""Queues by service and case priority, read from a YAML file policy staff can change.

The rules only look at what the assistant already decided and stored (the routing reason, the
redacted question, the guidance pages it ranked), so a case lands in the same queue whichever
path opened it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator

from civicdesk.assistant.routing import normalise_for_rules
from civicdesk.casework.status import Priority
from civicdesk.datafiles import DataFile, read_yaml_model

BUILT_IN_QUEUES = Path(__file__).parent / "queues.yaml"
PAGES_CONSIDERED = 2  # the best pages only: lower ones are often about something else

Pattern = Annotated[str, Field(min_length=1)]


def _check_patterns(where: str, patterns: Sequence[str]) -> None:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"{where}: bad pattern {pattern!r}: {exc}") from None


class MatchSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reasons: list[Pattern] = Field(default_factory=list)  # prefixes, not patterns
    words: list[Pattern] = Field(default_factory=list)
    pages: list[Pattern] = Field(default_factory=list)


class QueueSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    title: str = Field(min_length=1, max_length=100)
    sla_working_days: int = Field(ge=0, le=100)
    match: MatchSpec = Field(default_factory=MatchSpec)

    @model_validator(mode="after")
    def _check(self) -> QueueSpec:
        _check_patterns(f"queue {self.key}", [*self.match.words, *self.match.pages])
        return self


class MarkerSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    patterns: list[Pattern] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> MarkerSpec:
        _check_patterns(f"vulnerable marker {self.name}", self.patterns)
        return self


class QueuesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=1)
    default: str
    queues: list[QueueSpec] = Field(min_length=1)
    vulnerable: list[MarkerSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> QueuesFile:
        keys = [queue.key for queue in self.queues]
        twice = sorted({key for key in keys if keys.count(key) > 1})
        if twice:
            raise ValueError(f"queue keys used twice: {twice}")
        if self.default not in keys:
            raise ValueError(f"the default queue {self.default!r} is not listed under queues")
        return self


@dataclass(frozen=True)
class Queue:
    key: str
    title: str
    sla_working_days: int


@dataclass(frozen=True)
class Placement:
    """Where a case goes, how urgent it is, and why (for the case history)."""

    queue: Queue
    priority: Priority
    because: str
    marker: str | None = None


class _CompiledQueue:
    def __init__(self, spec: QueueSpec) -> None:
        self.queue = Queue(spec.key, spec.title, spec.sla_working_days)
        self.reasons = tuple(spec.match.reasons)
        self.words = _combined(spec.match.words)
        self.pages = _combined(spec.match.pages)


def _combined(patterns: Sequence[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


class QueueBook:
    """Every queue in file order, the default, and the vulnerability markers."""

    def __init__(self, spec: QueuesFile) -> None:
        self._queues = [_CompiledQueue(queue) for queue in spec.queues]
        self.default = next(q.queue for q in self._queues if q.queue.key == spec.default)
        self._markers = [(marker.name, _combined(marker.patterns)) for marker in spec.vulnerable]

    @property
    def queues(self) -> list[Queue]:
        return [compiled.queue for compiled in self._queues]

    def get(self, key: str) -> Queue | None:
        return next((q.queue for q in self._queues if q.queue.key == key), None)

    def place(self, reasons: Sequence[str], text: str, pages: Sequence[str]) -> Placement:
        """The queue and priority for a case from its routing reasons, text and ranked pages."""
        normalised = normalise_for_rules(text)
        queue, because = self._choose(reasons, normalised, pages)
        if any(reason.startswith("crisis:") for reason in reasons):
            return Placement(queue, Priority.CRISIS, because)
        for name, pattern in self._markers:
            if pattern is not None and pattern.search(normalised):
                return Placement(queue, Priority.VULNERABLE, because, marker=name)
        return Placement(queue, Priority.NORMAL, because)

    def _choose(
        self, reasons: Sequence[str], normalised: str, pages: Sequence[str]
    ) -> tuple[Queue, str]:
        for compiled in self._queues:
            for reason in reasons:
                if any(reason.startswith(prefix) for prefix in compiled.reasons):
                    return compiled.queue, f"reason:{reason}"
        for compiled in self._queues:
            if compiled.words is not None and compiled.words.search(normalised):
                return compiled.queue, "words"
        for url in pages[:PAGES_CONSIDERED]:
            path = urlsplit(url).path or url
            for compiled in self._queues:
                if compiled.pages is not None and compiled.pages.search(path):
                    return compiled.queue, f"page:{path}"
        return self.default, "default"


def load_queues(path: Path | None = None) -> QueueBook:
    """Read and check a queues file; a bad file is one clear ConfigError."""
    return _load_cached(str(path or BUILT_IN_QUEUES))


_FILE = DataFile(
    "queues file",
    "CIVICDESK_QUEUES_PATH",
    "docs/adr/0051-cases-and-queues.md",
    ("E710", "E711", "E712"),
)


@lru_cache(maxsize=4)
def _load_cached(source: str) -> QueueBook:
    return QueueBook(read_yaml_model(Path(source), QueuesFile, _FILE))
