"""Output guardrails: what an answer must never say, and what the body does not advise on.

The policy is data (`output.yaml`, or a body's own file named by `output_rules_path`) so that
policy staff can change it. This module only finds: `OutputPolicy.scan` reads the sentences
of an answer and returns `Finding`s (which rule, which sentence, what it asks for), and the
check stage decides what to do with them (drop a sentence, or hand the citizen to a person).

Matching runs on a normalised copy of each sentence (the disguises of
`guardrails.normalise.plain` undone, lower case, typographic quotes as ASCII, hyphens and runs
of spaces as one space), on whole words. A phrase is words with three marks: `word*` (any
word that starts so), `(a|b c)` (one of the alternatives) and `(...)?` (may be left out).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from civicdesk.assistant.guardrails.normalise import plain
from civicdesk.assistant.routing import normalise_for_rules
from civicdesk.datafiles import DataFile, read_yaml_model

BUILT_IN_OUTPUT_RULES = Path(__file__).parent / "output.yaml"


class OutputAction(StrEnum):
    DROP_SENTENCE = "drop_sentence"
    HAND_OVER = "hand_over"


class FindingKind(StrEnum):
    FORBIDDEN_TERM = "forbidden_term"
    OUTSIDE_REMIT = "outside_remit"


# --- the file's schema -----------------------------------------------------------------------

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Phrase = Annotated[str, StringConstraints(min_length=1, max_length=300)]


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = ""
    phrases: list[Phrase] = Field(default_factory=list)
    unless: list[Phrase] = Field(default_factory=list)  # a sentence with one is let through

    @model_validator(mode="after")
    def _check_phrases(self) -> _Rule:
        lists = ("phrases", "unless", "subjects", "advice", "cues", "signposts")
        for phrase in [p for name in lists for p in getattr(self, name, ())]:
            try:
                phrase_pattern(phrase)
            except ValueError as exc:
                raise ValueError(f"phrase {phrase!r}: {exc}") from None
        return self


class TermSpec(_Rule):
    """Words or phrases that must never reach a citizen."""

    id: Identifier
    action: OutputAction
    phrases: list[Phrase] = Field(min_length=1)


class TopicSpec(_Rule):
    """A topic outside the body's remit. A sentence is on it when it has one of `phrases`; or
    one of `subjects` (what the topic is about) with one of `advice` (how a sentence advises,
    predicts or takes a side); or `cues_needed` different `cues`."""

    topic: Identifier
    subjects: list[Phrase] = Field(default_factory=list)
    advice: list[Phrase] = Field(default_factory=list)
    cues: list[Phrase] = Field(default_factory=list)
    cues_needed: int = Field(default=3, ge=2, le=10)
    signposts: list[Phrase] = Field(default_factory=list)  # only phrases count beside these

    @model_validator(mode="after")
    def _needs_something(self) -> TopicSpec:
        if not (self.phrases or self.subjects or self.cues):
            raise ValueError(f"topic {self.topic}: give phrases, subjects and advice, or cues")
        if bool(self.subjects) != bool(self.advice):
            raise ValueError(f"topic {self.topic}: subjects and advice go together")
        if self.cues and len(self.cues) < self.cues_needed:
            raise ValueError(f"topic {self.topic}: fewer cues than cues_needed")
        return self


class OutputRulesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=1)
    forbidden_terms: list[TermSpec] = Field(default_factory=list)
    outside_remit: list[TopicSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> OutputRulesFile:
        for what, names in (
            ("forbidden term id", [t.id for t in self.forbidden_terms]),
            ("remit topic", [t.topic for t in self.outside_remit]),
        ):
            repeated = sorted({name for name in names if names.count(name) > 1})
            if repeated:
                raise ValueError(f"{what} used more than once: {repeated}")
        return self


# --- phrases ---------------------------------------------------------------------------------

_SEPARATOR = ",? "  # words are one space apart once normalised; a comma may sit between
_DASHES = re.compile(r"[-\u2010-\u2015\u2212_/]+")
_SPECIAL = "()|? "


def normalise_answer(text: str) -> str:
    """The form phrases are matched against (phrases are normalised the same way)."""
    latin, _ = plain(text)
    return " ".join(_DASHES.sub(" ", normalise_for_rules(latin)).split())


@dataclass(frozen=True)
class _Item:
    pattern: str
    optional: bool


def phrase_pattern(phrase: str) -> str:
    """A phrase as a regular expression on whole words; ValueError says what is wrong."""
    text = normalise_answer(phrase)
    items, end = _sequence(text, 0)
    if end < len(text):
        raise ValueError(f"unexpected {text[end]!r} at character {end + 1}")
    if not items or all(item.optional for item in items):
        raise ValueError("a phrase needs at least one word that is not optional")
    return rf"(?<!\w){_join(items)}(?!\w)"


def _sequence(text: str, position: int) -> tuple[list[_Item], int]:
    items: list[_Item] = []
    while position < len(text):
        char = text[position]
        if char == " ":
            position += 1
        elif char == "(":
            alternatives, position = _group(text, position + 1)
            optional = text.startswith("?", position)
            position += optional
            items.append(_Item(f"(?:{'|'.join(alternatives)})", optional))
        elif char in ")|":
            break
        elif char == "?":
            raise ValueError(f"'?' at character {position + 1} must follow a (group)")
        else:
            end = position
            while end < len(text) and text[end] not in _SPECIAL:
                end += 1
            items.append(_Item(_word(text[position:end]), False))
            position = end
    return items, position


def _group(text: str, position: int) -> tuple[list[str], int]:
    alternatives: list[str] = []
    while True:
        items, position = _sequence(text, position)
        if not items:
            raise ValueError("a (group) has an empty alternative")
        alternatives.append(_join(items))
        if position >= len(text):
            raise ValueError("a '(' is not closed")
        position += 1
        if text[position - 1] == ")":
            return alternatives, position


def _word(word: str) -> str:
    stem, star = (word[:-1], True) if word.endswith("*") else (word, False)
    if "*" in stem or not re.search(r"\w", stem):
        raise ValueError(f"{word!r}: '*' may only end a word")
    return re.escape(stem) + (r"\w*" if star else "")


def _join(items: Sequence[_Item]) -> str:
    pattern = ""
    for number, item in enumerate(items):
        last = number == len(items) - 1
        next_optional_last = number == len(items) - 2 and items[-1].optional
        if item.optional and last:
            pattern += f"(?:{_SEPARATOR}{item.pattern})?" if pattern else f"(?:{item.pattern})?"
        elif item.optional:
            pattern += f"(?:{item.pattern}{_SEPARATOR})?"
        else:
            pattern += item.pattern + ("" if last or next_optional_last else _SEPARATOR)
    return pattern


class _Phrases:
    """Several phrases as one expression; says which ones a sentence has."""

    def __init__(self, phrases: Sequence[str]) -> None:
        self.phrases = tuple(phrases)
        alternatives = [f"(?P<p{n}>{phrase_pattern(p)})" for n, p in enumerate(phrases)]
        self._pattern = re.compile("|".join(alternatives)) if alternatives else None

    def found(self, normalised: str) -> list[str]:
        if self._pattern is None:
            return []
        seen: list[str] = []
        for match in self._pattern.finditer(normalised):
            phrase = self.phrases[int(str(match.lastgroup)[1:])]
            if phrase not in seen:
                seen.append(phrase)
        return seen

    def any(self, normalised: str) -> bool:
        return self._pattern is not None and self._pattern.search(normalised) is not None


# --- detection -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One rule met in one sentence. `matched` holds the policy's own phrases (never the
    answer's words); `score` is 1.0, or cues found / cues needed when cues decided."""

    kind: FindingKind
    rule: str  # the term's id or the topic
    action: OutputAction
    sentence: int  # index into the sentences scanned
    matched: tuple[str, ...]
    score: float = 1.0

    @property
    def reason(self) -> str:
        """The handover reason: `forbidden_term:<id>` or `outside_remit:<topic>`."""
        return f"{self.kind}:{self.rule}"


