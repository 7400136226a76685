"""Reminder sweep cost: items read per sweep against items due, among many future appointments.

    python bench/reminder_sweep.py [--appointments 100000] [--due 50]

Loads the appointments straight into the embedded DynamoDB (moto, tables from template.yaml), each
with its next reminder spread over the coming weeks; `--due` of them are due now. Runs the real
sweep and counts, with botocore's event hooks, the requests it makes and the items DynamoDB
returns. A full scan of the table is the baseline it is compared to.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import datetime, timedelta, timezone

import sweep_table


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--appointments", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=50)
    args = parser.parse_args()

    calls, server, local = sweep_table.start()
    table = local.physical_names()["AppointmentsTable"]

    from odwolaj import reminders
    from odwolaj.clock import iso

    # Pick a moment inside sending hours, so the sweep runs.
    at = datetime.now(timezone.utc).replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=1)
    rng = random.Random(7)
    items = []
    for index in range(args.appointments):
        appointment_id = f"{rng.getrandbits(64):016x}"
        due_now = index < args.due
        due = at - timedelta(minutes=rng.randint(0, 4)) if due_now else at + timedelta(minutes=rng.randint(10, 60 * 24 * 60))
        starts = due + timedelta(hours=24)
        items.append({
            "appointment_id": {"S": appointment_id}, "facility_id": {"S": "fac_bench"},
            "external_id": {"S": f"E{index}"}, "patient_id": {"S": f"P{index}"}, "phone": {"S": "+48500000000"},
            "starts_at": {"S": iso(starts)}, "duration_minutes": {"N": "15"}, "service": {"S": "Poradnia"},
            "status": {"S": "booked"}, "version": {"N": "1"}, "visit_code": {"S": f"C{index:07d}"},
            "cer_managed": {"BOOL": False}, "history": {"L": []}, "created_at": {"S": iso(at)},
            "updated_at": {"S": iso(at)}, "reminder_shard": {"S": reminders.shard_of(appointment_id)},
            "reminder_due_at": {"S": iso(due)}, "reminder_offset_hours": {"N": "24"},
        })
    load_seconds = sweep_table.load(local, table, items)

    started = time.perf_counter()
    with calls.measure() as counted:
        report = reminders.sweep(at)
    sweep_seconds = time.perf_counter() - started
    requests = sweep_table.dynamodb_requests(counted)
    scan_read = sweep_table.scan_count(local, table)
    server.stop()

    print(f"appointments in table        {args.appointments:>9}  (loaded in {load_seconds:.1f} s)")
    print(f"reminders due now            {args.due:>9}")
    print(f"index items read by sweep    {report.read:>9}  (ratio to due: {report.read / max(args.due, 1):.2f})")
    print(f"reminders queued             {report.queued:>9}")
    print(f"items a table scan would read {scan_read:>8}  (sweep reads {report.read / max(scan_read, 1):.5f} of it)")
    print(f"DynamoDB requests in sweep   {sum(requests.values()):>9}  {dict(requests)}")
    print(f"sweep wall time              {sweep_seconds:>9.2f} s (moto answers an index query by walking the")
    print("                                         whole table in Python: not a DynamoDB latency figure)")
    return 0 if report.read == args.due == report.queued else 1


if __name__ == "__main__":
    sys.exit(main())
