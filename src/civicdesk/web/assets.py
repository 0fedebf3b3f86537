"""Serve GOV.UK Frontend's built CSS, JS, fonts and images from this machine (no CDN).

``make assets`` copies them from npm's govuk-frontend into ``web/static/govuk``. The compiled
CSS asks for fonts and images under ``/assets/``, so that folder is mounted there.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.responses import FileResponse
from starlette.staticfiles import StaticFiles

from civicdesk.errors import AssetsMissing
from civicdesk.settings import Settings

STATIC_DIR = Path(__file__).parent / "static"
BUILT_ASSETS = STATIC_DIR / "govuk"
OWN_STATIC = STATIC_DIR / "civicdesk"
REQUIRED = (
    "govuk-frontend.min.css",
    "govuk-frontend.min.js",
    "assets/fonts",
    "assets/images/favicon.ico",
    "assets/manifest.json",
)


def assets_dir(settings: Settings) -> Path:
    return settings.assets_dir if settings.assets_dir is not None else BUILT_ASSETS


def check_assets(folder: Path) -> None:
    """Raise AssetsMissing naming the first missing file, with what to run."""
    for name in REQUIRED:
        if not (folder / name).exists():
            raise AssetsMissing(
                f"the GOV.UK Frontend assets are not built ({folder / name} is missing).",
                hint="Run `make assets` (or set CIVICDESK_ASSETS_DIR to a built copy).",
                code="E401",
            )


def mount_assets(app: FastAPI, settings: Settings) -> None:
    folder = assets_dir(settings)
    check_assets(folder)
    favicon = folder / "assets" / "images" / "favicon.ico"
    app.mount("/static/govuk", StaticFiles(directory=folder), name="govuk")
    app.mount("/static/civicdesk", StaticFiles(directory=OWN_STATIC), name="civicdesk-static")
    app.mount("/assets", StaticFiles(directory=folder / "assets"), name="assets")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon_ico() -> FileResponse:
        return FileResponse(favicon, media_type="image/x-icon")