@dataclass(frozen=True)
class _Term:
    id: str
    action: OutputAction
    phrases: _Phrases
    unless: _Phrases


@dataclass(frozen=True)
class _Topic:
    topic: str
    phrases: _Phrases
    unless: _Phrases
    subjects: _Phrases
    advice: _Phrases
    cues: _Phrases
    cues_needed: int
    signposts: _Phrases


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def split_sentences(text: str) -> list[str]:
    """A whole answer as sentences (the pipeline's answers come already split)."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


class OutputPolicy:
    """Forbidden terms and the body's remit, compiled; `scan` finds, it never acts."""

    def __init__(self, spec: OutputRulesFile) -> None:
        self._terms = [
            _Term(t.id, t.action, _Phrases(t.phrases), _Phrases(t.unless))
            for t in spec.forbidden_terms
        ]
        self._topics = [
            _Topic(
                t.topic,
                _Phrases(t.phrases),
                _Phrases(t.unless),
                _Phrases(t.subjects),
                _Phrases(t.advice),
                _Phrases(t.cues),
                t.cues_needed,
                _Phrases(t.signposts),
            )
            for t in spec.outside_remit
        ]
        # Every phrase that could start a finding, as one expression: most sentences match
        # none, and one search over them costs a fraction of asking each rule in turn.
        starts = [p for t in spec.forbidden_terms for p in t.phrases] + [
            p for t in spec.outside_remit for p in (*t.phrases, *t.subjects, *t.cues)
        ]
        self._anything = (
            re.compile("|".join(f"(?:{phrase_pattern(p)})" for p in starts)) if starts else None
        )
        self._cached = lru_cache(maxsize=4096)(self._in_sentence)

    @property
    def rules(self) -> list[str]:
        """Every rule as the reason it would give."""
        return [f"{FindingKind.FORBIDDEN_TERM}:{t.id}" for t in self._terms] + [
            f"{FindingKind.OUTSIDE_REMIT}:{t.topic}" for t in self._topics
        ]

    def scan(self, sentences: Sequence[str]) -> list[Finding]:
        """Every rule each sentence meets, in sentence order (terms before topics)."""
        findings: list[Finding] = []
        for number, sentence in enumerate(sentences):
            for found in self._cached(sentence):
                findings.append(found if number == 0 else replace(found, sentence=number))
        return findings

    def _in_sentence(self, sentence: str) -> tuple[Finding, ...]:
        """What one sentence meets (as sentence 0). Cached per process in `_cached`: an
        extractive answer's sentences are the guidance's own, met again and again."""
        normalised = normalise_answer(sentence)
        if self._anything is None or not self._anything.search(normalised):
            return ()
        return (*self._terms_in(0, normalised), *self._topics_in(0, normalised))

    def scan_text(self, text: str) -> list[Finding]:
        return self.scan(split_sentences(text))

    def _terms_in(self, number: int, normalised: str) -> list[Finding]:
        found: list[Finding] = []
        for term in self._terms:
            matched = term.phrases.found(normalised)
            if matched and not term.unless.any(normalised):
                found.append(
                    Finding(
                        FindingKind.FORBIDDEN_TERM, term.id, term.action, number, tuple(matched)
                    )
                )
        return found

    def _topics_in(self, number: int, normalised: str) -> list[Finding]:
        found: list[Finding] = []
        for topic in self._topics:
            if topic.unless.any(normalised):
                continue
            matched = topic.phrases.found(normalised)
            score = 1.0
            if not matched and not topic.signposts.any(normalised):
                matched, score = _weaker_evidence(topic, normalised)
            if matched:
                found.append(
                    Finding(
                        FindingKind.OUTSIDE_REMIT,
                        topic.topic,
                        OutputAction.HAND_OVER,
                        number,
                        tuple(matched),
                        score,
                    )
                )
        return found


