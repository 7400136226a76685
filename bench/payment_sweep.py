"""Payment-deadline sweep cost: items read per sweep against items due, among many bookings awaiting
payment.

    python bench/payment_sweep.py [--appointments 100000] [--due 50]

Loads the bookings straight into the embedded DynamoDB (moto, tables from template.yaml), every one
`awaiting_payment` with its deadline spread over the coming 30 days; `--due` of them are past their
deadline now. Runs the real sweep (which cancels those) and counts, with botocore's event hooks,
the requests it makes and the index items it reads. A full scan of the table is the baseline.
"""
from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone

import sweep_table

AT = datetime.now(timezone.utc).replace(microsecond=0)


def item(appointment_id: str, index: int, due_now: bool, rng) -> dict:
    from odwolaj.core.clock import iso
    from odwolaj.payments import booking

    due = (AT - timedelta(minutes=rng.randint(0, 4)) if due_now
           else AT + timedelta(minutes=rng.randint(10, 60 * 24 * 30)))
    keys = booking.due_keys(appointment_id, due)
    return sweep_table.appointment_item(
        appointment_id, index, iso(due + timedelta(hours=24)), iso(AT), "awaiting_payment",
        payment_mode={"S": "mandatory"}, payment_amount={"N": "5000"}, payment_kind={"S": "deposit"},
        payment_deadline={"S": iso(due)}, **{name: {"S": value} for name, value in keys.items()})


def sweep():
    from odwolaj.usecases import payment_expiry as expiry

    return expiry.sweep(AT)


if __name__ == "__main__":
    sys.exit(sweep_table.run("bookings awaiting payment", item, sweep, lambda report: report.expired))
