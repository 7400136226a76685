"""A reactivation campaign at scale on moto: 100,000 lapsed patients imported from an uploaded file,
a campaign previewed, launched and sent at the configured rate through the template's queues.

    python bench/campaign_send.py [--patients 100000] [--rate 3000] [--provider-rate 100]
                                  [--adherence-patients 600] [--adherence-rate 300]

Everything runs through the real handlers and the local runner's event-source code
(odwolaj_local.queues: the S3 notification, the import, launch and send queues), one invocation at a
time in this process, like one Lambda container per function; the dispatcher is invoked once a
minute of wall time, as its schedule would. The domain clock is set to 9:00 Warsaw time on the next
working day, so the sending window is open. Printed:

- import: rows per second of the history and of the consents file (each imported in chunks through
  its S3 event and queue), DynamoDB requests per row;
- preview and selection: wall time, index items read, DynamoDB requests;
- sending: messages per second against the configured rate (whole run, and the busiest minute
  against the minute's budget), duplicates (SMS per member and touch beyond one), DynamoDB
  requests per message (dispatcher and sender together);
- adherence: a second facility at a rate this machine can keep (5 a second by default): the
  messages of each minute against its budget, and the largest burst in one second;
- memory: each function's peak Python allocation in an invocation (tracemalloc, every 20th
  invocation and the first) and the process's maximum RSS;
- baseline: the wall time of one DynamoDB GetItem round trip to the same moto (the cheapest request
  there is), measured at the start and again before each figure it divides; the time of a row
  imported and of a message sent is quoted as a ratio to it, which holds on a noisy machine where
  the absolute rates do not.

moto answers an index query by walking the whole table in Python, and copies every table a
transaction touches (copy.deepcopy, to roll back), so each message's sent-transaction costs time in
proportion to the tables' size: the wall times are moto's, not DynamoDB's (a 100,000-patient run
takes hours on moto), while the request counts are what DynamoDB would be asked.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
import tracemalloc
from collections import Counter, defaultdict
from datetime import date, datetime, time as clock_time, timedelta, timezone

import requests

import sweep_table
from odwolaj.core.clock import WARSAW
from odwolaj.core.workdays import is_working_day
from odwolaj_local.lambdas import FakeLambdaContext, load_handler
from odwolaj_local.queues import QueuePoller, sources

ACCOUNT, REGION = "123456789012", "eu-central-1"
SAMPLE_EVERY = 20


class Invoker:
    """Invokes handlers one at a time; samples each function's peak traced memory."""

    def __init__(self):
        self.calls: Counter[str] = Counter()
        self.peak: dict[str, int] = defaultdict(int)
        self.seconds: Counter[str] = Counter()

    def __call__(self, function: str, event: dict):
        sample = self.calls[function] % SAMPLE_EVERY == 0
        self.calls[function] += 1
        if sample:
            tracemalloc.start()
        started = time.perf_counter()
        try:
            return load_handler(function)(event, FakeLambdaContext(function))
        finally:
            self.seconds[function] += time.perf_counter() - started
            if sample:
                self.peak[function] = max(self.peak[function], tracemalloc.get_traced_memory()[1])
                tracemalloc.stop()


def round_trip(facility_id: str, rounds: int = 200) -> float:
    """The baseline: seconds per GetItem of one facility (the best of two runs of `rounds`)."""
    from odwolaj.data.models import Facility

    best = float("inf")
    for _ in range(2):
        started = time.perf_counter()
        for _ in range(rounds):
            Facility.get(facility_id)
        best = min(best, (time.perf_counter() - started) / rounds)
    return best


def dynamodb(counted) -> int:
    return sum(n for (service, _op, _table), n in counted.items() if service == "dynamodb")


def working_morning() -> datetime:
    day = datetime.now(WARSAW).date() + timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, clock_time(9, 0), WARSAW)


def set_clock(moment: datetime) -> None:
    os.environ["ODWOLAJ_CLOCK_OFFSET_SECONDS"] = str((moment - datetime.now(timezone.utc)).total_seconds())


def months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, 28)) - timedelta(days=5)


def history_file(prefix: str, first_phone: int, count: int, today: date, rng: random.Random) -> tuple[bytes, bytes]:
    """(NDJSON history, CSV consents) of `count` lapsed patients; 2 % without marketing consent."""
    history, consents = [], ["patient_id,purpose,granted,at"]
    for n in range(count):
        pid = f"{prefix}{n:06d}"
        history.append(json.dumps({"patient_id": pid, "phone": f"+48{first_phone + n:09d}", "visit_id": f"V{pid}",
                                   "date": months_before(today, rng.randint(12, 40)).isoformat(),
                                   "specialty": rng.choice(("kardiologia", "dermatologia", "okulistyka")),
                                   "outcome": "attended", "birth_year": rng.randint(1940, 2004)}))
        consents.append(f"{pid},marketing_sms,{'false' if n % 50 == 7 else 'true'},2024-05-01")
    return ("\n".join(history) + "\n").encode(), ("\n".join(consents) + "\n").encode()


