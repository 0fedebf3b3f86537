"""Load the routing rules (YAML, checked against a schema) and match questions against them.

The rules are data so that policy staff can change them; this module only knows how to read
and apply them. Matching runs on a normalised copy of the (already redacted) question.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from civicdesk.datafiles import DataFile, read_yaml_model
from civicdesk.domain.inquiry import HelpLine

BUILT_IN_RULES = Path(__file__).parent / "rules" / "routing.yaml"


class Action(StrEnum):
    CRISIS = "crisis"
    REFUSE = "refuse"
    HANDOVER = "handover"
    SIGNPOST = "signpost"


ACTION_ORDER = (Action.CRISIS, Action.REFUSE, Action.HANDOVER, Action.SIGNPOST)


class HelpLineSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    name_cy: str = ""
    phone: str = ""
    text: str = ""
    text_cy: str = ""
    url: str = ""
    hours: str = ""
    hours_cy: str = ""
    description: str = ""
    description_cy: str = ""

    def localised(self, language: str) -> HelpLine:
        welsh = language == "cy"
        return HelpLine(
            name=(self.name_cy if welsh and self.name_cy else self.name),
            phone=self.phone,
            text=(self.text_cy if welsh and self.text_cy else self.text),
            url=self.url,
            hours=(self.hours_cy if welsh and self.hours_cy else self.hours),
            description=(
                self.description_cy if welsh and self.description_cy else self.description
            ),
        )


Pattern = Annotated[str, Field(min_length=1)]


class RuleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    action: Action
    patterns: list[Pattern] = Field(min_length=1)
    unless: list[Pattern] = Field(default_factory=list)
    help_lines: list[str] = Field(default_factory=list)
    destination: HelpLineSpec | None = None

    @model_validator(mode="after")
    def _check(self) -> RuleSpec:
        for pattern in [*self.patterns, *self.unless]:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"rule {self.name}: bad pattern {pattern!r}: {exc}") from None
        if self.action is Action.SIGNPOST and self.destination is None:
            raise ValueError(f"rule {self.name}: a signpost rule needs a destination")
        if self.action is Action.CRISIS and not self.help_lines:
            raise ValueError(f"rule {self.name}: a crisis rule needs help_lines")
        return self


class RulesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=1)
    help_lines: dict[str, HelpLineSpec]
    rules: list[RuleSpec]

    @model_validator(mode="after")
    def _check_help_lines(self) -> RulesFile:
        for rule in self.rules:
            missing = [key for key in rule.help_lines if key not in self.help_lines]
            if missing:
                raise ValueError(f"rule {rule.name}: unknown help_lines {missing}")
        return self


class Rule:
    """A compiled rule."""

    def __init__(self, spec: RuleSpec, help_lines: dict[str, HelpLineSpec]) -> None:
        self.name = spec.name
        self.action = spec.action
        # Patterns in Arabic script (Arabic, Urdu) are searched only in text that has some:
        # most questions do not, and each alternative costs a try at every position.
        latin = [p for p in spec.patterns if not _ARABIC_SCRIPT.search(p)]
        arabic = [p for p in spec.patterns if _ARABIC_SCRIPT.search(p)]
        self._patterns = _combined(latin)
        self._arabic_patterns = _combined(arabic)
        self._unless = _combined(spec.unless)
        self._help_lines = [help_lines[key] for key in spec.help_lines]
        self._destination = spec.destination

    def matches(self, normalised: str) -> bool:
        if not any(p.search(normalised) for p in self._patterns) and not (
            self._arabic_patterns
            and _ARABIC_SCRIPT.search(normalised)
            and any(p.search(normalised) for p in self._arabic_patterns)
        ):
            return False
        return not any(p.search(normalised) for p in self._unless)

    def help_lines(self, language: str) -> tuple[HelpLine, ...]:
        lines = [line.localised(language) for line in self._help_lines]
        if self._destination is not None:
            lines.append(self._destination.localised(language))
        return tuple(lines)


_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=")
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")


def _combined(patterns: list[str]) -> list[re.Pattern[str]]:
    """One alternation for a rule's patterns (one search instead of many), unless a pattern
    refers back to its own groups, which an alternation would renumber."""
    if not patterns:
        return []
    if any(_BACKREFERENCE.search(p) for p in patterns):
        return [re.compile(p) for p in patterns]
    return [re.compile("|".join(f"(?:{p})" for p in patterns))]


class RuleMatch:
    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.name = rule.name
        self.action = rule.action


class RuleBook:
    """All routing rules, applied in a fixed order of precedence."""

    def __init__(self, spec: RulesFile) -> None:
        self._rules = [Rule(rule, spec.help_lines) for rule in spec.rules]
        # The guard and the route stage ask about the same message: the second asks free.
        self._matching = lru_cache(maxsize=256)(self._matching_rules)

    def first_match(
        self, text: str, actions: tuple[Action, ...] = ACTION_ORDER
    ) -> RuleMatch | None:
        matching = self._matching(normalise_for_rules(text))
        for action in actions:
            for rule in matching:
                if rule.action is action:
                    return RuleMatch(rule)
        return None

    def _matching_rules(self, normalised: str) -> tuple[Rule, ...]:
        """Every rule `normalised` meets, in the file's order."""
        return tuple(rule for rule in self._rules if rule.matches(normalised))


_QUOTES = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u201c": '"', "\u201d": '"'}
)


# Arabic-script marks that sit between the letters a pattern looks for: short-vowel marks
# (harakat, U+064B-U+065F), the superscript alef (U+0670) and the tatweel stretch (U+0640).
_ARABIC_MARKS = dict.fromkeys([*range(0x064B, 0x0660), 0x0670, 0x0640])


def normalise_for_rules(text: str) -> str:
    """Lower case, NFKC, typographic quotes as ASCII, Arabic vowel marks and tatweel removed,
    single spaces (newlines kept)."""
    folded = (
        unicodedata.normalize("NFKC", text).translate(_QUOTES).translate(_ARABIC_MARKS).lower()
    )
    lines = [" ".join(line.split()) for line in folded.splitlines()]
    return "\n".join(line for line in lines if line)


def load_rules(path: Path | None = None) -> RuleBook:
    """Read and check a rules file; a bad file is one clear ConfigError."""
    source = path or BUILT_IN_RULES
    return _load_rules_cached(str(source))


_FILE = DataFile(
    "routing rules file",
    "CIVICDESK_ASSISTANT_RULES_PATH",
    "docs/adr/0041-routing-rules-as-data.md",
    ("E110", "E111", "E112"),
)


@lru_cache(maxsize=4)
def _load_rules_cached(source: str) -> RuleBook:
    return RuleBook(read_yaml_model(Path(source), RulesFile, _FILE))
