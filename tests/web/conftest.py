"""The real app over ASGI through httpx, on a real SQLite file in a temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from web_client import AppClient, MakeClient, web_settings_for

from civicdesk.settings import Settings
from civicdesk.store import migrate
from civicdesk.web.app import create_app


@pytest.fixture
def web_settings(tmp_path: Path) -> Settings:
    return web_settings_for(tmp_path)


@pytest.fixture
def app(web_settings: Settings) -> Iterator[FastAPI]:
    """The app on a migrated SQLite database."""
    application = create_app(web_settings)
    migrate.upgrade(application.state.engine)
    yield application
    application.state.engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> AppClient:
    return AppClient(app)


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[MakeClient]:
    """``make_client(header_style="govuk")``: a client for an app with other settings."""
    apps: list[FastAPI] = []

    def factory(**overrides: Any) -> AppClient:
        application = create_app(web_settings_for(tmp_path, **overrides))
        apps.append(application)
        return AppClient(application)

    yield factory
    for application in apps:
        application.state.engine.dispose()
