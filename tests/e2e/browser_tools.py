"""Helpers for browser tests: a live server, console errors, and axe-core checks."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Page

from civicdesk.settings import Settings
from civicdesk.store import migrate
from civicdesk.store.engine import make_engine
from civicdesk.web.app import create_app

E2E_DIR = Path(__file__).parent
REPO = E2E_DIR.parents[1]
AXE_SCRIPT = REPO / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path(os.environ.get("CIVICDESK_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
LIVE_SECRET = "live-server-test-secret-" + "z" * 32

AxeCheck = Callable[[Page], None]
NewPage = Callable[..., Page]


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}; CI must run the browser tests (run `make browsers`).")
    pytest.skip(reason)


@dataclass(frozen=True)
class LiveServer:
    url: str
    settings: Settings
    app: FastAPI


@contextmanager
def running_server(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread on a free 127.0.0.1 port; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_config=None, access_log=False, ws="none", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def live_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "environment": "test",
        "secret_key": LIVE_SECRET,
        "rate_limit_per_minute": 0,
    }
    values.update(overrides)
    return Settings(**values)


@contextmanager
def live_server_for(settings: Settings) -> Iterator[LiveServer]:
    """A migrated database and a running server for ``settings``."""
    engine = make_engine(settings)
    migrate.upgrade(engine)
    engine.dispose()
    app = create_app(settings)
    try:
        with running_server(app) as url:
            yield LiveServer(url=url, settings=settings, app=app)
    finally:
        app.state.engine.dispose()


_console_errors: WeakKeyDictionary[Page, list[str]] = WeakKeyDictionary()


def record_console_errors(page: Page) -> None:
    errors: list[str] = []
    _console_errors[page] = errors
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda exc: errors.append(str(exc)))


def console_errors(page: Page) -> list[str]:
    """Errors the page logged: script errors, CSP refusals, failed loads."""
    return _console_errors.get(page, [])


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    at {', '.join(node['target'])}: {node['failureSummary']}")
    return "\n".join(lines)


def run_axe(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 A/AA violations for the page as it is now."""
    if not AXE_SCRIPT.exists():
        unavailable(f"axe-core is not installed at {AXE_SCRIPT} (run `npm ci`)")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    result: dict[str, Any] = page.evaluate("options => window.axe.run(document, options)", options)
    violations: list[dict[str, Any]] = result["violations"]
    return violations


def check_accessibility(page: Page) -> None:
    """Fail with a readable list when axe finds WCAG 2.2 A/AA violations."""
    violations = run_axe(page)
    if violations:
        pytest.fail(
            f"axe found accessibility problems on {page.url}:\n" + format_violations(violations)
        )
