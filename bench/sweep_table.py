"""What the sweep benchmarks share: an embedded DynamoDB with the template's tables, a bulk load of
appointments, the DynamoDB requests a sweep makes and the items a full scan would read instead."""
from __future__ import annotations

import argparse
import os
import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import aws_calls
from odwolaj_local.aws import LocalAws, start_moto


def start():
    """(call counter, moto server, LocalAws) with the template's tables and the functions' environment."""
    calls = aws_calls.install()  # before the sweep's PynamoDB client exists
    server, endpoint = start_moto()
    local = LocalAws(endpoint=endpoint, public_base_url="https://odw.pl")
    for function in local.app.functions:
        os.environ.update(local.function_environment(function))
    local.create_resources()
    return calls, server, local


def load(local: LocalAws, table: str, items: list[dict]) -> float:
    """Batch-write raw DynamoDB items; returns the seconds it took."""
    started = time.perf_counter()
    client = local.client("dynamodb")

    def write(chunk):
        pending = {table: [{"PutRequest": {"Item": item}} for item in chunk]}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or None

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, [items[i:i + 25] for i in range(0, len(items), 25)]))
    return time.perf_counter() - started


def appointment_item(appointment_id: str, index: int, starts: str, created: str, status: str, **more) -> dict:
    """A raw appointment item as the domain writes it; `more` adds attributes (already typed)."""
    return {
        "appointment_id": {"S": appointment_id}, "facility_id": {"S": "fac_bench"},
        "external_id": {"S": f"E{index}"}, "patient_id": {"S": f"P{index}"}, "phone": {"S": "+48500000000"},
        "starts_at": {"S": starts}, "duration_minutes": {"N": "15"}, "service": {"S": "Poradnia"},
        "status": {"S": status}, "version": {"N": "1"}, "visit_code": {"S": f"C{index:07d}"},
        "cer_managed": {"BOOL": False}, "history": {"L": []}, "created_at": {"S": created},
        "updated_at": {"S": created}, **more,
    }


def measure(calls, sweep):
    """(the sweep's report, wall seconds, DynamoDB requests by operation) of one sweep."""
    started = time.perf_counter()
    with calls.measure() as counted:
        report = sweep()
    seconds = time.perf_counter() - started
    requests: Counter[str] = Counter()
    for (service, operation, _table), n in counted.items():
        if service == "dynamodb":
            requests[operation] += n
    return report, seconds, requests


def print_cost(read: int, due: int, scan_read: int, requests: Counter[str], seconds: float) -> None:
    print(f"index items read by sweep    {read:>9}  (ratio to due: {read / max(due, 1):.2f})")
    print(f"items a table scan would read {scan_read:>8}  (sweep reads {read / max(scan_read, 1):.5f} of it)")
    print(f"DynamoDB requests in sweep   {sum(requests.values()):>9}  {dict(requests)}")
    print(f"sweep wall time              {seconds:>9.2f} s (moto answers an index query by walking the")
    print("                                         whole table in Python: not a DynamoDB latency figure)")


def scan_count(local: LocalAws, table: str) -> int:
    return sum(page["Count"] for page in local.client("dynamodb").get_paginator("scan").paginate(
        TableName=table, Select="COUNT"))


def run(title: str, make_item, sweep, done, *, default_appointments: int = 100_000) -> int:
    """Parse --appointments/--due, load the items `make_item(appointment_id, index, due_now, rng)`
    builds, run `sweep()` under the call counter and print its cost; `done(report)` is what it
    acted on (which must equal --due, like the items it read)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--appointments", type=int, default=default_appointments)
    parser.add_argument("--due", type=int, default=50)
    args = parser.parse_args()
    calls, server, local = start()
    table = local.physical_names()["AppointmentsTable"]
    rng = random.Random(7)
    items = [make_item(f"{rng.getrandbits(64):016x}", index, index < args.due, rng)
             for index in range(args.appointments)]
    load_seconds = load(local, table, items)
    report, seconds, requests = measure(calls, sweep)
    scan_read = scan_count(local, table)
    server.stop()
    print(f"{title:<29}{args.appointments:>9}  (loaded in {load_seconds:.1f} s)")
    print(f"due now                      {args.due:>9}")
    print(f"acted on (queued/cancelled)  {done(report):>9}")
    print_cost(report.read, args.due, scan_read, requests, seconds)
    return 0 if report.read == args.due == done(report) else 1
