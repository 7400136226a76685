"""The template's schedules, fired by the runner (moto's EventBridge and Scheduler never fire).

Expressions are EventBridge's: `rate(N minute|minutes|hour|hours|day|days)` and the six-field
`cron(minutes hours day-of-month month day-of-week year)`, evaluated in UTC. The runner's clock is
the domain clock (odwolaj.core.clock.now, which honours ODWOLAJ_CLOCK_OFFSET_SECONDS), so moving it
forward makes schedules due at once.
"""
from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

from odwolaj_local.polling import log
from odwolaj_local.template import Schedule

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {name: i for i, name in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), 1)}
_DAYS = {name: i for i, name in enumerate("SUN MON TUE WED THU FRI SAT".split(), 1)}  # EventBridge: 1 = Sunday


class Rate:
    def __init__(self, expression: str):
        found = _RATE.match(expression.strip())
        if not found or int(found.group(1)) < 1:
            raise ValueError(f"not a rate expression: {expression!r}")
        self.period = timedelta(seconds=int(found.group(1)) * _UNITS[found.group(2).rstrip("s")])

    def next_after(self, moment: datetime, anchor: datetime) -> datetime:
        """First firing strictly after `moment`; a rate counts from when it was created (anchor)."""
        if moment < anchor:
            return anchor + self.period
        return anchor + self.period * ((moment - anchor) // self.period + 1)


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int] | None:
    """Allowed values of one cron field; None means any (`*` or `?`)."""
    if text in ("*", "?"):
        return None

    def number(token: str) -> int:
        value = (names or {}).get(token.upper())
        if value is None:
            if not token.isdigit():
                raise ValueError(f"cron value {token!r} is not supported by the local runner (nor L, W, #)")
            value = int(token)
        if not low <= value <= high:
            raise ValueError(f"cron value {token!r} is outside {low}-{high}")
        return value

    values: set[int] = set()
    for part in text.split(","):
        span, _, step = part.partition("/")
        if span == "*":
            start, end = low, high
        elif "-" in span:
            start, end = (number(t) for t in span.split("-", 1))
        else:
            start = number(span)
            end = high if step else start
        values.update(range(start, end + 1, int(step) if step else 1))
    return frozenset(values)


class Cron:
    def __init__(self, expression: str):
        inner = expression.strip()
        if not (inner.startswith("cron(") and inner.endswith(")")):
            raise ValueError(f"not a cron expression: {expression!r}")
        fields = inner[5:-1].split()
        if len(fields) != 6:
            raise ValueError(f"cron needs 6 fields (minutes hours day-of-month month day-of-week year): {expression!r}")
        self.minutes = _field(fields[0], 0, 59)
        self.hours = _field(fields[1], 0, 23)
        self.days = _field(fields[2], 1, 31)
        self.months = _field(fields[3], 1, 12, _MONTHS)
        self.weekdays = _field(fields[4], 1, 7, _DAYS)
        self.years = _field(fields[5], 1970, 2199)

    @staticmethod
    def _ok(allowed: frozenset[int] | None, value: int) -> bool:
        return allowed is None or value in allowed

    def _day_matches(self, day: datetime) -> bool:
        weekday = day.isoweekday() % 7 + 1  # Monday=1 in Python → 2 in EventBridge
        return (self._ok(self.years, day.year) and self._ok(self.months, day.month)
                and self._ok(self.days, day.day) and self._ok(self.weekdays, weekday))

    def next_after(self, moment: datetime, anchor: datetime | None = None) -> datetime | None:
        """First matching minute strictly after `moment`, or None if there is none in 5 years."""
        start = moment.astimezone(timezone.utc).replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = start.replace(hour=0, minute=0)
        for _ in range(366 * 5):
            if self._day_matches(day):
                for hour in sorted(self.hours) if self.hours is not None else range(24):
                    for minute in sorted(self.minutes) if self.minutes is not None else range(60):
                        candidate = day.replace(hour=hour, minute=minute)
                        if candidate >= start:
                            return candidate
            day += timedelta(days=1)
        return None


def parse(expression: str) -> Rate | Cron:
    return Rate(expression) if expression.strip().startswith("rate(") else Cron(expression)


def scheduled_event(schedule: Schedule, rule_name: str, at: datetime) -> dict:
    """What the target receives: the schedule's Input if it has one, else a 'Scheduled Event'."""
    if schedule.input:
        return json.loads(schedule.input)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "eu-central-1",
        "resources": [f"arn:aws:events:eu-central-1:123456789012:rule/{rule_name}"],
        "detail": {},
    }


@dataclass
class Entry:
    schedule: Schedule
    expression: Rate | Cron
    anchor: datetime
    next_due: datetime | None
    fired: int = 0
    last_fired: datetime | None = None

    @property
    def name(self) -> str:
        return f"{self.schedule.function}-{self.schedule.expression}"


@dataclass
class Scheduler:
    """Fires each due schedule once per check. Occurrences missed by a jump of the clock are
    coalesced into one firing: every scheduled function here sweeps what is due, so running it
    once after a jump has the effect of running it at each missed time."""

    schedules: list[Schedule]
    invoke: Callable[[str, dict], object]
    clock: Callable[[], datetime]
    entries: list[Entry] = field(default_factory=list)

    def __post_init__(self):
        self._lock = threading.Lock()
        start = self.clock()
        for schedule in self.schedules:
            expression = parse(schedule.expression)
            self.entries.append(Entry(schedule, expression, start, expression.next_after(start, start)))

    def next_firing(self, moment: datetime) -> datetime | None:
        """The first firing of any schedule at or after `moment`."""
        just_before = moment - timedelta(microseconds=1)
        times = [t for e in self.entries if (t := e.expression.next_after(just_before, e.anchor)) is not None]
        return min(times) if times else None

    def fire_due(self) -> list[Entry]:
        """Invoke every schedule whose next time has come; return those fired."""
        fired = []
        with self._lock:
            now = self.clock()
            for entry in self.entries:
                if entry.next_due is None or entry.next_due > now:
                    continue
                due = entry.next_due
                entry.next_due = entry.expression.next_after(now, entry.anchor)
                entry.fired += 1
                entry.last_fired = due
                fired.append(entry)
                try:
                    self.invoke(entry.schedule.function, scheduled_event(entry.schedule, entry.name, due))
                except Exception as error:  # as on AWS, a failed run does not stop the schedule
                    log.warning("schedule %s failed: %s", entry.name, type(error).__name__)
        return fired
