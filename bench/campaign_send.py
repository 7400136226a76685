"""A reactivation campaign at scale on moto: 100,000 lapsed patients imported from an uploaded file,
a campaign previewed, launched and sent at the configured rate through the template's queues.

    python bench/campaign_send.py [--patients 100000] [--rate 3000] [--provider-rate 100]
                                  [--adherence-patients 600] [--adherence-rate 300] [--profile FILE]

Everything runs through the real handlers and the local runner's event-source code
(odwolaj_local.queues: the S3 notification, the import, launch and send queues), one invocation at a
time in this process, like one Lambda container per function. moto runs in the same process
(`mock_aws`, with the runner's own patches to it: serialized writes, no table copies), so no
request crosses HTTP; the AWS side is moto, everything else is the product's code.

Time: the import, preview and selection run on the wall clock (the domain's clock starts at 9:00
Warsaw time on the next working day, so the sending window is open, and runs on). Sending runs in
simulated time: the dispatcher is invoked once a simulated minute, as its schedule would, and the
clock then steps second by second through that minute, the send queue drained at each second. The
same clock is SQS's (moto's delays and visibility), so a message the dispatcher delayed by d
seconds is received, checked and sent at tick + d, as in AWS; nobody waits for the configured rate
in wall time. Printed:

- import: rows per second of the history and of the consents file (each imported in chunks through
  its S3 event and queue), DynamoDB requests per row, the longest invocation against the function's
  timeout;
- preview and selection: wall time, index items read, DynamoDB requests;
- sending: the schedule the system produced (simulated send times: messages per second over the
  campaign, the busiest second and minute) against the configured rate; the send path's real
  throughput (messages per CPU second of the dispatcher and sender invocations, moto's share
  included); duplicates (SMS per number beyond one); DynamoDB requests per message;
- adherence: a second facility at a lower rate, per minute against its budget;
- memory: each function's peak Python allocation in an invocation (tracemalloc, every 20th
  invocation and the first; moto's allocations in the same call included) and the process's
  maximum RSS;
- baseline: the wall time of one DynamoDB GetItem of a facility through the same moto (the cheapest
  request there is), measured at the start and again before each figure it divides; a row imported
  and a message sent are quoted as a ratio to it, which holds on a noisy machine where the absolute
  rates do not.

moto answers an index query by walking the whole table in Python: the dispatcher's one query per
tick and the preview's per shard grow with the tables (DynamoDB's do not); the request counts are
what DynamoDB would be asked.
"""
from __future__ import annotations

import argparse
import cProfile
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

import aws_calls
from odwolaj.core.clock import WARSAW
from odwolaj.core.workdays import is_working_day
from odwolaj_local.aws import FAKE_CREDENTIALS, LocalAws
from odwolaj_local.lambdas import FakeLambdaContext, load_handler
from odwolaj_local.queues import QueuePoller, sources
from odwolaj_local.template import application

ACCOUNT, REGION = "123456789012", "eu-central-1"
SQS_ENDPOINT = f"https://sqs.{REGION}.amazonaws.com"  # moto's queue URLs: {endpoint}/{account}/{name}
SAMPLE_EVERY = 20


class InProcessAws(LocalAws):
    """The runner's AWS (the template's tables, queues, bucket, secrets) in moto's in-process mock:
    clients on AWS's own endpoints, which mock_aws answers without a socket."""

    def client(self, service: str):
        import boto3

        if service not in self._clients:
            self._clients[service] = boto3.client(service, region_name=REGION)
        return self._clients[service]

    def process_environment(self) -> dict[str, str]:
        return {**FAKE_CREDENTIALS, "ODWOLAJ_LOCAL": "1"}


def start():
    """(call counter, InProcessAws) with the template's resources and the functions' environment."""
    calls = aws_calls.install()  # before any client exists
    from moto import mock_aws

    from odwolaj_local import cognito
    from odwolaj_local.aws import serialize_dynamodb_writes

    mock_aws().start()
    serialize_dynamodb_writes()
    cognito.install_patch()
    local = InProcessAws(endpoint=SQS_ENDPOINT, public_base_url="https://odw.pl")
    for function in local.app.functions:
        os.environ.update(local.function_environment(function))
    os.environ.pop("AWS_ENDPOINT_URL", None)
    local.create_resources()
    return calls, local


