"""How a freed slot is offered: wave size, hold and timing, as pure functions of the clock.

Per offer about 8-11 % of patients accept (published figures), so a slot needs some 20-30 offers
to be filled with high probability: 1 - 0.92**25 = 0.88. The plan spreads the offers still wanted
(`target_offers`) over the sending time left before the cut-off: with time to spare the facility's
base wave (1 = one patient at a time) is used; when time is short, waves grow and holds shrink,
so a slot tomorrow morning still reaches enough patients. docs/reserve.md shows the arithmetic.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from odwolaj.appointments.reminders import SENDING_END, SENDING_START
from odwolaj.core import validation
from odwolaj.core.errors import InvalidInput

SEQUENTIAL, WAVES = "sequential", "waves"
SAME_DAY_EARLIEST = time(7, 0)  # a same-day slot may be offered outside sending hours, but not at night
MIN_HOLD = timedelta(minutes=5)
HOLD_PER_LEAD = 48  # hold ≤ lead time / 48: a visit 12 h away gets at most a 15-minute hold
# A wave is one transaction of 4 items per offer plus the slot; DynamoDB allows 100 items.
WAVE_LIMIT = 24
# What a facility may set, and within which bounds (whole numbers).
BOUNDS = {"hold_minutes": (5, 60), "wave_size": (1, WAVE_LIMIT), "max_wave_size": (1, WAVE_LIMIT),
          "min_lead_minutes": (30, 24 * 60), "target_offers": (1, 100), "cooldown_hours": (1, 168),
          "claim_minutes": (5, 30)}


@dataclass(frozen=True)
class Strategy:
    mode: str = SEQUENTIAL  # sequential: one patient at a time while time allows; waves: `wave_size` at once
    hold_minutes: int = 15
    wave_size: int = 3  # base wave in `waves` mode
    max_wave_size: int = 10
    min_lead_minutes: int = 90  # offering stops this long before the visit: too close to reach
    target_offers: int = 25  # offers a slot should reach (≈ 88 % filled at 8 % acceptance)
    cooldown_hours: int = 24  # an unanswered offer keeps the patient out of the next offers this long (doubling)
    claim_minutes: int = 10  # pay-to-claim: a slot that needs prepayment is held this long for the payment

    @classmethod
    def of(cls, settings: dict[str, Any] | None) -> "Strategy":
        """A facility's `offer_strategy` map; missing keys take the defaults, unknown ones are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in (settings or {}).items() if key in known})

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> "Strategy":
        """A facility's settings as the clinic API sends them: known fields, whole numbers in bounds."""
        validation.reject_unknown(payload, {"mode", *BOUNDS})
        if "mode" in payload and payload["mode"] not in (SEQUENTIAL, WAVES):
            raise InvalidInput(f"mode must be {SEQUENTIAL} or {WAVES}", field="mode")
        for name, (low, high) in BOUNDS.items():
            validation.whole_number(payload.get(name, low), name, low, high, required=True)
        return cls.of(payload)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def base_wave(self) -> int:
        return 1 if self.mode == SEQUENTIAL else max(1, int(self.wave_size))

    @property
    def claim_window(self) -> timedelta:
        return timedelta(minutes=self.claim_minutes)

    def cooldown(self, unanswered: int) -> timedelta:
        """After the n-th unanswered offer in a row: 24 h, 48 h, 96 h, at most a week."""
        return min(timedelta(hours=self.cooldown_hours) * (1 << max(0, unanswered - 1)), timedelta(days=7))


@dataclass(frozen=True)
class Wave:
    send_at: datetime  # now, or when sending hours begin
    size: int
    hold: timedelta

    @property
    def hold_until(self) -> datetime:
        return self.send_at + self.hold


def _window(day: date, visit_day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = SAME_DAY_EARLIEST if day == visit_day else SENDING_START
    end = datetime.combine(day + timedelta(days=1), time(), zone) if day == visit_day else \
        datetime.combine(day, SENDING_END, zone)
    return datetime.combine(day, start, zone), end


def _windows(start: datetime, end: datetime, visit: datetime, zone: ZoneInfo) -> Iterator[tuple[datetime, datetime]]:
    """The sending windows intersecting [start, end), in order."""
    visit_day = visit.astimezone(zone).date()
    day = start.astimezone(zone).date()
    while day <= end.astimezone(zone).date():
        low, high = _window(day, visit_day, zone)
        low, high = max(low, start), min(high, end)
        if low < high:
            yield low, high
        day += timedelta(days=1)


def sending_minutes(start: datetime, end: datetime, visit: datetime, timezone: str = "Europe/Warsaw") -> float:
    return sum((high - low).total_seconds() / 60 for low, high in _windows(start, end, visit, ZoneInfo(timezone)))


def cutoff(visit: datetime, strategy: Strategy) -> datetime:
    return visit - timedelta(minutes=strategy.min_lead_minutes)


def plan_wave(strategy: Strategy, visit: datetime, at: datetime, offers_made: int,
              timezone: str = "Europe/Warsaw") -> Wave | None:
    """The next wave for a slot starting at `visit`, or None when it is too close to reach."""
    end = cutoff(visit, strategy)
    window = next(_windows(at, end, visit, ZoneInfo(timezone)), None)
    if window is None:
        return None
    send_at = window[0]
    lead_minutes = (visit - send_at).total_seconds() / 60
    hold = min(timedelta(minutes=strategy.hold_minutes), max(MIN_HOLD, timedelta(minutes=lead_minutes / HOLD_PER_LEAD)))
    hold = min(hold, end - send_at)
    waves_left = max(1, int(sending_minutes(send_at, end, visit, timezone) // (hold.total_seconds() / 60)))
    wanted = max(0, strategy.target_offers - offers_made)
    size = min(max(strategy.base_wave, math.ceil(wanted / waves_left)), strategy.max_wave_size, WAVE_LIMIT)
    return Wave(send_at=send_at, size=size, hold=hold)
