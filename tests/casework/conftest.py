"""Fixtures for casework tests: a case desk over the sample council (see desks.py)."""

from desks import council_template, desk, desk_on, desk_settings  # noqa: F401
