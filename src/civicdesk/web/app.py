"""The web application factory: `civicdesk serve` runs ``create_app`` under uvicorn."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from civicdesk import __version__
from civicdesk.logging import configure_logging
from civicdesk.settings import Settings, get_settings
from civicdesk.store.engine import make_engine, make_sessionmaker
from civicdesk.web.assets import mount_assets
from civicdesk.web.body_limit import BodySizeLimitMiddleware
from civicdesk.web.errors import (
    ErrorPageMiddleware,
    http_exception_handler,
    validation_exception_handler,
)
from civicdesk.web.i18n import LanguagePrefixMiddleware
from civicdesk.web.rate_limit import RateLimitMiddleware
from civicdesk.web.request_log import RequestLogMiddleware
from civicdesk.web.routes import ROUTERS
from civicdesk.web.security import SecurityHeadersMiddleware
from civicdesk.web.staff_auth import install as install_staff_auth


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    app.state.engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings`` (default: the process settings). It does not migrate."""
    settings = settings if settings is not None else get_settings()
    settings.check_safe_to_run()
    configure_logging(settings)

    app = FastAPI(
        title=settings.service_name,
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    mount_assets(app, settings)
    app.state.settings = settings
    app.state.engine = make_engine(settings)
    app.state.sessions = make_sessionmaker(app.state.engine)

    for router in ROUTERS:
        app.include_router(router)
    app.add_exception_handler(HTTPException, http_exception_handler)
    app.add_exception_handler(RequestValidationError, validation_exception_handler)
    install_staff_auth(app)  # sign-in redirects, 403 pages, csrf_input(), no-store

    # Added innermost first: a request passes RequestLog, SecurityHeaders, ErrorPage,
    # BodySizeLimit and LanguagePrefix, in that order, before reaching a route.
    app.add_middleware(
        RateLimitMiddleware,
        per_minute=settings.rate_limit_per_minute,
        burst=settings.rate_limit_burst,
    )
    app.add_middleware(LanguagePrefixMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(ErrorPageMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.environment == "production")
    app.add_middleware(RequestLogMiddleware)
    return app
