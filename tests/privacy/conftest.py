"""One engine for the privacy tests: building the gazetteers takes about a second."""

from __future__ import annotations

import pytest
from privacy_types import Found

from civicdesk.privacy import PrivacyEngine
from civicdesk.privacy.rules import PrivacyRules


@pytest.fixture(scope="session")
def engine() -> PrivacyEngine:
    return PrivacyEngine.from_rules(PrivacyRules())


@pytest.fixture(scope="session")
def found(engine: PrivacyEngine) -> Found:
    """(type, original text) of every span found, read through the offsets into the input."""

    def spans(text: str) -> list[tuple[str, str]]:
        return [(span.type, text[span.start : span.end]) for span in engine.detect(text)]

    return spans
