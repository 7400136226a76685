"""Planned dates on the waiting list: a day (YYYY-MM-DD), or for waits over six months a week
(YYYY-Www) that an exact day later replaces."""
from __future__ import annotations

import re
from datetime import date

# [0-9], not \d: \d also matches other scripts' digits, which int() reads but a register would not.
WEEK = re.compile(r"^([0-9]{4})-W([0-9]{2})$")
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # with fullmatch


def is_week(planned: str) -> bool:
    return bool(WEEK.match(planned))


def planned_day(planned: str) -> date:
    """The first day a planned date stands for (a week: its Monday)."""
    found = WEEK.match(planned)
    if found:
        return date.fromisocalendar(int(found.group(1)), int(found.group(2)), 1)
    return date.fromisoformat(planned)
