"""Dates, times, amounts and phone numbers the way a Polish patient reads them."""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

WEEKDAYS = ("poniedziałek", "wtorek", "środa", "czwartek", "piątek", "sobota", "niedziela")
# "do środy 26 listopada": a deadline in words takes the genitive.
WEEKDAYS_GENITIVE = ("poniedziałku", "wtorku", "środy", "czwartku", "piątku", "soboty", "niedzieli")
# Genitive: "1 grudnia", not "1 grudzień".
MONTHS = ("stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia",
          "września", "października", "listopada", "grudnia")


def local(moment: datetime, timezone: str = "Europe/Warsaw") -> datetime:
    return moment.astimezone(ZoneInfo(timezone))


def visit_time(starts_at: datetime, timezone: str = "Europe/Warsaw") -> str:
    """'wtorek, 1 grudnia 2026, godz. 10:30' in the facility's time zone."""
    at = local(starts_at, timezone)
    return f"{WEEKDAYS[at.weekday()]}, {at.day} {MONTHS[at.month - 1]} {at.year}, godz. {at:%H:%M}"


def visit_day(starts_at: datetime, timezone: str = "Europe/Warsaw", *, today: datetime | None = None) -> str:
    """'wtorek, 1 grudnia' (the day alone, for a page that shows the hour on its own line), with
    the year when it is not `today`'s ('wtorek, 5 stycznia 2027'); always with it without `today`."""
    at = local(starts_at, timezone)
    year = "" if today is not None and local(today, timezone).year == at.year else f" {at.year}"
    return f"{WEEKDAYS[at.weekday()]}, {at.day} {MONTHS[at.month - 1]}{year}"


def clock_time(moment: datetime, timezone: str = "Europe/Warsaw") -> str:
    """'11:25', local."""
    return f"{local(moment, timezone):%H:%M}"


def day_and_time(moment: datetime, timezone: str, *, today: datetime) -> str:
    """'czwartek, 3 grudnia, godz. 10:00', with the year only when it is not this year's (e-mails)."""
    return f"{visit_day(moment, timezone, today=today)}, godz. {clock_time(moment, timezone)}"


def deadline_words(deadline: datetime, timezone: str, *, today: datetime | None = None) -> str:
    """By when, in words: 'dziś do 11:25' and 'jutro do 20:00' when `today` is given and the deadline
    is that close (an SMS, read when it arrives), otherwise 'do środy 26 listopada, godz. 20:00'."""
    at = local(deadline, timezone)
    if today is not None:
        days = (at.date() - local(today, timezone).date()).days
        if days in (0, 1):
            return f"{('dziś', 'jutro')[days]} do {at:%H:%M}"
    return f"do {WEEKDAYS_GENITIVE[at.weekday()]} {at.day} {MONTHS[at.month - 1]}, godz. {at:%H:%M}"


def date_words(moment: datetime, timezone: str = "Europe/Warsaw") -> str:
    """'26 listopada 2026' (the local date)."""
    at = local(moment, timezone)
    return f"{at.day} {MONTHS[at.month - 1]} {at.year}"


def amount_words(grosze: int) -> str:
    """'150 zł' or '150,50 zł'."""
    zloty, rest = divmod(int(grosze), 100)
    return f"{zloty} zł" if not rest else f"{zloty},{rest:02d} zł"


def tel_href(phone: str) -> str:
    """'+48 22 123 45 67' → 'tel:+48221234567' (a tap dials it on a phone). An extension written
    after the number ('wew. 12') is left to the reader: appended digits would dial a wrong number."""
    number = re.split(r"[^\d\s+()./-]", phone, maxsplit=1)[0].strip()
    return "tel:" + re.sub(r"(?!^\+)\D", "", number)
