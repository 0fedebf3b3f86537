"""Reveal sealed originals: only for permitted roles, and every attempt is an audit event."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from civicdesk.errors import CivicdeskError
from civicdesk.privacy.keys import sealer
from civicdesk.privacy.operators import SEALED
from civicdesk.settings import Settings
from civicdesk.store.audit import record_event

# Who may see the original of a sealed value. Data, not code: change it here or per role.
REVEAL_PERMISSIONS: Mapping[str, bool] = {
    "citizen": False,
    "analyst": False,
    "auditor": False,
    "caseworker": True,
    "supervisor": True,
    "admin": True,
}


class RevealRefused(CivicdeskError):
    """The role asking may not see personal data in the original."""

    code = "E820"


@dataclass(frozen=True)
class Revealed:
    text: str
    count: int


def reveal(
    text: str,
    *,
    role: str,
    actor: str,
    session: Session,
    settings: Settings,
    object_type: str = "text",
    object_id: str = "",
) -> Revealed:
    """Replace every ``<TYPE:token>`` in ``text`` by its original, if ``role`` may see it.

    The audit event (action ``privacy.reveal``, or ``privacy.reveal_refused``) names the actor,
    role, object and the types revealed; it never holds the values.
    """
    matches = list(SEALED.finditer(text))
    kinds = sorted({m.group(1) for m in matches})
    payload = {"role": role, "types": kinds, "count": len(matches)}
    if not REVEAL_PERMISSIONS.get(role, False):
        record_event(
            session,
            actor=actor,
            action="privacy.reveal_refused",
            object_type=object_type,
            object_id=object_id,
            payload=payload,
        )
        session.commit()
        raise RevealRefused(
            f"the role {role!r} may not see personal data.",
            hint="Ask a caseworker, supervisor or admin to open the original.",
        )
    seal = sealer(settings)
    pieces: list[str] = []
    cursor = 0
    for match in matches:
        pieces.append(text[cursor : match.start()])
        pieces.append(seal.open(match.group(2), match.group(1)))
        cursor = match.end()
    pieces.append(text[cursor:])
    record_event(
        session,
        actor=actor,
        action="privacy.reveal",
        object_type=object_type,
        object_id=object_id,
        payload=payload,
    )
    return Revealed("".join(pieces), len(matches))
