"""Shared Given-steps of the campaign tests: a clock inside (or outside) the sending window, a
lapsed patient's history rows, and the template's queues, buckets and rules driven as Lambda's
pollers would (odwolaj_local.queues)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from odwolaj.core.clock import WARSAW
from odwolaj.core.workdays import is_working_day
from odwolaj_local.lambdas import FakeLambdaContext, load_handler
from odwolaj_local.queues import QueuePoller, sources

SPECIALTIES = ("kardiologia", "dermatologia", "okulistyka")


def working_day(days_ahead: int = 1, *, after: date | None = None) -> date:
    """The first working day at least `days_ahead` days after `after` (default: today in Warsaw)."""
    day = (after or datetime.now(WARSAW).date()) + timedelta(days=days_ahead)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def warsaw_time(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), WARSAW).astimezone(timezone.utc)


def months_before(day: date, months: int, extra_days: int = 10) -> date:
    """A date `months` whole months (and a few days more) before `day`."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    return date(year, month + 1, min(day.day, 28)) - timedelta(days=extra_days)


def phone_of(number: int) -> str:
    return f"+48600{number:06d}"


def visit_row(number: int, last_visit: date, *, specialty: str = "kardiologia", outcome: str = "attended",
              birth_year: int | None = 1960, visit: str = "a", **extra) -> dict:
    row = {"patient_id": f"P-{number}", "phone": phone_of(number), "visit_id": f"V-{number}-{visit}",
           "date": last_visit.isoformat(), "specialty": specialty, "outcome": outcome, **extra}
    if birth_year is not None:
        row["birth_year"] = birth_year
    return row


def consent_row(number: int, purpose: str = "marketing_sms", granted: bool = True,
                at: str = "2024-01-01T10:00:00Z") -> dict:
    return {"patient_id": f"P-{number}", "purpose": purpose, "granted": granted, "at": at}


def invoke(function: str, event: dict):
    return load_handler(function)(event, FakeLambdaContext(function))


class Pollers:
    """The template's SQS, S3 and EventBridge-rule sources, each drained on demand."""

    def __init__(self, aws):
        client = aws.client("sqs")
        self.pollers = [QueuePoller(source, client, invoke) for source in sources(aws, rules=True)]

    def drain(self, rounds: int = 50, only: str | None = None) -> int:
        """Deliver until every queue is empty (at most `rounds` passes); returns messages handled."""
        handled = 0
        for _ in range(rounds):
            done = sum(p.poll_once() for p in self.pollers if only is None or p.source.function == only)
            handled += done
            if not done:
                return handled
        return handled
