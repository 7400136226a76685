"""How a freed slot is offered: wave sizes, the pace of waves, quiet hours and the cut-off, as
pure functions of the clock.

Patients answer an SMS after minutes, not seconds (a median of about a quarter of an hour), and
some 8-11 % of offers are accepted. Offering to one patient at a time therefore takes hours per
slot; so a slot goes to several patients at once, in the queue's order, and each wave is larger
than the last (`wave_growth_percent`) while nobody has said yes. A slot less than a day away
starts with a larger wave and a faster pace. A yes counts whenever it comes while the slot is
free: the pace (`hold_minutes`) decides only when the next patients are asked. docs/reserve.md
gives each default's reason and the measurements behind them.
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
SAME_DAY_EARLIEST = time(7, 0)  # on the visit's own day offers may start at 7:00 (never after 20:00)
SHORT_NOTICE = timedelta(hours=24)  # a slot nearer than this is short notice
MIN_HOLD = timedelta(minutes=5)
HOLD_PER_LEAD = 48  # pace ≤ lead time / 48: a visit 4 h away gets a wave every 5 minutes
# A wave is one transaction of 4 items per offer plus the slot; DynamoDB allows 100 items.
WAVE_LIMIT = 24
# A silent patient's cool-down, for a list this long or longer; shorter lists scale it down.
FULL_COOLDOWN_ENTRIES = 480
MIN_COOLDOWN = timedelta(hours=1)
MAX_COOLDOWN = timedelta(days=7)
# What a facility may set, and within which bounds (whole numbers).
BOUNDS = {"hold_minutes": (5, 60), "wave_size": (1, WAVE_LIMIT), "short_notice_wave_size": (1, WAVE_LIMIT),
          "wave_growth_percent": (0, 200), "max_wave_size": (1, WAVE_LIMIT), "grace_minutes": (0, 30),
          "min_lead_minutes": (30, 24 * 60), "target_offers": (1, 200), "cooldown_hours": (1, 168),
          "claim_minutes": (5, 30)}


@dataclass(frozen=True)
class Strategy:
    mode: str = WAVES  # waves: several patients at once; sequential: one at a time, no growth
    wave_size: int = 8  # the first wave of a slot a day or more ahead
    short_notice_wave_size: int = 10  # the first wave of a slot less than a day ahead
    wave_growth_percent: int = 50  # each next wave this much larger, while nobody has said yes
    max_wave_size: int = 24
    hold_minutes: int = 10  # the pace: the next wave goes when this has passed without a yes
    grace_minutes: int = 5  # yeses this close to the first: the best-ranked class wins (fairness)
    min_lead_minutes: int = 90  # the cut-off: offering and answers end this long before the visit
    target_offers: int = 40  # offers a slot should reach before its cut-off when time is short
    cooldown_hours: int = 24  # a silent patient rests this long (for a long list; doubling)
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
    def claim_window(self) -> timedelta:
        return timedelta(minutes=self.claim_minutes)

    @property
    def grace(self) -> timedelta:
        return timedelta(minutes=self.grace_minutes)

    def wave_size_for(self, wave_number: int, short_notice: bool) -> int:
        """The size of the n-th wave (1-based) by the plan's growth, before the time-left floor."""
        if self.mode == SEQUENTIAL:
            return 1
        first = self.short_notice_wave_size if short_notice else self.wave_size
        return math.ceil(first * (1 + self.wave_growth_percent / 100) ** max(0, wave_number - 1))

    def cooldown(self, unanswered: int, list_size: int | None = None) -> timedelta:
        """After the n-th unanswered offer in a row: the base, doubling, at most a week. The base is
        `cooldown_hours` for a list of FULL_COOLDOWN_ENTRIES active entries or more, and shrinks
        with a shorter list (at least an hour), so one burst of cancellations does not leave a
        short list cooling down while slots wait."""
        base = timedelta(hours=self.cooldown_hours)
        if list_size is not None:
            base = max(MIN_COOLDOWN, base * min(1.0, list_size / FULL_COOLDOWN_ENTRIES))
        return min(base * (1 << max(0, unanswered - 1)), MAX_COOLDOWN)


@dataclass(frozen=True)
class Wave:
    send_at: datetime  # now, or when sending hours begin
    size: int
    hold: timedelta  # until the next wave, unless a yes comes first
    short_notice: bool

    @property
    def hold_until(self) -> datetime:
        return self.send_at + self.hold


def _window(day: date, visit_day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = SAME_DAY_EARLIEST if day == visit_day else SENDING_START
    return datetime.combine(day, start, zone), datetime.combine(day, SENDING_END, zone)


def _windows(start: datetime, end: datetime, visit: datetime, zone: ZoneInfo) -> Iterator[tuple[datetime, datetime]]:
    """The sending windows intersecting [start, end), in order: 8:00-20:00, from 7:00 on the
    visit's own day (a same-day slot cannot wait for eight), never at night."""
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


def in_sending_hours(at: datetime, visit: datetime, timezone: str = "Europe/Warsaw") -> bool:
    zone = ZoneInfo(timezone)
    low, high = _window(at.astimezone(zone).date(), visit.astimezone(zone).date(), zone)
    return low <= at < high


def cutoff(visit: datetime, strategy: Strategy) -> datetime:
    return visit - timedelta(minutes=strategy.min_lead_minutes)


def plan_wave(strategy: Strategy, visit: datetime, at: datetime, waves_sent: int, offers_made: int,
              timezone: str = "Europe/Warsaw") -> Wave | None:
    """The next wave for a slot starting at `visit`, or None when no offer can go out before the
    cut-off. Its size grows wave by wave, and is never less than what reaching `target_offers`
    before the cut-off needs when time is short."""
    end = cutoff(visit, strategy)
    window = next(_windows(at, end, visit, ZoneInfo(timezone)), None)
    if window is None:
        return None
    send_at = window[0]
    lead = visit - send_at
    short_notice = lead < SHORT_NOTICE
    hold = min(timedelta(minutes=strategy.hold_minutes), max(MIN_HOLD, lead / HOLD_PER_LEAD), end - send_at)
    size = strategy.wave_size_for(waves_sent + 1, short_notice)
    if strategy.mode != SEQUENTIAL:
        waves_left = max(1, int(sending_minutes(send_at, end, visit, timezone) // (hold.total_seconds() / 60)))
        size = max(size, math.ceil(max(0, strategy.target_offers - offers_made) / waves_left))
    return Wave(send_at=send_at, size=min(size, strategy.max_wave_size, WAVE_LIMIT), hold=hold,
                short_notice=short_notice)
