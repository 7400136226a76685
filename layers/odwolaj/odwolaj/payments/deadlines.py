"""When a prepayment is due: the three deadline modes of seed 002, in the facility's time zone.

- `by_hour` (a): by an hour of the booking day (e.g. 20:00), and not later than
  `hours_before_visit` hours before the visit when that is set. When the booking is made at or
  after that hour, the deadline moves to the same hour of the next day ("with no hour limit the
  deadline moves to the next day": a facility that wants such late bookings refused instead sets
  a `booking_cutoff`).
- `before_visit` (b): `hours_before_visit` hours before the visit.
- `after_booking` (c): `hours_after_booking` hours after the booking, and not later than
  `hours_before_visit` hours before the visit.

An hour of the day is read on the local wall clock (20:00 in Warsaw, summer or winter); a number of
hours is elapsed time, so "48 hours before" is 48 real hours across a DST change too. A deadline is
never after the visit and never at or before the booking: a booking that would leave no time to pay
is refused (PrepaymentRefused), as is one made at or after the `booking_cutoff` hour (BookingCutoff).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from odwolaj.core.clock import to_utc
from odwolaj.core.errors import BookingCutoff, InvalidInput, PrepaymentRefused
from odwolaj.core.validation import reject_unknown, whole_number

BY_HOUR = "by_hour"
BEFORE_VISIT = "before_visit"
AFTER_BOOKING = "after_booking"
MODES = (BY_HOUR, BEFORE_VISIT, AFTER_BOOKING)
MAX_HOURS = 24 * 60  # two months: anything longer is a typo


@dataclass(frozen=True)
class DeadlineRule:
    mode: str
    hour: time | None = None  # by_hour
    hours_before_visit: int | None = None  # by_hour (optional cap), before_visit, after_booking (cap)
    hours_after_booking: int | None = None  # after_booking
    booking_cutoff: time | None = None  # bookings needing prepayment refused from this local hour on

    @classmethod
    def from_dict(cls, value: object, field: str = "deadline") -> "DeadlineRule":
        if not isinstance(value, dict):
            raise InvalidInput(f"{field} must be an object with a mode", field=field)
        reject_unknown(value, ("mode", "hour", "hours_before_visit", "hours_after_booking", "booking_cutoff"),
                       prefix=f"{field}.", field=field)
        mode = value.get("mode")
        if mode not in MODES:
            raise InvalidInput(f"{field}.mode must be one of: {', '.join(MODES)}", field=f"{field}.mode")
        rule = cls(
            mode=mode,
            hour=_hour(value.get("hour"), f"{field}.hour"),
            hours_before_visit=_hours(value.get("hours_before_visit"), f"{field}.hours_before_visit"),
            hours_after_booking=_hours(value.get("hours_after_booking"), f"{field}.hours_after_booking"),
            booking_cutoff=_hour(value.get("booking_cutoff"), f"{field}.booking_cutoff"),
        )
        needed = {BY_HOUR: ("hour",), BEFORE_VISIT: ("hours_before_visit",),
                  AFTER_BOOKING: ("hours_after_booking", "hours_before_visit")}[mode]
        for name in needed:
            if getattr(rule, name) is None:
                raise InvalidInput(f"{field}.{name} is required with mode {mode}", field=f"{field}.{name}")
        if mode != BY_HOUR and rule.hour is not None:
            raise InvalidInput(f"{field}.hour belongs to mode {BY_HOUR} only", field=f"{field}.hour")
        if mode != AFTER_BOOKING and rule.hours_after_booking is not None:
            raise InvalidInput(f"{field}.hours_after_booking belongs to mode {AFTER_BOOKING} only",
                               field=f"{field}.hours_after_booking")
        return rule

    def to_dict(self) -> dict[str, Any]:
        values = {"mode": self.mode, "hour": self.hour, "hours_before_visit": self.hours_before_visit,
                  "hours_after_booking": self.hours_after_booking, "booking_cutoff": self.booking_cutoff}
        return {name: (value.strftime("%H:%M") if isinstance(value, time) else value)
                for name, value in values.items() if value is not None}


def _hour(value: object, field: str) -> time | None:
    if value is None:
        return None
    try:
        parsed = time.fromisoformat(value) if isinstance(value, str) and len(value) == 5 else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise InvalidInput(f"{field} must be a local time as HH:MM, e.g. 20:00", field=field)
    return parsed


def _hours(value: object, field: str) -> int | None:
    return whole_number(value, field, 0, MAX_HOURS, " of hours")


def _at_local_hour(day: date, hour: time, zone: ZoneInfo) -> datetime:
    """That wall-clock time on that day; a time skipped by a DST change means the moment after it."""
    moment = datetime.combine(day, hour, zone)
    return moment.astimezone(timezone.utc).astimezone(zone)


def deadline(rule: DeadlineRule, booked_at: datetime, starts_at: datetime, *,
             timezone_name: str = "Europe/Warsaw") -> datetime:
    """The moment (UTC) by which the patient must pay, or a refusal of the booking."""
    zone = ZoneInfo(timezone_name)
    # Hours are elapsed time: arithmetic on UTC (on a zoned datetime Python would use the wall clock).
    booked_at, starts_at = to_utc(booked_at), to_utc(starts_at)
    local = booked_at.astimezone(zone)
    if rule.booking_cutoff is not None and local.time() >= rule.booking_cutoff:
        raise BookingCutoff(
            f"bookings that need prepayment are not accepted from {rule.booking_cutoff:%H:%M} "
            f"({timezone_name}) on, so the patient has time to pay; book it tomorrow or without prepayment"
        )
    latest = starts_at - timedelta(hours=rule.hours_before_visit or 0)
    if rule.mode == BY_HOUR and rule.hour is not None:  # from_dict requires the hour with this mode
        due = _at_local_hour(local.date(), rule.hour, zone)
        if due <= booked_at:
            due = _at_local_hour(local.date() + timedelta(days=1), rule.hour, zone)
        due = min(due, latest)
    elif rule.mode == BEFORE_VISIT:
        due = latest
    else:
        due = min(booked_at + timedelta(hours=rule.hours_after_booking or 0), latest)
    due = min(due, starts_at).astimezone(timezone.utc).replace(microsecond=0)
    if due <= booked_at:
        raise PrepaymentRefused(
            "the visit is too soon for its prepayment rule: the payment deadline would already have "
            "passed; book it without prepayment (per-visit override) or choose a later time"
        )
    return due
