"""Working days and due times: weekends and each region's bank holidays skipped."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from civicdesk.casework.sla import WorkingCalendar


@pytest.mark.parametrize(
    ("region", "start", "days", "due"),
    [
        ("england-and-wales", date(2026, 3, 2), 0, date(2026, 3, 2)),  # Monday, same day
        ("england-and-wales", date(2026, 3, 2), 1, date(2026, 3, 3)),
        ("england-and-wales", date(2026, 3, 6), 1, date(2026, 3, 9)),  # Friday -> Monday
        ("england-and-wales", date(2026, 3, 7), 1, date(2026, 3, 9)),  # Saturday -> Monday
        ("england-and-wales", date(2026, 3, 2), 5, date(2026, 3, 9)),  # a working week
        ("england-and-wales", date(2026, 4, 2), 1, date(2026, 4, 7)),  # Good Friday, Easter Mon
        ("england-and-wales", date(2026, 12, 24), 1, date(2026, 12, 29)),  # Boxing Day observed
        ("england-and-wales", date(2026, 8, 28), 1, date(2026, 9, 1)),  # late summer holiday
        ("england-and-wales", date(2025, 12, 31), 2, date(2026, 1, 5)),
        ("scotland", date(2025, 12, 31), 2, date(2026, 1, 6)),  # 2 January is a holiday there
        ("scotland", date(2026, 8, 28), 1, date(2026, 8, 31)),  # but not late August
        ("northern-ireland", date(2026, 3, 16), 1, date(2026, 3, 18)),  # St Patrick's Day
        ("england-and-wales", date(2026, 3, 16), 1, date(2026, 3, 17)),
    ],
)
def test_add_working_days(region: str, start: date, days: int, due: date) -> None:
    assert WorkingCalendar(region).add_working_days(start, days) == due


def test_a_case_is_due_at_the_end_of_the_uk_working_day() -> None:
    calendar = WorkingCalendar()
    # Friday 3 July 2026, 16:30 BST: due at the end of Monday 6 July, 23:59:59 BST.
    created = datetime(2026, 7, 3, 15, 30, tzinfo=UTC)
    assert calendar.due_at(created, 1) == datetime(2026, 7, 6, 22, 59, 59, tzinfo=UTC)
    # In winter UK time is UTC.
    created = datetime(2026, 1, 9, 23, 30, tzinfo=UTC)  # a Friday night
    assert calendar.due_at(created, 1) == datetime(2026, 1, 12, 23, 59, 59, tzinfo=UTC)


def test_late_evening_utc_counts_as_the_next_uk_day_in_summer() -> None:
    # 23:30 UTC on Friday 3 July is 00:30 BST on Saturday: the first working day is Monday.
    created = datetime(2026, 7, 3, 23, 30, tzinfo=UTC)
    assert WorkingCalendar().due_at(created, 1).date() == date(2026, 7, 6)
    assert WorkingCalendar().due_at(created, 2).date() == date(2026, 7, 7)


def test_unknown_region_and_negative_days_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown SLA region"):
        WorkingCalendar("wales-only")
    with pytest.raises(ValueError, match="negative"):
        WorkingCalendar().add_working_days(date(2026, 1, 5), -1)
