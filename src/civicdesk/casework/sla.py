"""Service levels in working days: Monday to Friday, less the region's bank holidays.

Bank holidays come from the `holidays` package's bundled rules (maintained upstream, released
on PyPI), so nothing is downloaded at run time and substitute days ("Boxing Day (observed)")
are included. A case is due at the end of its Nth working day in UK time: a case opened on a
Friday afternoon with a one-day SLA is due at the end of Monday (or of Tuesday after an Easter
Monday).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

UK_TIME = ZoneInfo("Europe/London")
REGIONS = {
    "england-and-wales": "ENG",  # England and Wales share their bank holidays
    "scotland": "SCT",
    "northern-ireland": "NIR",
}


class WorkingCalendar:
    """Working days for one UK region."""

    def __init__(self, region: str = "england-and-wales") -> None:
        if region not in REGIONS:
            raise ValueError(f"unknown SLA region {region!r}; use one of {', '.join(REGIONS)}")
        self.region = region

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in _bank_holidays(REGIONS[self.region], day.year)

    def add_working_days(self, start: date, days: int) -> date:
        """The date ``days`` working days after ``start`` (``start`` itself never counts)."""
        if days < 0:
            raise ValueError("days must not be negative")
        current = start
        counted = 0
        while counted < days:
            current += timedelta(days=1)
            if self.is_working_day(current):
                counted += 1
        return current

    def due_at(self, created: datetime, days: int) -> datetime:
        """The end (23:59:59 UK time) of the ``days``-th working day after ``created``, in UTC."""
        local = created.astimezone(UK_TIME)
        due_day = self.add_working_days(local.date(), days)
        end = datetime.combine(due_day, time(23, 59, 59), tzinfo=UK_TIME)
        return end.astimezone(UTC)


@lru_cache(maxsize=64)
def _bank_holidays(subdivision: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv=subdivision, years=year)
