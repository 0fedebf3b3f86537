"""The privacy engine: run every detector over normalised text, settle overlaps, apply the
allow-list, and map spans back to the original text. Actions live in ``operators``."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from civicdesk.privacy.addresses import AddressDetector
from civicdesk.privacy.identifiers import IDENTIFIERS
from civicdesk.privacy.names import NameDetector
from civicdesk.privacy.normalise import normalise
from civicdesk.privacy.operators import Operator, Placeholder, apply_operator
from civicdesk.privacy.recognisers import Detector, Recogniser, pattern
from civicdesk.privacy.rules import PrivacyRules, allow_regex, canonical_value, load_rules
from civicdesk.privacy.spans import DetectedSpan, Redaction
from civicdesk.settings import Settings

DEFAULT_MIN_SCORE = 0.5


@dataclass(frozen=True)
class AllowList:
    """Values the body publishes itself (its phone numbers, its address): never redacted."""

    entries: tuple[tuple[re.Pattern[str], str | None], ...] = ()
    values: frozenset[tuple[str, str | None]] = frozenset()

    @classmethod
    def from_rules(cls, rules: PrivacyRules) -> AllowList:
        return cls(
            tuple((allow_regex(rule.value), rule.type) for rule in rules.allow_list),
            frozenset((canonical_value(rule.value), rule.type) for rule in rules.allow_list),
        )

    def regions(self, text: str) -> list[tuple[int, int, str | None]]:
        return [
            (m.start(), m.end(), kind) for regex, kind in self.entries for m in regex.finditer(text)
        ]

    def allows(
        self, span: DetectedSpan, text: str, regions: Sequence[tuple[int, int, str | None]]
    ) -> bool:
        for start, end, kind in regions:
            if start <= span.start and span.end <= end and kind in (None, span.type):
                return True
        value = canonical_value(text[span.start : span.end])
        return (value, None) in self.values or (value, span.type) in self.values


def deployment_recognisers(rules: PrivacyRules) -> list[Recogniser]:
    return [
        Recogniser(
            rule.type,
            [
                pattern(
                    "deployment",
                    rule.regex,
                    rule.score,
                    flags=re.IGNORECASE if rule.ignore_case else 0,
                    needs_context=rule.needs_context and bool(rule.context),
                )
            ],
            context=rule.context,
        )
        for rule in rules.patterns
    ]


def settle_overlaps(spans: Iterable[DetectedSpan]) -> list[DetectedSpan]:
    """Keep the most certain (then longest) of overlapping spans; return them in text order.

    Kept spans never overlap, so their starts and ends sort the same way and one binary
    search per candidate finds its neighbours: linear-logarithmic in the number of spans.
    """
    starts: list[int] = []
    kept: list[DetectedSpan] = []
    for span in sorted(spans, key=lambda s: (-s.score, -(s.end - s.start), s.start)):
        index = bisect.bisect_right(starts, span.start)
        if index > 0 and kept[index - 1].end > span.start:
            continue
        if index < len(kept) and kept[index].start < span.end:
            continue
        starts.insert(index, span.start)
        kept.insert(index, span)
    return kept


class PrivacyEngine:
    """Find and act on personal data. Immutable after construction: share one per process."""

    def __init__(
        self,
        detectors: Sequence[Detector],
        *,
        allow_list: AllowList | None = None,
        min_score: float = DEFAULT_MIN_SCORE,
        labels: Mapping[str, tuple[str, str]] | None = None,
    ) -> None:
        self.detectors = tuple(detectors)
        self.allow_list = allow_list or AllowList()
        self.min_score = min_score
        self.labels = dict(labels or {})
        self.types = frozenset(t for detector in self.detectors for t in detector.types)

    @classmethod
    def from_rules(
        cls, rules: PrivacyRules, *, min_score: float = DEFAULT_MIN_SCORE
    ) -> PrivacyEngine:
        detectors: list[Detector] = [*IDENTIFIERS, NameDetector(), AddressDetector()]
        detectors.extend(deployment_recognisers(rules))
        labels = {
            rule.type: (rule.label_en, rule.label_cy or rule.label_en)
            for rule in rules.patterns
            if rule.label_en
        }
        return cls(
            detectors, allow_list=AllowList.from_rules(rules), min_score=min_score, labels=labels
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> PrivacyEngine:
        return cls.from_rules(load_rules(settings.privacy_rules_path))

    def detect(self, text: str) -> list[DetectedSpan]:
        """Spans of personal data, as offsets into ``text``, in text order."""
        if not text:
            return []
        norm = normalise(text)
        found = [
            span
            for detector in self.detectors
            for span in detector.find(norm.text)
            if span.score >= self.min_score
        ]
        settled = settle_overlaps(found)
        regions = self.allow_list.regions(norm.text) if self.allow_list.entries else []
        result: list[DetectedSpan] = []
        for span in settled:
            if (regions or self.allow_list.values) and self.allow_list.allows(
                span, norm.text, regions
            ):
                continue
            start, end = norm.span(span.start, span.end)
            result.append(DetectedSpan(span.type, start, end, span.score))
        return result

    def redact(self, text: str, operator: Operator | None = None) -> Redaction:
        """Replace every span (typed placeholder by default); spans refer to ``text``."""
        spans = self.detect(text)
        return Redaction(
            apply_operator(text, spans, operator or Placeholder()),
            tuple(spans),
            frozenset(span.type for span in spans),
        )
