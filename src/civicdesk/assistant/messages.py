"""The assistant's own sentences (handover, crisis, signposting, refusal) in each language."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

MESSAGES_FILE = Path(__file__).parent / "rules" / "messages.yaml"


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, dict[str, str]]:
    raw = yaml.safe_load(MESSAGES_FILE.read_text(encoding="utf-8"))
    return {
        lang: {k: " ".join(str(v).split()) for k, v in entries.items()}
        for lang, entries in raw.items()
    }


def message(key: str, language: str, **values: str) -> str:
    """The message `key` in `language` (English when that language has no catalogue)."""
    catalogue = _catalogue()
    entries = catalogue.get(language) or catalogue["en"]
    template = entries.get(key) or catalogue["en"][key]
    return template.format(**values)
