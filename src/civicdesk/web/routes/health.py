"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from civicdesk.logging import get_logger
from civicdesk.store import migrate

router = APIRouter(include_in_schema=False)
log = get_logger("civicdesk.web.health")
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/healthz")
def healthz() -> JSONResponse:
    """The process is alive and answering."""
    return JSONResponse({"status": "ok"}, headers=NO_STORE)


def _unready(reason: str) -> JSONResponse:
    return JSONResponse({"status": "unavailable", "reason": reason}, 503, headers=NO_STORE)


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """The database answers and its schema is at the newest migration."""
    engine: Engine = request.app.state.engine
    try:
        current = migrate.current_revision(engine)
    except SQLAlchemyError as exc:
        log.warning("readiness check failed", error_type=type(exc).__name__)
        return _unready("the database cannot be reached")
    head = migrate.head_revision()
    if current != head:
        return _unready(
            f"the database schema is at {current or 'no revision'}, not {head}; "
            "run `civicdesk db upgrade`"
        )
    return JSONResponse({"status": "ready", "revision": current}, headers=NO_STORE)
