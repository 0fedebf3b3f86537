"""A synchronous in-process HTTP client for the ASGI app, and settings for web tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from civicdesk.settings import Settings

TEST_SECRET = "test-secret-" + "x" * 40


class AppClient:
    """A synchronous httpx client that drives an ASGI app in-process."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                return await c.request(method, url, **kwargs)

        # A worker thread has no event loop of its own running, even when the calling thread
        # does (Playwright's sync API keeps one running while a browser is open).
        with ThreadPoolExecutor(max_workers=1) as worker:
            return worker.submit(asyncio.run, send()).result()

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)


def web_settings_for(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "environment": "test",
        "secret_key": TEST_SECRET,
        "log_format": "json",
        "rate_limit_per_minute": 0,  # tests send many questions; test_rate_limit turns it on
    }
    values.update(overrides)
    return Settings(**values)


MakeClient = Callable[..., AppClient]
