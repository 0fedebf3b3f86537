"""Structured logs: JSON in production, readable text in development.

Records pass through processors that add the request id and strip personal data. The privacy
part registers its redactor with :func:`register_redactor`; until then, only the request id
and the fields each call passes are written, never request bodies.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, MutableMapping
from contextvars import ContextVar
from typing import Any

import structlog

from civicdesk.settings import Settings

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

Redactor = Callable[[str], str]
_redactors: list[Redactor] = []


def register_redactor(redactor: Redactor) -> None:
    """Add a function applied to every string value of every log record."""
    if redactor not in _redactors:
        _redactors.append(redactor)


def _add_request_id(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    request_id = request_id_var.get()
    if request_id and "request_id" not in event:
        event["request_id"] = request_id
    return event


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    if not _redactors:
        return event
    for key, value in list(event.items()):
        if isinstance(value, str):
            for redactor in _redactors:
                value = redactor(value)
            event[key] = value
    return event


def configure_logging(settings: Settings) -> None:
    """Set up structlog and the standard library to write one format to stderr."""
    use_json = settings.log_format == "json" or (
        settings.log_format == "auto" and settings.environment != "development"
    )
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if use_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_request_id,
        _redact,
    ]
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,  # drop records below the level before any work
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(settings.log_level)
    for noisy in ("uvicorn.access", "alembic", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name: str) -> Any:
    return structlog.stdlib.get_logger(name)
