"""Planned dates on the waiting list: a day (YYYY-MM-DD), or for waits over six months a week
(YYYY-Www) that an exact day later replaces."""
from __future__ import annotations

import re
from datetime import date

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")  # with fullmatch


def is_week(planned: str) -> bool:
    return bool(WEEK.match(planned))


def planned_day(planned: str) -> date:
    """The first day a planned date stands for (a week: its Monday)."""
    found = WEEK.match(planned)
    if found:
        return date.fromisocalendar(int(found.group(1)), int(found.group(2)), 1)
    return date.fromisoformat(planned)
