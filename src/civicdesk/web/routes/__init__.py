"""Every router the web app serves, in order. Add a part's router by appending it here.

Routes are written once at their English path; ``/cy/...`` reaches the same handler in Welsh
(see civicdesk.web.i18n).
"""

from __future__ import annotations

from fastapi import APIRouter

from civicdesk.web.routes import (
    api,
    chat_api,
    citizen,
    citizen_inquiry,
    health,
    pages,
    staff,
    staff_actions,
    staff_auth,
)

ROUTERS: list[APIRouter] = [
    health.router,
    pages.router,
    citizen.router,
    api.router,
    api.docs_router,
    chat_api.router,
    staff_auth.router,
    citizen_inquiry.router,
    staff.router,
    staff_actions.router,
]
