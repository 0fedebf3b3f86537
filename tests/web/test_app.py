"""The app factory: settings, state, the asset check and the router list."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import sessionmaker

from civicdesk.errors import AssetsMissing, ConfigError
from civicdesk.settings import Settings, get_settings
from civicdesk.web.app import create_app
from civicdesk.web.assets import BUILT_ASSETS
from civicdesk.web.routes import ROUTERS


def test_app_keeps_settings_engine_and_sessions(app: FastAPI, web_settings: Settings) -> None:
    assert app.state.settings is web_settings
    assert str(app.state.engine.url).endswith("civicdesk.db")
    assert isinstance(app.state.sessions, sessionmaker)


def test_without_arguments_the_factory_reads_process_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CIVICDESK_DATA_DIR", str(tmp_path / "from-env"))
    monkeypatch.setenv("CIVICDESK_SERVICE_NAME", "Ask the parish")
    get_settings.cache_clear()
    try:
        app = create_app()
        assert app.state.settings.service_name == "Ask the parish"
        assert app.state.settings.data_dir == tmp_path / "from-env"
        app.state.engine.dispose()
    finally:
        get_settings.cache_clear()


def test_unsafe_settings_refuse_to_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="E101"):
        create_app(Settings(data_dir=tmp_path, environment="production"))


def test_missing_assets_say_run_make_assets(tmp_path: Path) -> None:
    empty = tmp_path / "no-assets"
    empty.mkdir()
    with pytest.raises(AssetsMissing) as caught:
        create_app(Settings(data_dir=tmp_path, environment="development", assets_dir=empty))
    message = str(caught.value)
    assert message.startswith("E401: ")
    assert "run `make assets`" in message.lower()
    assert "\n" not in message


def test_partly_built_assets_name_the_missing_file(tmp_path: Path) -> None:
    partial = tmp_path / "partial"
    shutil.copytree(BUILT_ASSETS, partial)
    (partial / "govuk-frontend.min.js").unlink()
    with pytest.raises(AssetsMissing, match="govuk-frontend.min.js"):
        create_app(Settings(data_dir=tmp_path, environment="development", assets_dir=partial))


def test_routers_are_a_visible_list_in_order(app: FastAPI) -> None:
    paths = {getattr(route, "path", "") for router in ROUTERS for route in router.routes}
    assert {"/", "/cookies", "/accessibility", "/privacy", "/healthz", "/readyz"} <= paths
