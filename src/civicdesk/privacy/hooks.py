"""Hook the engine into the foundation: every log string and every audit payload is redacted."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import Any

from civicdesk import logging as civic_logging
from civicdesk.privacy.engine import PrivacyEngine
from civicdesk.settings import Settings
from civicdesk.store import audit

_lock = threading.Lock()
_installed: dict[str, PrivacyEngine] = {}


def _scrub(value: Any, engine: PrivacyEngine) -> Any:
    if isinstance(value, str):
        return engine.redact(value).text
    if isinstance(value, Mapping):
        return {key: _scrub(item, engine) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item, engine) for item in value]
    return value


class LogRedactor:
    """Callable registered with civicdesk.logging: redacts one string."""

    def __init__(self, engine: PrivacyEngine) -> None:
        self.engine = engine

    def __call__(self, value: str) -> str:
        return self.engine.redact(value).text


class PayloadScrubber:
    """Callable registered with civicdesk.store.audit: redacts every string in a payload."""

    def __init__(self, engine: PrivacyEngine) -> None:
        self.engine = engine

    def __call__(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        # One detection over every string first: most payloads hold none, and then no string
        # needs redacting one by one.
        strings = list(_strings(payload))
        if not strings or not self.engine.detect("\n".join(strings)):
            return dict(payload)
        return {key: _scrub(value, self.engine) for key, value in payload.items()}


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def install(settings: Settings, engine: PrivacyEngine | None = None) -> PrivacyEngine:
    """Register the log redactor and audit payload scrubber once per process; return the engine.

    Calling it again is harmless: the first engine stays installed.
    """
    with _lock:
        current = _installed.get("engine")
        if current is None:
            current = engine or PrivacyEngine.from_settings(settings)
            civic_logging.register_redactor(LogRedactor(current))
            audit.register_payload_scrubber(PayloadScrubber(current))
            _installed["engine"] = current
        return current
