"""The signed-in person as the rest of civicdesk sees them: never a table row."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from civicdesk.casework.permissions import Role
from civicdesk.store.staff import StaffUserRow

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class StaffUser:
    id: int
    email: str
    name: str
    role: Role
    active: bool

    @property
    def actor(self) -> str:
        """How audit events name this person: by id, never by email."""
        return f"staff:{self.id}"


def user_from_row(row: StaffUserRow) -> StaffUser:
    return StaffUser(
        id=row.id, email=row.email, name=row.name, role=Role(row.role), active=row.active
    )