def drain(pollers, functions: set[str]) -> int:
    handled = 0
    while True:
        done = sum(p.poll_once() for p in pollers if p.source.function in functions)
        handled += done
        if not done:
            return handled


def import_file(facility_id: str, kind: str, fmt: str, body: bytes, pollers) -> float:
    from odwolaj.campaigns import imports
    from odwolaj.core.clock import now

    job, url = imports.open_import(facility_id, {"kind": kind, "format": fmt}, now())
    started = time.perf_counter()
    assert requests.put(url, data=body, timeout=300).status_code == 200
    drain(pollers, {"HistoryImportFunction"})
    seconds = time.perf_counter() - started
    done = imports.get(facility_id, job.import_id)
    assert done.status == "done", (done.status, done.failure)
    return seconds


def sms_log() -> list:
    from moto.sns.models import sns_backends

    return list(sns_backends[ACCOUNT][REGION].sms_messages.values())


def launch_campaign(facility_id: str, pollers, calls) -> tuple[str, dict, float, float, int, int]:
    from odwolaj.campaigns import drafts, launch, segments
    from odwolaj.core.clock import now
    from odwolaj.core.errors import ConfirmationRequired

    campaign = drafts.create(facility_id, drafts.DraftInput.from_payload(
        {"name": "Powrót", "purpose": "marketing", "inactive_months_min": 12}))
    started = time.perf_counter()
    with calls.measure() as counted:
        preview = segments.preview(campaign, now())
    preview_seconds, preview_requests = time.perf_counter() - started, dynamodb(counted)
    try:
        launch.launch(campaign, None, by="bench")
    except ConfirmationRequired as required:
        token = str(required.confirmation["token"])
    started = time.perf_counter()
    with calls.measure() as counted:
        launch.launch(campaign, token, by="bench")
        drain(pollers, {"CampaignLaunchFunction"})
    numbers = preview.as_dict()
    numbers["read"] = preview.read
    return campaign.campaign_id, numbers, preview_seconds, time.perf_counter() - started, preview_requests, \
        dynamodb(counted)


class SendClock:
    """The wall time of each SMS handed to the provider (the SNS gateway's send, wrapped)."""

    def __init__(self):
        from odwolaj.adapters import sms

        self.times: list[float] = []
        original = sms.SnsGateway.send

        def timed(gateway, message):
            answer = original(gateway, message)
            self.times.append(time.monotonic())
            return answer

        sms.SnsGateway.send = timed  # type: ignore[method-assign]


def send(pollers, expected: int, invoke: Invoker, calls, clock: SendClock, *,
         timeout: float) -> tuple[list[float], int]:
    """Dispatcher every wall minute, the send queue drained in between, until `expected` SMS went;
    returns each SMS's wall time and the DynamoDB requests made."""
    first = len(clock.times)
    next_tick = time.monotonic()
    deadline = next_tick + timeout
    with calls.measure() as counted:
        while len(clock.times) - first < expected and time.monotonic() < deadline:
            if time.monotonic() >= next_tick:
                invoke("CampaignDispatchFunction", {})
                next_tick += 60
            drain(pollers, {"CampaignSendFunction"})
            time.sleep(0.05)
    return clock.times[first:], dynamodb(counted)