class SimulatedClock:
    """One clock for the domain (odwolaj.core.clock) and for moto's SQS (delays, visibility): it
    runs with the wall clock from `start` until frozen, then moves only when set."""

    def __init__(self, start: datetime):
        import moto.sqs.models as sqs_models

        import odwolaj.core.clock as domain_clock

        self._offset = start.timestamp() - time.time()
        self._frozen: float | None = None
        clock = self

        class Simulated(datetime):
            @classmethod
            def now(cls, tz=None):  # type: ignore[override]
                moment = datetime.fromtimestamp(clock.epoch(), timezone.utc)
                return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)

        domain_clock.datetime = Simulated  # type: ignore[misc]
        sqs_models.unix_time = self.epoch  # type: ignore[assignment]
        sqs_models.unix_time_millis = lambda *_: self.epoch() * 1000  # type: ignore[assignment]

    def epoch(self) -> float:
        return self._frozen if self._frozen is not None else time.time() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.epoch(), timezone.utc)

    def freeze(self, moment: datetime) -> None:
        self._frozen = moment.timestamp()


class Invoker:
    """Invokes handlers one at a time: each function's invocations, wall and CPU seconds, longest
    invocation, and sampled peak traced memory."""

    def __init__(self):
        self.calls: Counter[str] = Counter()
        self.peak: dict[str, int] = defaultdict(int)
        self.seconds: Counter[str] = Counter()
        self.cpu: Counter[str] = Counter()
        self.longest: dict[str, float] = defaultdict(float)

    def __call__(self, function: str, event: dict):
        sample = self.calls[function] % SAMPLE_EVERY == 0
        self.calls[function] += 1
        if sample:
            tracemalloc.start()
        started, cpu = time.perf_counter(), time.process_time()
        try:
            return load_handler(function)(event, FakeLambdaContext(function))
        finally:
            took = time.perf_counter() - started
            self.seconds[function] += took
            self.cpu[function] += time.process_time() - cpu
            self.longest[function] = max(self.longest[function], took)
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


def by_operation(counted) -> dict[str, int]:
    ops: Counter[str] = Counter()
    for (service, operation, _table), n in counted.items():
        if service == "dynamodb":
            ops[operation] += n
    return dict(ops.most_common())


def working_morning() -> datetime:
    day = datetime.now(WARSAW).date() + timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, clock_time(9, 0), WARSAW)


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
    assert requests.put(url, data=body, timeout=300).status_code == 200  # mock_aws answers requests too
    drain(pollers, {"HistoryImportFunction"})
    seconds = time.perf_counter() - started
    done = imports.get(facility_id, job.import_id)
    assert done.status == "done", (done.status, done.failure)
    assert int(done.accepted) == body.count(b"\n") - (fmt == "csv"), (done.accepted, done.rejected)
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
    """Each SMS handed to the provider (the SNS gateway's send, wrapped): its simulated time; and
    the send time the dispatcher assigned each release (its tick plus the SQS delay)."""

    def __init__(self, clock: SimulatedClock):
        from odwolaj.adapters import queues, sms

        self.times: list[float] = []
        self.assigned: list[float] = []
        send, send_batch = sms.SnsGateway.send, queues.send_batch

        def timed(gateway, message):
            answer = send(gateway, message)
            self.times.append(clock.epoch())
            return answer

        def scheduled(env_var, messages):
            accepted = send_batch(env_var, messages)
            if env_var == "CAMPAIGN_SEND_QUEUE_URL":
                self.assigned += [clock.epoch() + m.delay_seconds for m in messages[:accepted]]
            return accepted

        sms.SnsGateway.send = timed  # type: ignore[method-assign]
        queues.send_batch = scheduled  # type: ignore[assignment]


def send(pollers, expected: int, invoke: Invoker, calls, sent: SendClock, clock: SimulatedClock,
         start_at: datetime) -> tuple[list[float], list[float], dict, float, datetime]:
    """From `start_at`, a dispatcher tick each simulated minute and the send queue drained at each
    second of it, until `expected` SMS went (or an hour of simulated time passed without one);
    returns the SMS' simulated times, the assigned times, the DynamoDB requests by operation, the
    wall seconds, and the simulated time it stopped at."""
    first, assigned_first = len(sent.times), len(sent.assigned)
    at, idle_until = start_at, start_at + timedelta(hours=1)
    wall = time.perf_counter()
    with calls.measure() as counted:
        while len(sent.times) - first < expected and at < idle_until:
            before = len(sent.times)
            clock.freeze(at)
            invoke("CampaignDispatchFunction", {})
            for second in range(60):
                clock.freeze(at + timedelta(seconds=second))
                drain(pollers, {"CampaignSendFunction"})
            at += timedelta(minutes=1)
            if len(sent.times) > before:
                idle_until = at + timedelta(hours=1)
    return (sent.times[first:], sent.assigned[assigned_first:], dict(counted),
            time.perf_counter() - wall, at)


