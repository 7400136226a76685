"""The outcome dashboard's cost: DynamoDB requests and items read per load of /panel (and per
GET /api/v1/stats) for a facility with 1,000 and with 100,000 visits in a 30-day period, against a
baseline measured in the same run: reading the period's visits (the Query a dashboard computed from
the records would need).

    python bench/console_dashboard.py [--visits 1000 100000] [--days 30]

Each facility's month of events (bookings, reminders, confirmations, cancellations with their
freed slots, offers and fills, outcomes) is counted by the statistics' own code
(odwolaj.stats.counting, through the backfill's in-memory Tally) and written as the day items the
consumer keeps: counting 400,000 events one transaction each on moto would take an hour and give
the same items, which the run checks on a sample (the live consumer against the tally). The load
itself is the real thing: the console's handler, a signed-in session, moto with the template's
tables. Requests are counted with botocore's hooks; items are those DynamoDB returned.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from functools import partial
from pathlib import Path

import aws_calls
from odwolaj_local.aws import LocalAws, reset_moto, start_moto

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' helpers

SERVICES = [("Poradnia kardiologiczna", "dr Anna Nowak"), ("Poradnia okulistyczna", "dr Piotr Zieliński"),
            ("Poradnia dermatologiczna", "dr Ewa Wójcik"), ("Poradnia ortopedyczna", "dr Marek Lewandowski")]


def month_of_events(facility_id: str, visits: int, first: date, days: int, seed: int = 7):
    """(detail-type, detail) of `visits` visits spread over the period, as the live system emits them."""
    from odwolaj.core.clock import WARSAW, iso

    rng = random.Random(seed)
    number = 0

    def event(kind: str, at: datetime, data: dict) -> tuple[str, dict]:
        nonlocal number
        number += 1
        return kind, {"schema_version": 1, "event_id": f"bench:{number}", "occurred_at": iso(at),
                      "facility_id": facility_id, "data": data}

    for n in range(visits):
        service, specialist = SERVICES[n % len(SERVICES)]
        day = first + timedelta(days=n % days)
        starts = datetime.combine(day, time(8 + n % 10, 0), WARSAW)
        data = {"starts_at": iso(starts), "service": service, "specialist": specialist, "status": "booked"}
        yield event("AppointmentBooked", starts - timedelta(days=10), data)
        yield event("ReminderSent", starts - timedelta(days=1), data)
        roll = rng.random()
        if roll < 0.12:
            at = starts - timedelta(hours=rng.choice((3, 20, 50, 120, 200)))
            yield event("AppointmentCancelled", at, {**data, "channel": rng.choice(("web", "sms", "reception")),
                                                     "reason": "cannot_attend", "lead_time_minutes": 600})
            slot = {**data, "slot_id": f"slot-{n}"}
            yield event("SlotFreed", at, slot)
            yield event("SlotOffered", at + timedelta(minutes=1), {**slot, "minutes_since_freed": 1})
            if roll < 0.08:
                yield event("SlotFilled", at + timedelta(minutes=20), {**slot, "minutes_to_fill": 20,
                                                                         "offers_made": 2})
            continue
        if roll < 0.6:
            yield event("AppointmentConfirmed", starts - timedelta(hours=20), {**data, "status": "confirmed"})
        yield event("AppointmentNoShow" if roll > 0.96 else "AppointmentAttended", starts + timedelta(minutes=30),
                    data)


def seed(facility_id: str, visits: int, first: date, days: int) -> int:
    from odwolaj.stats.rebuild import Tally, write_tally

    tally = Tally()
    events = 0
    for detail_type, detail in month_of_events(facility_id, visits, first, days):
        tally.add(detail_type, detail)
        events += 1
    write_tally(facility_id, tally)
    return events


def the_tally_is_what_the_consumer_keeps(first: date, days: int) -> None:
    """The live consumer and the tally give the same day items for the same events (a sample)."""
    from odwolaj.adapters import items
    from odwolaj.core.config import table_name
    from odwolaj.stats import store
    from odwolaj.stats.rebuild import Tally

    sample = list(month_of_events("fac_live", 150, first, days, seed=3))
    for detail_type, detail in sample:
        store.record_event(detail_type, detail)
    tally = Tally()
    for detail_type, detail in month_of_events("fac_live", 150, first, days, seed=3):
        tally.add(detail_type, detail)
    live = {i["sk"]: {k: v for k, v in i.items() if k not in ("pk", "sk")}
            for i in items.partition(table_name("STATS_TABLE"), "pk", "fac_live") if i["sk"] != "standing"}
    counted = {sk: {k: (sorted(v) if isinstance(v, list) else v) for k, v in c.items()}
               for sk, c in tally.items.items() if sk != "standing"}
    live = {sk: {k: (sorted(v) if isinstance(v, list) else v) for k, v in c.items()} for sk, c in live.items()}
    assert live == counted, "the tally and the live consumer disagree"


class ItemsRead:
    """Items DynamoDB returned (Query Items, GetItem Item), counted with botocore's after-call hook."""

    def __init__(self):
        self.count = 0
        import botocore.session

        create = botocore.session.Session.create_client
        reader = self

        def counted(self, *args, **kwargs):
            client = create(self, *args, **kwargs)
            client.meta.events.register("after-call.dynamodb", reader._after)
            return client

        botocore.session.Session.create_client = counted

    def _after(self, parsed, model, **_kwargs) -> None:
        if model.name == "Query":
            self.count += len(parsed.get("Items", []))
        elif model.name == "GetItem" and "Item" in parsed:
            self.count += 1
        elif model.name == "BatchGetItem":
            self.count += sum(len(v) for v in parsed.get("Responses", {}).values())