def _weaker_evidence(topic: _Topic, normalised: str) -> tuple[list[str], float]:
    """A subject with advice on it, else enough cues: what matched, and the score."""
    subjects = topic.subjects.found(normalised)
    advice = topic.advice.found(normalised) if subjects else []
    if advice:
        return [subjects[0], advice[0]], 1.0
    cues = topic.cues.found(normalised)
    if len(cues) >= topic.cues_needed:
        return cues, round(len(cues) / topic.cues_needed, 3)
    return [], 0.0


def strongest_action(findings: Sequence[Finding]) -> str:
    """What the findings call for overall: `hand_over`, `drop_sentence` or `pass`."""
    actions = {f.action for f in findings}
    for action in (OutputAction.HAND_OVER, OutputAction.DROP_SENTENCE):
        if action in actions:
            return str(action)
    return "pass"


_FILE = DataFile(
    "output rules file",
    "CIVICDESK_OUTPUT_RULES_PATH",
    "docs/adr/0063-output-guardrails.md",
    ("E130", "E131", "E132"),
)


def load_output_policy(path: Path | None = None) -> OutputPolicy:
    """Read and check an output rules file (the built-in one when `path` is None); a bad
    file is one clear ConfigError."""
    return _load_cached(str(path or BUILT_IN_OUTPUT_RULES))


@lru_cache(maxsize=4)
def _load_cached(source: str) -> OutputPolicy:
    return OutputPolicy(read_yaml_model(Path(source), OutputRulesFile, _FILE))
