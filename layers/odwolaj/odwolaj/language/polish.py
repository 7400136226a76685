"""Dates and phone numbers the way a Polish patient reads them."""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

WEEKDAYS = ("poniedziałek", "wtorek", "środa", "czwartek", "piątek", "sobota", "niedziela")
# Genitive: "1 grudnia", not "1 grudzień".
MONTHS = ("stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia",
          "września", "października", "listopada", "grudnia")


def visit_time(starts_at: datetime, timezone: str = "Europe/Warsaw") -> str:
    """'wtorek, 1 grudnia 2026, godz. 10:30' in the facility's time zone."""
    local = starts_at.astimezone(ZoneInfo(timezone))
    return (f"{WEEKDAYS[local.weekday()]}, {local.day} {MONTHS[local.month - 1]} {local.year}, "
            f"godz. {local:%H:%M}")


def tel_href(phone: str) -> str:
    """'+48 22 123 45 67' → 'tel:+48221234567' (a tap dials it on a phone). An extension written
    after the number ('wew. 12') is left to the reader: appended digits would dial a wrong number."""
    number = re.split(r"[^\d\s+()./-]", phone, maxsplit=1)[0].strip()
    return "tel:" + re.sub(r"(?!^\+)\D", "", number)
