"""What the casework pages share: one CaseDesk per app, and text and times shaped for display.

Staff pages are English; the citizen page formats its dates in the citizen's language.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date
from fastapi import FastAPI, Request

from civicdesk.casework.cases import CaseDesk
from civicdesk.store.staff import as_utc

UK = ZoneInfo("Europe/London")
_lock = threading.Lock()


def desk_for(request: Request) -> CaseDesk:
    return desk_of(request.app)


def desk_of(app: FastAPI) -> CaseDesk:
    """One CaseDesk per app, built on first use from the app's settings and engine."""
    state = app.state
    existing: CaseDesk | None = getattr(state, "case_desk", None)
    if existing is not None:
        return existing
    with _lock:
        if getattr(state, "case_desk", None) is None:
            state.case_desk = CaseDesk.from_settings(state.settings, state.engine)
        built: CaseDesk = state.case_desk
        return built


def uk_time(moment: datetime) -> datetime:
    return as_utc(moment).astimezone(UK)


def clock(moment: datetime, am: str = "am", pm: str = "pm") -> str:
    """GOV.UK style: 9am, 2:30pm (midday and midnight as 12pm and 12am)."""
    local = uk_time(moment)
    hour = local.hour % 12 or 12
    minutes = f":{local.minute:02d}" if local.minute else ""
    return f"{hour}{minutes}{am if local.hour < 12 else pm}"


def staff_when(moment: datetime | None) -> str:
    """``4 June 2025, 2:30pm`` in UK time; an empty string for no time."""
    if moment is None:
        return ""
    local = uk_time(moment)
    return f"{format_date(local.date(), 'd MMMM y', locale='en_GB')}, {clock(moment)}"


def citizen_date(moment: datetime, lang: str) -> str:
    """``4 June 2025`` or ``4 Mehefin 2025``."""
    return format_date(uk_time(moment).date(), "d MMMM y", locale="cy" if lang == "cy" else "en_GB")


def paragraphs(text: str) -> list[list[str]]:
    """Text split into paragraphs (on blank lines) of lines, for templates to join with <br>.

    Templates escape each line, so a reply containing HTML shows as typed, never as markup.
    """
    blocks = text.replace("\r\n", "\n").replace("\r", "\n").split("\n\n")
    return [[line for line in block.split("\n")] for block in blocks if block.strip()]


def duration(span: timedelta | None) -> str:
    """``3 days 4 hours``, ``2 hours 5 minutes``, ``under a minute``; "No data" for none."""
    if span is None:
        return "No data"
    minutes = int(span.total_seconds() // 60)
    if minutes < 1:
        return "Under a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    units = [(days, "day"), (hours, "hour")] if days else [(hours, "hour"), (minutes, "minute")]
    return " ".join(f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in units if n) or "0 minutes"


def share(part: int, whole: int) -> str:
    """``3 (75%)``; just the count when there is nothing to divide by."""
    return f"{part} ({round(100 * part / whole)}%)" if whole else str(part)