def rate_figures(times: list[float]) -> tuple[float, int, int, list[int]]:
    """(messages a second from the first to the last second, busiest second, busiest minute from
    the first, the full minutes' counts)."""
    if not times:
        return 0.0, 0, 0, []
    origin = min(times)
    seconds = Counter(int(t - origin) for t in times)
    minutes = Counter(int((t - origin) // 60) for t in times)
    span = max(seconds) + 1
    full = [minutes[m] for m in sorted(minutes)][:-1] or [len(times)]
    return len(times) / span, max(seconds.values()), max(minutes.values()), full


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--rate", type=int, default=3000, help="the facility's campaign SMS a minute")
    parser.add_argument("--provider-rate", type=int, default=100, help="the provider's SMS a second")
    parser.add_argument("--adherence-patients", type=int, default=600)
    parser.add_argument("--adherence-rate", type=int, default=300, help="a second facility's rate, a minute")
    parser.add_argument("--profile", help="write a cProfile of the whole run to this file")
    args = parser.parse_args()
    profile = cProfile.Profile() if args.profile else None
    if profile:
        profile.enable()
    try:
        return run(args)
    finally:
        if profile:
            profile.disable()
            profile.dump_stats(args.profile)


def run(args) -> int:
    wall_started = time.perf_counter()
    calls, local = start()
    os.environ["CAMPAIGN_PROVIDER_RATE"] = str(args.provider_rate)
    morning = working_morning()
    clock = SimulatedClock(morning)
    from odwolaj.campaigns import settings as campaign_settings
    from odwolaj.data.models import CampaignMember
    from odwolaj.security.facilities import create_facility

    invoke = Invoker()
    sent = SendClock(clock)
    pollers = [QueuePoller(source, local.client("sqs"), invoke) for source in sources(local)]
    rng = random.Random(16)
    facility_id = create_facility("Przychodnia Benchmark", short_name="Benchmark").facility.facility_id
    history, consents = history_file("B", 600_000_000, args.patients, morning.date(), rng)
    print(f"{args.patients} lapsed patients; domain clock starts {morning.isoformat()}; moto in process", flush=True)

    base = round_trip(facility_id)
    print(f"baseline: one GetItem round trip to moto {base * 1000:.2f} ms", flush=True)
    timeout = application().functions["HistoryImportFunction"].timeout
    for kind, fmt, body in (("history", "ndjson", history), ("consents", "csv", consents)):
        base = round_trip(facility_id)
        invocations, longest = invoke.calls["HistoryImportFunction"], invoke.longest["HistoryImportFunction"]
        invoke.longest["HistoryImportFunction"] = 0.0
        with calls.measure() as counted:
            seconds = import_file(facility_id, kind, fmt, body, pollers)
        print(f"import, {kind:<8} {args.patients:>7} rows ({len(body) / 1e6:.1f} MB) in {seconds:7.1f} s: "
              f"{args.patients / seconds:6.0f} rows/s = {seconds / args.patients / base:.1f} baseline round trips "
              f"a row (baseline {base * 1000:.2f} ms); {dynamodb(counted) / args.patients:.2f} DynamoDB requests/row "
              f"{by_operation(counted)}; {invoke.calls['HistoryImportFunction'] - invocations} invocations, the "
              f"longest {invoke.longest['HistoryImportFunction']:.0f} s of a {timeout} s timeout", flush=True)
        invoke.longest["HistoryImportFunction"] = max(longest, invoke.longest["HistoryImportFunction"])

    campaign_settings.save(facility_id, campaign_settings.CampaignSettings(rate_per_minute=args.rate))
    campaign_id, numbers, preview_s, select_s, preview_requests, select_requests = launch_campaign(
        facility_id, pollers, calls)
    print(f"preview: {numbers['read']} index items read, {preview_requests} DynamoDB requests, {preview_s:.1f} s; "
          f"to message {numbers['to_message']}, control {numbers['control']}, excluded {numbers['excluded_total']}",
          flush=True)
    print(f"selection: {select_s:.1f} s, {select_requests} DynamoDB requests "
          f"({select_requests / max(numbers['eligible'], 1):.3f} per member), "
          f"{invoke.calls['CampaignLaunchFunction']} jobs", flush=True)

    expected = numbers["to_message"]
    budget = min(args.rate, args.provider_rate * 60)
    base = round_trip(facility_id)
    start_at = (clock.now() + timedelta(minutes=1)).replace(second=0, microsecond=0)
    cpu_before = invoke.cpu["CampaignDispatchFunction"] + invoke.cpu["CampaignSendFunction"]
    wall_before = invoke.seconds["CampaignDispatchFunction"] + invoke.seconds["CampaignSendFunction"]
    times, assigned, counted, wall, end_at = send(pollers, expected, invoke, calls, sent, clock, start_at)
    cpu = invoke.cpu["CampaignDispatchFunction"] + invoke.cpu["CampaignSendFunction"] - cpu_before
    handler_wall = invoke.seconds["CampaignDispatchFunction"] + invoke.seconds["CampaignSendFunction"] - wall_before
    log = sms_log()
    phones = Counter(phone for phone, _text in log)
    members = list(CampaignMember.by_campaign.query(campaign_id))
    control_messaged = sum(1 for m in members
                           if m.arm == "control" and phones.get(f"+48{600_000_000 + int(m.patient_id[1:]):09d}"))
    per_second, busiest_second, busiest_minute, _full = rate_figures(times)
    plan_per_second, plan_second, plan_minute, _ = rate_figures(assigned)
    requests_sent = sum(counted.values()) if counted else 0
    print(f"sending: {len(times)} of {expected} SMS in {(max(times) - min(times)) / 60 if times else 0:.1f} simulated "
          f"minutes ({start_at:%H:%M}-{end_at:%H:%M} UTC): {per_second:.1f} messages/s against a configured "
          f"{budget / 60:.1f}/s (facility {args.rate}/min, provider {args.provider_rate}/s); busiest second "
          f"{busiest_second} (configured {budget / 60:.1f}), busiest minute {busiest_minute} (budget {budget})",
          flush=True)
    print(f"schedule the dispatcher assigned (tick + SQS delay): {len(assigned)} releases, {plan_per_second:.1f}/s, "
          f"busiest second {plan_second}, busiest minute {plan_minute}", flush=True)
    print(f"send path throughput: {len(times) / max(cpu, 1e-9):.1f} messages per CPU second of the dispatcher and "
          f"sender invocations ({cpu:.0f} CPU s, {handler_wall:.0f} wall s in handlers, {wall:.0f} wall s with the "
          f"poller); {handler_wall / max(len(times), 1) / base:.1f} baseline round trips ({base * 1000:.2f} ms) a "
          "message", flush=True)
    print(f"duplicates: {sum(n - 1 for n in phones.values())} (SMS to one number beyond one); members with touch 1 "
          f"sent {sum(1 for m in members if (m.touch1 or '').startswith('sent'))}; control group messaged "
          f"{control_messaged}", flush=True)
    print(f"DynamoDB requests per message (dispatcher and sender): {dynamodb(counted) / max(len(times), 1):.2f} "
          f"{by_operation(counted)}; all AWS requests per message {requests_sent / max(len(times), 1):.2f}; "
          f"dispatcher invocations {invoke.calls['CampaignDispatchFunction']}, send invocations "
          f"{invoke.calls['CampaignSendFunction']}", flush=True)

    if args.adherence_patients:
        # Adherence: a second facility at a lower rate, sent after the first campaign is done.
        small = create_facility("Przychodnia Tempo", short_name="Tempo").facility.facility_id
        history, consents = history_file("T", 700_000_000, args.adherence_patients, morning.date(), rng)
        import_file(small, "history", "ndjson", history, pollers)
        import_file(small, "consents", "csv", consents, pollers)
        campaign_settings.save(small, campaign_settings.CampaignSettings(rate_per_minute=args.adherence_rate))
        _campaign, numbers, *_ = launch_campaign(small, pollers, calls)
        start_at = max(end_at, (clock.now() + timedelta(minutes=1)).replace(second=0, microsecond=0))
        times, *_ = send(pollers, numbers["to_message"], invoke, calls, sent, clock, start_at)
        per_second, busiest_second, _minute, full = rate_figures(times)
        print(f"adherence: {len(times)} SMS at a configured {args.adherence_rate}/min: per minute {full} "
              f"(the last, partial, left out); busiest second {busiest_second}", flush=True)

    print("per function (tracemalloc peak sampled; moto's allocations in the call included):")
    for function in sorted(invoke.calls):
        print(f"  {function:<26} {invoke.peak[function] / 2**20:7.1f} MiB  ({invoke.calls[function]} invocations, "
              f"{invoke.seconds[function]:.0f} s wall, {invoke.cpu[function]:.0f} s CPU, longest "
              f"{invoke.longest[function]:.1f} s)")
    print(f"process maximum RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB (moto, "
          f"every table and all functions in one process); whole run {time.perf_counter() - wall_started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