def per_minute(times: list[float], origin: float) -> Counter[int]:
    return Counter(int((t - origin) // 60) for t in times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--rate", type=int, default=3000, help="the facility's campaign SMS a minute")
    parser.add_argument("--provider-rate", type=int, default=100, help="the provider's SMS a second")
    parser.add_argument("--adherence-patients", type=int, default=600)
    parser.add_argument("--adherence-rate", type=int, default=300, help="a rate this machine keeps, a minute")
    args = parser.parse_args()

    calls, server, local = sweep_table.start()
    os.environ["CAMPAIGN_PROVIDER_RATE"] = str(args.provider_rate)
    morning = working_morning()
    set_clock(morning)
    from odwolaj.campaigns import settings as campaign_settings
    from odwolaj.data.models import CampaignMember
    from odwolaj.security.facilities import create_facility

    invoke = Invoker()
    clock = SendClock()
    pollers = [QueuePoller(source, local.client("sqs"), invoke) for source in sources(local)]
    rng = random.Random(16)
    facility_id = create_facility("Przychodnia Benchmark", short_name="Benchmark").facility.facility_id
    history, consents = history_file("B", 600_000_000, args.patients, morning.date(), rng)
    print(f"{args.patients} lapsed patients; sending window opens {morning.isoformat()}")

    base = round_trip(facility_id)
    print(f"baseline: one GetItem round trip to moto {base * 1000:.2f} ms")
    with calls.measure() as counted:
        seconds = import_file(facility_id, "history", "ndjson", history, pollers)
    print(f"import, history  {args.patients:>7} rows ({len(history) / 1e6:.1f} MB) in {seconds:7.1f} s: "
          f"{args.patients / seconds:6.0f} rows/s = {seconds / args.patients / base:.1f} baseline round trips "
          f"a row, {dynamodb(counted) / args.patients:.2f} DynamoDB requests/row, "
          f"{invoke.calls['HistoryImportFunction']} invocations (chunks continued through the queue)")
    base = round_trip(facility_id)
    with calls.measure() as counted:
        seconds = import_file(facility_id, "consents", "csv", consents, pollers)
    print(f"import, consents {args.patients:>7} rows ({len(consents) / 1e6:.1f} MB) in {seconds:7.1f} s: "
          f"{args.patients / seconds:6.0f} rows/s = {seconds / args.patients / base:.1f} baseline round trips "
          f"a row, {dynamodb(counted) / args.patients:.2f} DynamoDB requests/row")

    campaign_settings.save(facility_id, campaign_settings.CampaignSettings(rate_per_minute=args.rate))
    campaign_id, numbers, preview_s, select_s, preview_requests, select_requests = launch_campaign(
        facility_id, pollers, calls)
    print(f"preview: {numbers['read']} index items read, {preview_requests} DynamoDB requests, {preview_s:.1f} s; "
          f"to message {numbers['to_message']}, control {numbers['control']}, excluded {numbers['excluded_total']}")
    print(f"selection: {select_s:.1f} s, {select_requests} DynamoDB requests "
          f"({select_requests / max(numbers['eligible'], 1):.3f} per member), "
          f"{invoke.calls['CampaignLaunchFunction']} jobs")

    expected = numbers["to_message"]
    budget = min(args.rate, args.provider_rate * 60)
    base = round_trip(facility_id)
    times, send_requests = send(pollers, expected, invoke, calls, clock, timeout=expected / (budget / 60) * 3 + 600)
    log = sms_log()
    phones = Counter(phone for phone, _text in log)
    members = list(CampaignMember.by_campaign.query(campaign_id))
    control_messaged = sum(1 for m in members
                           if m.arm == "control" and phones.get(f"+48{600_000_000 + int(m.patient_id[1:]):09d}"))
    span = max(times[-1] - times[0], 1e-9) if times else 0
    minutes = per_minute(times, times[0]) if times else Counter()
    print(f"sending: {len(times)} of {expected} SMS in {span:.0f} s: {len(times) / span:.1f} messages/s against a "
          f"configured {budget / 60:.1f}/s (facility {args.rate}/min, provider {args.provider_rate}/s), "
          f"{span / max(len(times), 1) / base:.1f} baseline round trips ({base * 1000:.2f} ms) a message; "
          f"busiest minute {max(minutes.values(), default=0)} against a budget of {budget}")
    print(f"duplicates: {sum(n - 1 for n in phones.values())} (SMS to one number beyond one); members with touch 1 "
          f"sent {sum(1 for m in members if (m.touch1 or '').startswith('sent'))}; control group messaged "
          f"{control_messaged}")
    print(f"DynamoDB requests per message (dispatcher and sender): {send_requests / max(len(times), 1):.2f}; "
          f"dispatcher invocations {invoke.calls['CampaignDispatchFunction']}, send invocations "
          f"{invoke.calls['CampaignSendFunction']}")

    # Adherence: a rate this machine can keep, on a second facility.
    small = create_facility("Przychodnia Tempo", short_name="Tempo").facility.facility_id
    history, consents = history_file("T", 700_000_000, args.adherence_patients, morning.date(), rng)
    import_file(small, "history", "ndjson", history, pollers)
    import_file(small, "consents", "csv", consents, pollers)
    campaign_settings.save(small, campaign_settings.CampaignSettings(rate_per_minute=args.adherence_rate))
    _campaign, numbers, *_ = launch_campaign(small, pollers, calls)
    times, _ = send(pollers, numbers["to_message"], invoke, calls, clock,
                    timeout=numbers["to_message"] / (args.adherence_rate / 60) * 3 + 300)
    minutes = per_minute(times, times[0])
    seconds = Counter(int(t - times[0]) for t in times)
    full = [minutes[m] for m in sorted(minutes)][:-1] or [len(times)]
    print(f"adherence: {len(times)} SMS at a configured {args.adherence_rate}/min: per minute {full} "
          f"(the last, partial, left out); largest second {max(seconds.values())} "
          f"(a tick's messages spread over its minute by SQS delays)")

    print("peak Python memory in one invocation (tracemalloc, sampled):")
    for function in sorted(invoke.peak):
        print(f"  {function:<26} {invoke.peak[function] / 2**20:7.1f} MiB  ({invoke.calls[function]} invocations, "
              f"{invoke.seconds[function]:.0f} s)")
    print(f"process maximum RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB (moto, "
          "every table and all functions in one process)")
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
