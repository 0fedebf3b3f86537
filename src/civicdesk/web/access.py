"""Who may use each route: one row per (method, path template) the app serves.

A value is ``"public"`` (anyone, signed in or not), ``"signed_in"`` (any staff member,
whatever their role), ``"api_key"`` (a system sending its own bearer key; a staff session
does not count) or a permission name from civicdesk.casework.permissions, which says which
roles hold it. The route itself enforces access with ``require(...)``; this table is
what tests/web/test_permission_matrix.py checks every route against, with no login and with
each role, and a route missing from it fails that test. Add a row with each new route.
"""

from __future__ import annotations

from collections.abc import Mapping

from civicdesk.casework.permissions import PERMISSIONS

PUBLIC = "public"
SIGNED_IN = "signed_in"
API_KEY = "api_key"

ROUTE_ACCESS: dict[tuple[str, str], str] = {
    # the service's own pages, health checks and assets
    ("GET", "/"): PUBLIC,
    ("GET", "/cookies"): PUBLIC,
    ("GET", "/accessibility"): PUBLIC,
    ("GET", "/privacy"): PUBLIC,
    ("GET", "/favicon.ico"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    # citizens: asking, feedback, asking for a person
    ("POST", "/ask"): PUBLIC,
    ("POST", "/answer/stream"): PUBLIC,
    ("POST", "/inquiries/{reference}/feedback"): PUBLIC,
    ("POST", "/inquiries/{reference}/person"): PUBLIC,
    # the public JSON API and its documentation
    ("POST", "/api/v1/inquiries"): PUBLIC,
    ("GET", "/api/v1/inquiries/{reference}"): PUBLIC,
    # other channels open cases (signed-in staff, or a system with the cases API key)
    ("POST", "/api/v1/cases"): "cases.work",
    ("GET", "/api/docs"): PUBLIC,
    ("GET", "/api/openapi.json"): PUBLIC,
    # the OpenAI-compatible API (one of chat_api_keys; closed when none is set)
    ("GET", "/v1/models"): API_KEY,
    ("POST", "/v1/chat/completions"): API_KEY,
    # staff sign-in and sign-out
    ("GET", "/staff/sign-in"): PUBLIC,
    ("POST", "/staff/sign-in"): PUBLIC,
    ("POST", "/staff/sign-out"): SIGNED_IN,
    ("POST", "/staff/sign-out-everywhere"): SIGNED_IN,
    ("GET", "/staff/account"): SIGNED_IN,
    # the citizen's inquiry page (its secret token is checked by the page, not a login)
    ("GET", "/inquiries/{reference}"): PUBLIC,
    ("POST", "/inquiries/{reference}/contact"): PUBLIC,
    # the caseworker console
    ("GET", "/staff"): "cases.view",
    ("GET", "/staff/cases/{reference}"): "cases.view",
    ("GET", "/staff/search"): "cases.view",
    ("GET", "/staff/metrics"): "queues.metrics",
    ("POST", "/staff/cases/{reference}/claim"): "cases.work",
    ("POST", "/staff/cases/{reference}/release"): "cases.view",
    ("POST", "/staff/cases/{reference}/draft"): "cases.work",
    ("POST", "/staff/cases/{reference}/reply"): "cases.work",
    ("POST", "/staff/cases/{reference}/discard"): "cases.work",
    ("POST", "/staff/cases/{reference}/notes"): "cases.work",
    ("POST", "/staff/cases/{reference}/status"): "cases.work",
    ("POST", "/staff/cases/{reference}/reveal"): "cases.reveal",
}


def unknown_levels(table: Mapping[tuple[str, str], str]) -> list[tuple[str, str]]:
    """Rows whose value is neither public, signed_in nor a permission (a typo)."""
    known = {PUBLIC, SIGNED_IN, API_KEY, *PERMISSIONS}
    return [route for route, level in table.items() if level not in known]