def measure(calls, reader, action) -> tuple[int, int, Counter]:
    before = reader.count
    with calls.measure() as counted:
        action()
    dynamodb = Counter()
    for (service, op, _table), n in counted.items():
        if service == "dynamodb":
            dynamodb[op] += n
    return sum(dynamodb.values()), reader.count - before, dynamodb


@contextmanager
def template_on_moto() -> Iterator[None]:
    """moto in server mode with the template's tables, every function's environment set, for the block."""
    server, endpoint = start_moto()
    try:
        reset_moto(endpoint)
        local = LocalAws(endpoint=endpoint, public_base_url="https://odw.pl")
        local.create_resources()
        for function in local.app.functions:
            os.environ.update(local.function_environment(function))
        yield
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, nargs="+", default=[1000, 100000])
    parser.add_argument("--days", type=int, default=30)
    args = parser.parse_args()
    calls, reader = aws_calls.install(), ItemsRead()
    with template_on_moto():
        from odwolaj.core.clock import WARSAW, now

        today = now().astimezone(WARSAW).date()
        first = today - timedelta(days=args.days - 1)
        the_tally_is_what_the_consumer_keeps(first, args.days)
        print(f"Dashboard load (GET /panel, {args.days} days, whole facility) and GET /api/v1/stats; baseline: "
              "a Query of the period's visits (by_facility_start), every page")
        print(f"{'visits':>8}{'events':>9}{'panel req':>11}{'panel items':>13}{'api req':>9}{'api items':>11}"
              f"{'baseline req':>14}{'baseline items':>16}")
        for size in args.visits:
            row, ops = one_facility(calls, reader, size, first, today, args.days)
            print(row)
            print(f"{'':>8} panel requests by operation: {ops}")
        print("Items per load are day items (one per day with events, per scope), the standing item and the "
              "facility: the same for 1,000 and 100,000 visits. The baseline reads every visit (it is only "
              "measured up to 10,000 visits: loading 100,000 appointments into moto takes long).")
    return 0


def _invoke(function: str, event: dict) -> None:
    from odwolaj_local.lambdas import FakeLambdaContext, load_handler

    answer = load_handler(function)(event, FakeLambdaContext(function))
    assert answer["statusCode"] == 200, answer["body"][:300]


def _visits_in(facility_id: str, first: date, last: date) -> int:
    from datetime import timezone

    from odwolaj.core.clock import WARSAW
    from odwolaj.data.models import Appointment

    start = datetime.combine(first, time(), WARSAW).astimezone(timezone.utc).isoformat()
    end = datetime.combine(last + timedelta(days=1), time(), WARSAW).astimezone(timezone.utc).isoformat()
    return sum(1 for _ in Appointment.by_facility_start.query(facility_id, Appointment.starts_at.between(start, end)))


def one_facility(calls, reader, size: int, first: date, today: date, days: int) -> tuple[str, dict]:
    """A facility with `size` visits in the period: its row of the table, and the panel's requests."""
    from odwolaj.adapters import cognito
    from odwolaj.security import sessions
    from odwolaj.security.facilities import create_facility
    from odwolaj_local.apigw import build_event, match
    from odwolaj_local.template import application

    created = create_facility(f"Przychodnia {size}")
    facility_id = created.facility.facility_id
    events = seed(facility_id, size, first, days)
    user = cognito.User("bench", "bench-sub", "kierownik@bench.pl", facility_id, "manager", True, True)
    cookie, _session = sessions.open_session(user)
    route, params = match(application().routes, "GET", "/panel")
    panel = build_event(route, params, "GET", "/panel", query=f"od={first}&do={today}",
                        headers={"host": "odw.pl", "cookie": f"__Host-odwolaj-panel={cookie}"})
    route, params = match(application().routes, "GET", "/api/v1/stats")
    api = build_event(route, params, "GET", "/api/v1/stats", query=f"from={first}&to={today}",
                      headers={"authorization": f"Bearer {created.api_key}"})
    load_panel, load_api = partial(_invoke, "ConsoleFunction", panel), partial(_invoke, "ClinicApiFunction", api)
    load_panel(), load_api()  # warm: clients built, the link secret read once
    panel_req, panel_items, panel_ops = measure(calls, reader, load_panel)
    api_req, api_items, _ = measure(calls, reader, load_api)
    baseline = "–", "–"
    if size <= 10000:
        _write_visits(facility_id, size, first, days)
        req, items_read, _ = measure(calls, reader, partial(_visits_in, facility_id, first, today))
        baseline = str(req), str(items_read)
    return (f"{size:>8}{events:>9}{panel_req:>11}{panel_items:>13}{api_req:>9}{api_items:>11}"
            f"{baseline[0]:>14}{baseline[1]:>16}"), dict(panel_ops)


def _write_visits(facility_id: str, visits: int, first: date, days: int) -> None:
    """The period's visits as appointment items (for the baseline's Query only)."""
    from odwolaj.core.clock import WARSAW, iso
    from odwolaj.data.models import Appointment

    with Appointment.batch_write() as batch:
        for n in range(visits):
            starts = datetime.combine(first + timedelta(days=n % days), time(8 + n % 10), WARSAW)
            batch.save(Appointment(appointment_id=f"{n:016x}", facility_id=facility_id, external_id=f"B-{n}",
                                   patient_id=f"P-{n}", phone="+48600000000", starts_at=iso(starts),
                                   service=SERVICES[n % 4][0], status="attended", visit_code="BENCH0000",
                                   created_at=iso(starts), updated_at=iso(starts)))


if __name__ == "__main__":
    sys.exit(main())
