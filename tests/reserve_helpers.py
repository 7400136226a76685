"""Shared Given-steps of the reserve-list tests: a fixed clock, waiting patients, a freed slot."""
from __future__ import annotations

import os
from datetime import datetime, time, timedelta, timezone

from odwolaj.core.clock import WARSAW

PESELS = ("44051401359", "02070803628", "90090515836")


def set_now(monkeypatch, moment: datetime) -> None:
    """The domain clock reads `moment` now (and runs on from there)."""
    offset = (moment - datetime.now(timezone.utc)).total_seconds()
    monkeypatch.setenv("ODWOLAJ_CLOCK_OFFSET_SECONDS", str(offset))


def warsaw(days_ahead: int, hour: int, minute: int = 0) -> datetime:
    day = (datetime.now(WARSAW) + timedelta(days=days_ahead)).date()
    return datetime.combine(day, time(hour, minute), WARSAW).astimezone(timezone.utc)


def entry_payload(number: int, **changes) -> dict:
    body = {
        "referral": f"REF-{number:05d}",
        "patient": {"id": f"W-{number}", "phone": f"+48 601 {number // 1000:03d} {number % 1000:03d}",
                    "pesel": PESELS[number % len(PESELS)]},
        "reason": "I20.8 dusznica bolesna",
        "category": "stabilny",
        "planned_date": (datetime.now(WARSAW) + timedelta(days=120)).date().isoformat(),
        "entered_by": "rejestracja: J. Kowalska",
        "consent": True,
        "service": "Poradnia kardiologiczna",
    }
    body.update(changes)
    return body


def clock_offset() -> float:
    return float(os.environ.get("ODWOLAJ_CLOCK_OFFSET_SECONDS", "0"))
