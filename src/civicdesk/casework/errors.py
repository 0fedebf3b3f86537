"""What the case desk refuses, with codes (E70x), and the input checks that raise them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from civicdesk.errors import CivicdeskError

if TYPE_CHECKING:
    from civicdesk.casework.views import CaseDetail

MAX_NOTE_CHARS = 10_000
MAX_REPLY_CHARS = 20_000  # replies, drafts, and text from other channels
_CHANNEL = re.compile(r"^[a-z][a-z0-9_]{0,19}$")
_EMAIL = re.compile(r"^[^@\s<>\"]{1,64}@[^@\s<>\"]+\.[^@\s<>\".]{2,}$")


class CaseNotFound(CivicdeskError):
    code = "E701"


class CaseConflict(CivicdeskError):
    """Someone else holds the case, or it is in a status that does not allow this."""

    code = "E702"


class StaleEdit(CivicdeskError):
    """The case changed since the editor loaded it: ``current`` is the case now, ``yours`` the
    text (or status) they tried to save. Show both; lose neither."""

    code = "E703"

    def __init__(self, current: CaseDetail, yours: str) -> None:
        super().__init__(
            "someone else changed this case while you were working on it.",
            hint="Your text is kept: compare it with the case as it is now, then save again.",
        )
        self.current = current
        self.yours = yours


class CaseInputRejected(CivicdeskError):
    """A reply, draft, case text or email address that cannot be stored as given."""

    code = "E704"


class NoteRejected(CaseInputRejected):
    """A note that is empty or longer than the limit (``CaseDesk.note_limit``)."""


class NotPermitted(CaseConflict):
    """The user's role does not allow this (releasing a colleague's case, revealing)."""

    code = "E705"


class OriginalNotKept(CivicdeskError):
    """The original text was never stored, so there is nothing to reveal."""

    code = "E706"


def check_size(
    text: str,
    limit: int,
    what: str,
    refusal: type[CaseInputRejected] = CaseInputRejected,
    *,
    empty_ok: bool = False,
) -> None:
    if not empty_ok and not text.strip():
        raise refusal(f"the {what} is empty.", hint=f"Write the {what}, then try again.")
    if len(text) > limit:
        raise refusal(
            f"the {what} is {len(text):,} characters long; the limit is {limit:,}.",
            hint=f"Shorten the {what}; your text has been kept in the form.",
        )


def check_email(email: str) -> str:
    address = email.strip()
    if len(address) > 254 or not _EMAIL.match(address):
        raise CaseInputRejected(
            "enter an email address in the correct format, like name@example.com.",
            code="E707",
        )
    return address


def check_channel(channel: str) -> None:
    if not _CHANNEL.match(channel):
        raise CaseInputRejected(
            f"channel {channel[:40]!r} is not a channel name.",
            hint="Use lower-case letters, digits and _ (up to 20), like phone or email.",
        )
