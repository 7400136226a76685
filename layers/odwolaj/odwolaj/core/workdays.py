"""Working days and sending windows in Poland: campaign messages go out 9:00-19:00 Warsaw time on
working days only (Monday to Friday, not on a public holiday).

Public holidays (ustawa o dniach wolnych od pracy): 1 and 6 January, Easter Sunday and Monday, 1 and
3 May, Pentecost Sunday, Corpus Christi, 15 August, 1 and 11 November, 24 December (from 2025),
25 and 26 December. Easter is computed (the Gregorian computus), so every year is covered.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

WARSAW = ZoneInfo("Europe/Warsaw")
WINDOW_START = time(9, 0)
WINDOW_END = time(19, 0)
FIXED_HOLIDAYS = ((1, 1), (1, 6), (5, 1), (5, 3), (8, 15), (11, 1), (11, 11), (12, 25), (12, 26))
CHRISTMAS_EVE_FROM = 2025  # Wigilia is a public holiday since 2025


def easter_sunday(year: int) -> date:
    """Anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=64)
def public_holidays(year: int) -> frozenset[date]:
    easter = easter_sunday(year)
    movable = {easter, easter + timedelta(days=1), easter + timedelta(days=49), easter + timedelta(days=60)}
    fixed = {date(year, month, day) for month, day in FIXED_HOLIDAYS}
    if year >= CHRISTMAS_EVE_FROM:
        fixed.add(date(year, 12, 24))
    return frozenset(fixed | movable)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in public_holidays(day.year)


def in_window(moment: datetime) -> bool:
    """True between 9:00 and 19:00 Warsaw time on a working day."""
    local = moment.astimezone(WARSAW)
    return is_working_day(local.date()) and WINDOW_START <= local.time() < WINDOW_END


def window_end(moment: datetime) -> datetime:
    """19:00 Warsaw time on the moment's local day."""
    return datetime.combine(moment.astimezone(WARSAW).date(), WINDOW_END, WARSAW)


def next_window_start(moment: datetime) -> datetime:
    """The moment itself when inside a window, else the next 9:00 of a working day (DST-safe: the
    window is local wall time)."""
    if in_window(moment):
        return moment
    local = moment.astimezone(WARSAW)
    day = local.date() if local.time() < WINDOW_START else local.date() + timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, WINDOW_START, WARSAW)
