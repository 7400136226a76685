"""What the sweep benchmarks share: an embedded DynamoDB with the template's tables, a bulk load of
appointments, the DynamoDB requests a sweep makes and the items a full scan would read instead."""
from __future__ import annotations

import os
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


def dynamodb_requests(counted) -> Counter[str]:
    requests: Counter[str] = Counter()
    for (service, operation, _table), n in counted.items():
        if service == "dynamodb":
            requests[operation] += n
    return requests


def scan_count(local: LocalAws, table: str) -> int:
    return sum(page["Count"] for page in local.client("dynamodb").get_paginator("scan").paginate(
        TableName=table, Select="COUNT"))
