"""Reminder sweep cost: items read per sweep against items due, among many future appointments.

    python bench/reminder_sweep.py [--appointments 100000] [--due 50]

Loads the appointments straight into the embedded DynamoDB (moto, tables from template.yaml), each
with its next reminder spread over the coming weeks; `--due` of them are due now. Runs the real
sweep and counts, with botocore's event hooks, the requests it makes and the items DynamoDB
returns. A full scan of the table is the baseline it is compared to.
"""
from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone

import sweep_table

# A moment inside sending hours, so the sweep runs.
AT = datetime.now(timezone.utc).replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=1)


def item(appointment_id: str, index: int, due_now: bool, rng) -> dict:
    from odwolaj.appointments import reminders
    from odwolaj.core.clock import iso

    due = (AT - timedelta(minutes=rng.randint(0, 4)) if due_now
           else AT + timedelta(minutes=rng.randint(10, 60 * 24 * 60)))
    return sweep_table.appointment_item(
        appointment_id, index, iso(due + timedelta(hours=24)), iso(AT), "booked",
        reminder_shard={"S": reminders.shard_of(appointment_id)}, reminder_due_at={"S": iso(due)},
        reminder_offset_hours={"N": "24"})


def sweep():
    from odwolaj.appointments import reminders

    return reminders.sweep(AT)


if __name__ == "__main__":
    sys.exit(sweep_table.run("appointments in table", item, sweep, lambda report: report.queued))
