"""Deployment rules from YAML: schema errors are clear; patterns and allow-list take effect."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicdesk.privacy import PrivacyEngine
from civicdesk.privacy.labels import describe_types
from civicdesk.privacy.rules import PrivacyRulesError, load_rules
from civicdesk.settings import Settings

RULES = """
patterns:
  - type: COUNCIL_CLAIM_REF
    regex: 'HB-\\d{4}-\\d{6}'
    score: 0.9
    label_en: a housing benefit claim reference
    label_cy: cyfeirnod hawliad budd-dal tai
  - type: TENANCY_REF
    regex: 'T\\d{7}'
    context: [tenancy]
    needs_context: true
allow_list:
  - value: 0300 123 4567
    type: PHONE_NUMBER
  - value: Civic Centre, 1 High Street
"""


@pytest.fixture(scope="module")
def council(tmp_path_factory: pytest.TempPathFactory) -> PrivacyEngine:
    path = tmp_path_factory.mktemp("rules") / "privacy.yaml"
    path.write_text(RULES)
    return PrivacyEngine.from_settings(Settings(privacy_rules_path=path))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("claim HB-2024-123456 please", [("COUNCIL_CLAIM_REF", "HB-2024-123456")]),
        ("my tenancy ref T1234567", [("TENANCY_REF", "T1234567")]),
        ("code T1234567", []),
        ("I rang 0300 123 4567 for hours", []),
        ("I rang +44 300 123 4567 for hours", []),
        ("I rang 0300 123 4568 for hours", [("PHONE_NUMBER", "0300 123 4568")]),
        ("Come to Civic Centre, 1 High Street today", []),
        ("I live at 3 High Street", [("STREET_ADDRESS", "3 High Street")]),
    ],
)
def test_deployment_rules(
    council: PrivacyEngine, text: str, expected: list[tuple[str, str]]
) -> None:
    assert [(s.type, text[s.start : s.end]) for s in council.detect(text)] == expected


def test_deployment_labels_in_both_languages(council: PrivacyEngine) -> None:
    types = council.redact("claim HB-2024-123456, NI AB123456C").types
    assert describe_types(types, "en", council.labels) == [
        "a National Insurance number",
        "a housing benefit claim reference",
    ]
    assert describe_types(types, "cy", council.labels) == [
        "rhif Yswiriant Gwladol",
        "cyfeirnod hawliad budd-dal tai",
    ]


@pytest.mark.parametrize(
    ("content", "code", "words"),
    [
        ("patterns: [{type: lower, regex: 'x'}]", "E813", "patterns.0.type"),
        ("patterns: [{type: REF, regex: '('}]", "E813", "not a valid regular expression"),
        ("patterns: [{type: REF, regex: 'a*'}]", "E813", "matches empty text"),
        ("patterns: [{type: REF, regex: 'x', colour: red}]", "E813", "colour"),
        ("allow_list: [{value: ''}]", "E813", "allow_list.0.value"),
        ("patterns: [unclosed", "E812", "not valid YAML"),
    ],
)
def test_schema_errors_name_the_problem(
    tmp_path: Path, content: str, code: str, words: str
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(content)
    with pytest.raises(PrivacyRulesError) as error:
        load_rules(path)
    assert error.value.code == code
    assert words in str(error.value)


def test_missing_file_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(PrivacyRulesError) as error:
        load_rules(tmp_path / "absent.yaml")
    assert error.value.code == "E811"
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert load_rules(empty).patterns == []


def test_describe_types_orders_and_falls_back() -> None:
    assert describe_types({"PERSON", "UK_NHS"}, "en") == ["an NHS number", "a name"]
    assert describe_types({"UK_NHS", "ODD"}, "cy") == ["rhif GIG", "manylion personol eraill"]
    assert describe_types(set(), "en") == []
