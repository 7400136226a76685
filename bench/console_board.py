"""Today's board's cost: DynamoDB requests and items read per load of /panel/dzis for a facility
whose appointments table holds 1,000 and 10,000 visits (over four months), with the same 80 visits
today and tomorrow and the same freed slots and offers in flight, against a baseline measured in
the same run: a Query of all the facility's visits (what a board that picked the two days out of
them would read).

    python bench/console_board.py [--visits 1000 10000] [--today 80]

The load is the real thing: the console's handler, a signed-in session, moto with the template's
tables. Requests are counted with botocore's hooks; items are those DynamoDB returned.
"""
from __future__ import annotations

import argparse
import sys
from datetime import datetime, time, timedelta
from functools import partial

import aws_calls
from console_dashboard import ItemsRead, measure, template_on_moto

SPREAD_DAYS = 120
SLOTS, OFFERING, WAVE = 5, 2, 3  # freed slots this week, of which being offered, offers in each wave


def seed(facility_id: str, visits: int, today_visits: int) -> None:
    """`today_visits` visits today and tomorrow, the rest spread over the months around them; the
    week's freed slots, OFFERING of them with a wave of WAVE offers to waiting patients."""
    from odwolaj.core.clock import WARSAW, iso, now
    from odwolaj.data.models import Appointment, FreedSlot, Offer
    from odwolaj.reserve import entries
    from odwolaj.reserve.entries import EntryInput
    from tests.reserve_helpers import entry_payload

    today = now().astimezone(WARSAW).date()
    others = [d for d in range(-SPREAD_DAYS // 2, SPREAD_DAYS // 2) if d not in (0, 1)]
    with Appointment.batch_write() as batch:
        for n in range(visits):
            day = today + timedelta(days=n % 2 if n < today_visits else others[n % len(others)])
            starts = datetime.combine(day, time(8 + n % 10, (n * 7) % 60), WARSAW)
            batch.save(Appointment(appointment_id=f"{facility_id}-{n:08d}", facility_id=facility_id,
                                   external_id=f"B-{n}", patient_id=f"P-{n}", phone="+48600000000",
                                   starts_at=iso(starts), service="Poradnia kardiologiczna", status="booked",
                                   visit_code="BENCH0000", created_at=iso(starts), updated_at=iso(starts)))
    waiting = [entries.join(facility_id, EntryInput.from_payload(entry_payload(n, referral=f"{facility_id}-{n}")))
               for n in range(1, WAVE + 1)]
    at = now()
    with FreedSlot.batch_write() as slots, Offer.batch_write() as offers:
        for s in range(SLOTS):
            slot_id = f"{facility_id}-slot-{s}"
            wave = {f"{slot_id}-{e.entry_id}" for e in waiting} if s < OFFERING else None
            slots.save(FreedSlot(slot_id=slot_id, facility_id=facility_id,
                                 starts_at=iso(datetime.combine(today + timedelta(days=1 + s), time(10), WARSAW)),
                                 duration_minutes=15, service="Poradnia kardiologiczna", source="cancellation",
                                 freed_at=iso(at), status="offering" if wave else "filled", wave_offers=wave))
            for entry in waiting if wave else ():
                offers.save(Offer(offer_id=f"{slot_id}-{entry.entry_id}", slot_id=slot_id, entry_id=entry.entry_id,
                                  facility_id=facility_id, wave=1, status="open", offered_at=iso(at),
                                  hold_until=iso(at + timedelta(minutes=10)), expires_at=int(at.timestamp()) + 86400))


def show_board(event: dict) -> None:
    from odwolaj_local.lambdas import FakeLambdaContext, load_handler

    answer = load_handler("ConsoleFunction")(event, FakeLambdaContext("ConsoleFunction"))
    assert answer["statusCode"] == 200 and "Dziś i jutro" in answer["body"], answer["body"][:300]


def all_visits(facility_id: str) -> int:
    """The baseline: every visit of the facility, to pick the two days out of them."""
    from odwolaj.data.models import Appointment

    return sum(1 for _ in Appointment.by_facility_start.query(facility_id))


def one_facility(calls, reader, size: int, today_visits: int) -> str:
    from odwolaj.adapters import cognito
    from odwolaj.security import sessions
    from odwolaj.security.facilities import create_facility
    from odwolaj_local.apigw import build_event, match
    from odwolaj_local.template import application

    facility_id = create_facility(f"Przychodnia {size}").facility.facility_id
    seed(facility_id, size, today_visits)
    user = cognito.User("bench", "bench-sub", "rejestracja@bench.pl", facility_id, "reception", False, True)
    cookie, _session = sessions.open_session(user)
    route, params = match(application().routes, "GET", "/panel/dzis")
    board = build_event(route, params, "GET", "/panel/dzis",
                        headers={"host": "odw.pl", "cookie": f"__Host-odwolaj-panel={cookie}"})
    load = partial(show_board, board)
    load()  # warm: clients built, the link secret read once
    requests, items, ops = measure(calls, reader, load)
    base_requests, base_items, _ = measure(calls, reader, partial(all_visits, facility_id))
    return (f"{size:>8}{today_visits:>8}{requests:>11}{items:>13}{base_requests:>14}{base_items:>16}"
            f"   {dict(ops)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--today", type=int, default=80, help="visits today and tomorrow")
    args = parser.parse_args()
    calls, reader = aws_calls.install(), ItemsRead()
    with template_on_moto():
        print(f"Today's board (GET /panel/dzis): {args.today} visits today and tomorrow, {SLOTS} freed slots this "
              f"week, {OFFERING} with {WAVE} offers in flight; baseline: a Query of all the facility's visits")
        print(f"{'visits':>8}{'2 days':>8}{'board req':>11}{'board items':>13}{'baseline req':>14}"
              f"{'baseline items':>16}   board requests by operation")
        for size in args.visits:
            print(one_facility(calls, reader, size, args.today))
        print("Board items: the two days' visits, the week's slots, the offers in flight and their entries, the "
              "session: the same whatever the table holds. The baseline reads every visit of the facility.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
