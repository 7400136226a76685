"""Reserve-list ordering cost: index items read to find a freed slot's first candidates, against
the length of the list.

    python bench/reserve_order.py [--sizes 1000 5000 20000] [--wave 5]

Loads each list straight into the embedded DynamoDB (moto, tables from template.yaml): entitled,
urgent and stable patients entered over ten months, one in ten wanting another specialist. Runs
the real search (odwolaj.reserve.order.first_eligible) and counts, with botocore's event hooks, the
requests it makes and the items DynamoDB returns. The baseline is what ordering in memory would
cost: reading the whole list (a Query of the list's partition, every page).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import aws_calls
from odwolaj_local.aws import LocalAws, reset_moto, start_moto

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' Given-state helpers


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 20000])
    parser.add_argument("--wave", type=int, default=5)
    args = parser.parse_args()

    calls = aws_calls.install()
    server, endpoint = start_moto()
    from odwolaj.data.models import WaitingEntry
    from odwolaj.reserve.entries import queue_of
    from odwolaj.reserve.order import first_eligible
    from tests.reserve_helpers import warsaw
    from tests.reserve_population import populate, slot

    print(f"First {args.wave} eligible entries of one list; baseline: reading the whole list")
    print(f"{'entries':>8}{'requests':>10}{'items':>8}{'baseline req':>14}{'baseline items':>16}{'items ratio':>13}")
    try:
        for size in args.sizes:
            reset_moto(endpoint)
            local = LocalAws(endpoint=endpoint, public_base_url="https://odw.pl")
            for function in local.app.functions:
                os.environ.update(local.function_environment(function))
            local.create_resources()
            at = warsaw(1, 11)
            populate("fac_bench", size, at)
            freed = slot("fac_bench", warsaw(3, 10), at)
            with calls.measure() as counted:
                search = first_eligible(freed, args.wave, at)
            requests = sum(counted.values())
            with calls.measure() as whole:
                baseline_items = sum(1 for _ in WaitingEntry.by_queue.query(queue_of("fac_bench", freed.service)))
            baseline_requests = sum(whole.values())
            print(f"{size:>8}{requests:>10}{search.read:>8}{baseline_requests:>14}{baseline_items:>16}"
                  f"{search.read / baseline_items:>12.4f}x")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
