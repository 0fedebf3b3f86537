"""Types shared by the privacy tests (a module name no other test folder uses)."""

from __future__ import annotations

from collections.abc import Callable

Found = Callable[[str], list[tuple[str, str]]]
