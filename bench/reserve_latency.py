"""Time from freeing a slot to its first offer on a waiting patient's phone, on the local runner.

    python bench/reserve_latency.py [--samples 9]

Starts the runner in this process (moto, the template's stream pollers and schedules), with its
clock inside sending hours, enters one waiting patient per sample, then books and cancels one
visit per sample through the clinic API and times, from the cancel request, the arrival in the
phone view of (a) the patient's cancellation SMS — the baseline, the outbox path every change
takes — and (b) the first offer of the freed slot (Slots stream → offer wave → outbox → SMS).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime, time as clock_time, timedelta, timezone
from zoneinfo import ZoneInfo

import requests

WARSAW = ZoneInfo("Europe/Warsaw")
SERVICE = "Poradnia bench"


def _wait(runner, phone: str, text: str, started: float, timeout: float = 20.0) -> float:
    while time.monotonic() - started < timeout:
        if any(m.phone == phone and text in m.text for m in runner.phone.messages()):
            return time.monotonic() - started
        time.sleep(0.02)
    raise TimeoutError(f"no {text!r} to {phone}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=9)
    args = parser.parse_args()
    tomorrow_ten = datetime.combine(datetime.now(WARSAW).date() + timedelta(days=1), clock_time(10), WARSAW)
    os.environ["ODWOLAJ_CLOCK_OFFSET_SECONDS"] = str((tomorrow_ten - datetime.now(timezone.utc)).total_seconds())
    os.environ.setdefault("ODWOLAJ_LOCAL_DIR", "/tmp/odwolaj-bench-local")

    from odwolaj_local.runner import Runner

    runner = Runner(port=0)
    base = runner.start()
    auth = {"Authorization": f"Bearer {runner.demo['api_key']}"}
    try:
        planned = (tomorrow_ten + timedelta(days=100)).date().isoformat()
        for n in range(args.samples):
            entry = {"referral": f"BENCH-{n}", "patient": {"id": f"B-{n}", "phone": f"+48500001{n:03d}",
                                                            "pesel": "44051401359"},
                     "reason": "-", "category": "stabilny", "planned_date": planned, "entered_by": "bench",
                     "consent": True, "service": SERVICE}
            assert requests.post(f"{base}/api/v1/waiting-list", json=entry, headers=auth, timeout=10).ok
        baseline, offered = [], []
        for n in range(args.samples):
            starts = (tomorrow_ten + timedelta(days=2, minutes=15 * n)).astimezone(timezone.utc)
            visit = {"patient": {"id": f"V-{n}", "phone": f"+48500002{n:03d}"}, "starts_at": starts.isoformat(),
                     "service": SERVICE}
            assert requests.put(f"{base}/api/v1/appointments/BENCH-{n}", json=visit, headers=auth, timeout=10).ok
            started = time.monotonic()
            assert requests.post(f"{base}/api/v1/appointments/BENCH-{n}/outcome", json={"outcome": "cancelled"},
                                 headers=auth, timeout=10).ok
            baseline.append(_wait(runner, f"+48500002{n:03d}", "odwolana", started))
            offered.append(_wait(runner, f"+48500001{n:03d}", "zwolnil sie termin", started))
            time.sleep(0.5)
    finally:
        runner.stop()
    base_median, offer_median = statistics.median(baseline), statistics.median(offered)
    print(f"Freeing → SMS on the local runner, {args.samples} samples, median (min-max) seconds")
    print(f"{'cancellation SMS (baseline)':<32}{base_median:>6.2f}  ({min(baseline):.2f}-{max(baseline):.2f})  1.00x")
    print(f"{'first offer of the freed slot':<32}{offer_median:>6.2f}  ({min(offered):.2f}-{max(offered):.2f})"
          f"  {offer_median / base_median:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
