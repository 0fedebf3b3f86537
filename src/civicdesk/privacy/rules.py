"""Deployment rules as data: extra patterns (a council's claim reference) and an allow-list.

The YAML file named by ``privacy_rules_path`` looks like::

    patterns:
      - type: COUNCIL_CLAIM_REF
        regex: 'HB-?\\d{6}'
        score: 0.9
        context: [claim, reference]
        needs_context: false
        label_en: a housing benefit claim reference
        label_cy: cyfeirnod hawliad budd-dal tai
    allow_list:
      - value: 0300 123 4567          # the council's published contact centre number
        type: PHONE_NUMBER             # optional: allow only as this type
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from civicdesk.errors import CivicdeskError, describe_validation


class PrivacyRulesError(CivicdeskError):
    """The privacy rules file cannot be read or does not follow the schema."""

    code = "E810"


class PatternRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str = Field(pattern=r"^[A-Z][A-Z0-9_]{1,49}$", description="Type name, e.g. CLAIM_REF.")
    regex: str = Field(min_length=1)
    score: float = Field(default=0.85, gt=0.0, le=1.0)
    context: list[str] = Field(default_factory=list)
    needs_context: bool = False
    ignore_case: bool = False
    label_en: str = ""
    label_cy: str = ""

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            compiled = re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression ({exc})") from None
        if compiled.match(""):
            raise ValueError("the regular expression matches empty text")
        return value


class AllowRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    value: str = Field(min_length=2)
    type: str | None = None


class PrivacyRules(BaseModel):
    """The whole rules file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    patterns: list[PatternRule] = Field(default_factory=list)
    allow_list: list[AllowRule] = Field(default_factory=list)


def load_rules(path: Path | None) -> PrivacyRules:
    """Read and validate the rules file; no path means no deployment rules."""
    if path is None:
        return PrivacyRules()
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PrivacyRulesError(
            f"cannot read the privacy rules file {path} ({exc.strerror}).",
            hint="Check privacy_rules_path (CIVICDESK_PRIVACY_RULES_PATH) names a readable file.",
            code="E811",
        ) from None
    except yaml.YAMLError as exc:
        raise PrivacyRulesError(
            f"the privacy rules file {path} is not valid YAML ({exc}).",
            hint="Fix the line named; docs/adr/0031-privacy-rules.md shows the format.",
            code="E812",
        ) from None
    return parse_rules(raw if raw is not None else {}, source=str(path))


def parse_rules(raw: Any, *, source: str = "rules") -> PrivacyRules:
    try:
        return PrivacyRules.model_validate(raw)
    except ValidationError as exc:
        raise PrivacyRulesError(
            f"the privacy rules in {source} do not follow the schema "
            f"({describe_validation(exc)}).",
            hint="Fix the fields named; docs/adr/0031-privacy-rules.md shows the format.",
            code="E813",
        ) from None


def canonical_value(value: str) -> str:
    """How allow-list entries and found values are compared: digits only for numbers."""
    stripped = _NUMBER_PUNCTUATION.sub("", value)
    if stripped.isdigit() and len(stripped) >= 6:
        if value.lstrip().startswith("+44"):
            return "0" + stripped[2:].removeprefix("0")
        if stripped.startswith("0044"):
            return "0" + stripped[4:].removeprefix("0")
        return stripped
    return " ".join(value.casefold().replace(",", " ").split())


def allow_regex(value: str) -> re.Pattern[str]:
    """A pattern finding an allow-listed value however it is spaced or punctuated."""
    canonical = canonical_value(value)
    if canonical.isdigit():
        body = r"[ .\-()]*".join(re.escape(d) for d in canonical.removeprefix("0"))
        prefix = r"(?:\+44[ .\-]*(?:\(0\)[ .\-]*)?|0044[ .\-]*|\(?0)" if canonical[0] == "0" else ""
        return re.compile(rf"(?<!\d){prefix}{body}(?!\d)")
    words = [re.escape(word) for word in canonical.split()]
    return re.compile(r"(?<!\w)" + r"[\s,]+".join(words) + r"(?!\w)", re.IGNORECASE)


_NUMBER_PUNCTUATION = re.compile(r"[\s()+.\-]")
