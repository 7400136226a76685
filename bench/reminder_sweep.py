"""Reminder sweep cost: items read per sweep against items due, among many future appointments.

    python bench/reminder_sweep.py [--appointments 100000] [--due 50]

Loads the appointments straight into the embedded DynamoDB (moto, tables from template.yaml), each
with its next reminder spread over the coming weeks; `--due` of them are due now. Runs the real
sweep and counts, with botocore's event hooks, the requests it makes and the items DynamoDB
returns. A full scan of the table is the baseline it is compared to.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import aws_calls
from odwolaj_local.aws import LocalAws, start_moto


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--appointments", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=50)
    args = parser.parse_args()

    calls = aws_calls.install()  # before the sweep's PynamoDB client exists
    server, endpoint = start_moto()
    local = LocalAws(endpoint=endpoint, public_base_url="https://odw.pl")
    for function in local.app.functions:
        os.environ.update(local.function_environment(function))
    local.create_resources()
    table = local.physical_names()["AppointmentsTable"]

    from odwolaj import reminders
    from odwolaj.clock import iso

    # Pick a moment inside sending hours, so the sweep runs.
    at = datetime.now(timezone.utc).replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=1)
    rng = random.Random(7)
    started = time.perf_counter()
    items = []
    for index in range(args.appointments):
        appointment_id = f"{rng.getrandbits(64):016x}"
        due_now = index < args.due
        due = at - timedelta(minutes=rng.randint(0, 4)) if due_now else at + timedelta(minutes=rng.randint(10, 60 * 24 * 60))
        starts = due + timedelta(hours=24)
        items.append({"PutRequest": {"Item": {
            "appointment_id": {"S": appointment_id}, "facility_id": {"S": "fac_bench"},
            "external_id": {"S": f"E{index}"}, "patient_id": {"S": f"P{index}"}, "phone": {"S": "+48500000000"},
            "starts_at": {"S": iso(starts)}, "duration_minutes": {"N": "15"}, "service": {"S": "Poradnia"},
            "status": {"S": "booked"}, "version": {"N": "1"}, "visit_code": {"S": f"C{index:07d}"},
            "cer_managed": {"BOOL": False}, "history": {"L": []}, "created_at": {"S": iso(at)},
            "updated_at": {"S": iso(at)}, "reminder_shard": {"S": reminders.shard_of(appointment_id)},
            "reminder_due_at": {"S": iso(due)}, "reminder_offset_hours": {"N": "24"},
        }}})
    client = local.client("dynamodb")

    def write(chunk):
        pending = {table: chunk}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or None

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, [items[i:i + 25] for i in range(0, len(items), 25)]))
    load_seconds = time.perf_counter() - started

    started = time.perf_counter()
    with calls.measure() as counted:
        report = reminders.sweep(at)
    sweep_seconds = time.perf_counter() - started
    requests: Counter[str] = Counter()
    for (service, operation, _table), n in counted.items():
        if service == "dynamodb":
            requests[operation] += n

    scan_read = 0
    for page in client.get_paginator("scan").paginate(TableName=table, Select="COUNT"):
        scan_read += page["Count"]
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
