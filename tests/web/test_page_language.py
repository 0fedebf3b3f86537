"""Messages given before the question's language is known follow the page asked on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from web_client import AppClient, web_settings_for

from civicdesk.assistant.messages import message
from civicdesk.store import migrate
from civicdesk.web.app import create_app


@pytest.fixture
def client(tmp_path: Path) -> Iterator[AppClient]:
    settings = web_settings_for(tmp_path)
    application: FastAPI = create_app(settings)
    migrate.upgrade(application.state.engine)
    yield AppClient(application)
    application.state.engine.dispose()


@pytest.mark.parametrize(
    ("path", "language", "title"),
    [
        ("/ask", "en", "Please ask your question again"),
        ("/cy/ask", "cy", "Gofynnwch eich cwestiwn eto"),
    ],
)
def test_nonsense_is_asked_again_in_the_page_language(
    client: AppClient, path: str, language: str, title: str
) -> None:
    page = client.post(path, data={"text": "asdfghjkl qwertyuiop zxcvbnm"})
    assert page.status_code == 200
    assert title in page.text
    expected = message("nonsense", language).split(".")[0]
    assert expected.replace("'", "&#39;") in page.text
