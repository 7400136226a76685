"""Reminders: when they are due, and the sweep that sends them.

An appointment carries only its *next* pending reminder, in two attributes that exist only while
one is pending: `reminder_due_at` (UTC, sortable) and `reminder_shard`. They key the sparse
index `reminders_due`, so a sweep queries each shard for what is due and reads nothing else;
the shard (derived from the appointment id) spreads one minute's reminders over partitions.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from odwolaj.core.clock import iso, now, parse_iso
from odwolaj.core.sharding import SHARDS, shard_of
from odwolaj.core.transactions import applied
from odwolaj.data.models import Appointment
from odwolaj.data.outbox import queue_sms
from odwolaj.data.status import OPEN

DEFAULT_OFFSETS_HOURS = (168, 24)  # 7 days and 1 day before, as the central e-registration does
SENDING_START = time(8, 0)
SENDING_END = time(20, 0)


def _within_sending_hours(moment: datetime, zone: ZoneInfo) -> datetime:
    """Move a moment into the sending window of its local day (DST-safe: the window is local)."""
    local = moment.astimezone(zone)
    start = datetime.combine(local.date(), SENDING_START, zone)
    end = datetime.combine(local.date(), SENDING_END, zone)
    return min(max(local, start), end)


def schedule(starts_at: datetime, booked_at: datetime, *, offsets_hours: Iterable[int] = DEFAULT_OFFSETS_HOURS,
             timezone: str = "Europe/Warsaw") -> list[tuple[int, datetime]]:
    """(offset, due moment) of each reminder still worth sending, earliest first. A reminder whose
    moment passed before the booking is dropped: a visit booked 3 days ahead gets the 1-day one."""
    zone = ZoneInfo(timezone)
    # Arithmetic on the local wall clock: "7 days before a 10:00 visit" is 10:00, across DST too.
    local_visit = starts_at.astimezone(zone)
    plan = []
    for offset in sorted(set(offsets_hours), reverse=True):
        due = _within_sending_hours(local_visit - timedelta(hours=offset), zone)
        if booked_at < due < starts_at:
            plan.append((offset, due))
    return plan


def next_reminder(appointment: Appointment, after: datetime) -> tuple[int, datetime] | None:
    if appointment.cer_managed or appointment.status not in OPEN:
        return None  # the central e-registration reminds these patients itself
    remaining = schedule(parse_iso(appointment.starts_at), after)
    return remaining[0] if remaining else None


def reminder_fields(appointment: Appointment, after: datetime) -> dict[str, object]:
    """The index attributes of the next reminder; None values take the item out of the index."""
    upcoming = next_reminder(appointment, after)
    if upcoming is None:
        return {"reminder_due_at": None, "reminder_shard": None, "reminder_offset_hours": None}
    offset, due = upcoming
    return {"reminder_due_at": iso(due), "reminder_shard": shard_of(appointment.appointment_id),
            "reminder_offset_hours": offset}


def reminder_actions(appointment: Appointment, after: datetime) -> list[Action]:
    """Update actions that point the index at the next reminder, or take the item out of it."""
    return [getattr(Appointment, name).set(value) if value is not None else getattr(Appointment, name).remove()
            for name, value in reminder_fields(appointment, after).items()]


@dataclass
class SweepReport:
    read: int = 0  # index items read
    queued: int = 0  # reminders queued for sending
    skipped: int = 0  # raced with another change, which rescheduled or removed the reminder


def in_sending_hours(at: datetime, timezone: str = "Europe/Warsaw") -> bool:
    local = at.astimezone(ZoneInfo(timezone)).time()
    return SENDING_START <= local < SENDING_END


def sweep(at: datetime | None = None) -> SweepReport:
    """Queue every reminder due by `at`; each appointment moves on to its next one. Outside
    sending hours it does nothing, so a backlog never wakes anyone at night."""
    at = at or now()
    report = SweepReport()
    if not in_sending_hours(at):
        return report
    for shard in range(SHARDS):
        # The index carries what the decision needs (status, version, time), so no item is read
        # twice; a stale index entry fails the conditional write below and is skipped.
        for due in Appointment.reminders_due.query(f"r{shard:02d}", Appointment.reminder_due_at <= iso(at)):
            report.read += 1
            if _queue(due, at):
                report.queued += 1
            else:
                report.skipped += 1
    return report


def _queue(due: Appointment, at: datetime) -> bool:
    """Queue one reminder and point the appointment at its next one, in one transaction. False when
    another change won the race (it rescheduled or removed the reminder); throttling propagates, so
    the sweep fails and its next run sends what is still due."""
    def write(transaction: TransactWrite) -> None:
        transaction.update(
            due,
            actions=reminder_actions(due, parse_iso(due.reminder_due_at) + timedelta(seconds=1)),
            condition=(Appointment.reminder_due_at == due.reminder_due_at) & (Appointment.version == due.version),
        )
        transaction.save(queue_sms(due, "reminder", at, f"reminder:{due.reminder_offset_hours}:{due.starts_at}"))

    return applied(write)
