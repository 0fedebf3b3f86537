"""A case's status and priority, and which status changes are allowed."""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum, StrEnum
from types import MappingProxyType


class CaseStatus(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    WAITING = "waiting_for_citizen"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Priority(IntEnum):
    """Lower comes first: crisis before vulnerable before normal."""

    CRISIS = 0
    VULNERABLE = 1
    NORMAL = 2


NEW, IN_PROGRESS, WAITING, RESOLVED, CLOSED = CaseStatus

# Where a case may go next. A released case goes back to "new"; a resolved one may be reopened;
# a closed one is finished.
TRANSITIONS: Mapping[CaseStatus, frozenset[CaseStatus]] = MappingProxyType(
    {
        NEW: frozenset({IN_PROGRESS, WAITING, RESOLVED, CLOSED}),
        IN_PROGRESS: frozenset({NEW, WAITING, RESOLVED, CLOSED}),
        WAITING: frozenset({IN_PROGRESS, RESOLVED, CLOSED}),
        RESOLVED: frozenset({IN_PROGRESS, CLOSED}),
        CLOSED: frozenset(),
    }
)
OPEN = frozenset({NEW, IN_PROGRESS, WAITING})


def may_move(current: CaseStatus, target: CaseStatus) -> bool:
    return target in TRANSITIONS[current]
