"""Roles and what each may do: one table, read by every route and by the permission test.

Permissions are data, not code: a route names the permission it needs, and this table says
which roles hold it. Changing who may do what is a one-line change here, checked by
tests/web/test_permission_matrix.py against every route the app serves.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class Role(StrEnum):
    CASEWORKER = "caseworker"
    SUPERVISOR = "supervisor"
    ANALYST = "analyst"
    AUDITOR = "auditor"
    ADMIN = "admin"


CASEWORKER, SUPERVISOR, ANALYST, AUDITOR, ADMIN = (
    Role.CASEWORKER,
    Role.SUPERVISOR,
    Role.ANALYST,
    Role.AUDITOR,
    Role.ADMIN,
)

PERMISSIONS: Mapping[str, frozenset[Role]] = MappingProxyType(
    {
        # see queues, case lists and a case
        "cases.view": frozenset({CASEWORKER, SUPERVISOR, ADMIN}),
        # claim, edit a draft, reply, add a note, change status
        "cases.work": frozenset({CASEWORKER, SUPERVISOR}),
        # view the original (unredacted) text; every view is audited
        "cases.reveal": frozenset({CASEWORKER, SUPERVISOR, ADMIN}),
        # release someone else's claim
        "cases.reassign": frozenset({SUPERVISOR, ADMIN}),
        # per-queue metrics
        "queues.metrics": frozenset({SUPERVISOR, ANALYST, ADMIN}),
        # the audit trail
        "audit.view": frozenset({AUDITOR, ADMIN}),
        # staff accounts
        "users.manage": frozenset({ADMIN}),
    }
)


PERMISSION_DESCRIPTIONS: Mapping[str, str] = MappingProxyType(
    {
        "cases.view": "See queues, case lists and cases",
        "cases.work": "Claim cases, edit drafts, reply, add notes and change status",
        "cases.reveal": "View what the citizen originally wrote (every view is recorded)",
        "cases.reassign": "Release cases other people have claimed",
        "queues.metrics": "See each queue's metrics",
        "audit.view": "See the audit trail",
        "users.manage": "Manage staff accounts",
    }
)


class UnknownPermission(KeyError):
    """A route asked for a permission the table does not name: a programming error."""


def allowed(role: Role, permission: str) -> bool:
    """Whether ``role`` holds ``permission``; an unknown permission name is an error."""
    try:
        return role in PERMISSIONS[permission]
    except KeyError:
        raise UnknownPermission(permission) from None


def parse_role(text: str) -> Role:
    """The role named ``text`` (any case), or ValueError listing the roles."""
    try:
        return Role(text.strip().lower())
    except ValueError:
        raise ValueError(
            f"unknown role {text!r}; use one of: {', '.join(role.value for role in Role)}"
        ) from None
