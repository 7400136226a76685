"""The outcome statistics against moto: the domain's real events, delivered to the statistics
consumer as EventBridge delivers them, counted once each, in any order, and read back as the
dashboard's figures."""
from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest
from pynamodb.exceptions import TransactWriteError

from odwolaj.appointments import lifecycle as appointments
from odwolaj.core.clock import now
from odwolaj.data.models import Facility, StatsItem
from odwolaj.reserve import claims, entries, offers
from odwolaj.reserve.entries import EntryInput
from odwolaj.stats import report, store
from odwolaj.stats.counting import local_day
from odwolaj.stats.figures import Period
from tests.conftest import in_days
from tests.reserve_helpers import entry_payload, set_now, warsaw
from tests.stats_helpers import Delivered, deliver, outbox_events


def figures(facility_id: str, first_days: int = -2, last_days: int = 14, **scope):
    today = now().date()
    period = Period(today + timedelta(days=first_days), today + timedelta(days=last_days))
    return report.figures_for(Facility.get(facility_id), period, report.scope_of(**scope))


@pytest.fixture
def facility_id(facility):
    return facility.facility.facility_id


@pytest.fixture
def at_noon(monkeypatch, aws):
    moment = warsaw(1, 11)
    set_now(monkeypatch, moment)
    return moment


def test_a_visit_s_life_is_counted_on_its_day(book, facility_id, clock):
    """Given four visits: one attended, one a no-show, one cancelled 3 days ahead on the page and one
    cancelled by reception 5 hours ahead; When their events reach the consumer; Then the figures
    say so, with the late cancellation under the 24-hour threshold."""
    attended, missed = book(days=2, external_id="A"), book(days=2, external_id="B")
    early, late = book(days=4, external_id="C"), book(days=2, external_id="D")
    appointments.cancel(early, channel="web", reason="feel_better")
    appointments.confirm(attended, channel="sms")
    clock(seconds=(in_days(2) - timedelta(hours=5) - now()).total_seconds())  # D is 5 hours away
    appointments.cancel(appointments.get(late.appointment_id), channel="reception", reason="cannot_attend")
    clock(hours=6)
    appointments.record_outcome(appointments.get(attended.appointment_id), "attended")
    appointments.record_outcome(appointments.get(missed.appointment_id), "no_show")
    deliver(outbox_events())

    found = figures(facility_id, first_days=0)
    h = found.headline
    assert (h.visits_booked, h.cancellations, h.visits_due, h.attended, h.no_shows) == (4, 2, 2, 1, 1)
    assert h.no_show_rate == 0.5 and h.late_cancellations == 1 and h.late_cancellation_rate == 0.25
    assert found.cancellations_by_channel == {"web": 1, "sms": 0, "email": 0, "clinic_api": 0, "reception": 1,
                                              "payment_expired": 0}
    assert found.cancellations_by_reason == {"cannot_attend": 1, "feel_better": 1}
    assert found.cancellation_lead_time["3_7d"] == 1 and sum(found.cancellation_lead_time.values()) == 2
    assert found.confirmed == 1 and found.headline.slots_freed == 2
    assert [day for day in found.weeks] and sum(w.figures.visits_booked for w in found.weeks) == 4


def test_a_redelivered_event_counts_once(book, facility_id):
    visit = book(days=3)
    appointments.cancel(visit, channel="sms")
    events = outbox_events()

    first = deliver(events)
    again = deliver(events + events)

    assert [r["new_contributions"] for r in first] == [1, 1, 1]
    assert all(r["new_contributions"] == 0 for r in again)
    found = figures(facility_id)
    assert (found.headline.visits_booked, found.headline.cancellations, found.headline.slots_freed) == (1, 1, 1)


def test_events_in_any_order_give_the_same_figures(book, facility_id, clock):
    """Given a visit booked, confirmed, moved to another day (so unconfirmed), confirmed again and
    then cancelled; When the events arrive shuffled; Then every figure is as in order."""
    visit = book(days=3)
    appointments.confirm(visit, channel="web")
    moved = book(days=5)  # same external id: a move
    appointments.confirm(moved, channel="sms")
    appointments.cancel(appointments.get(visit.appointment_id), channel="web", reason="cannot_attend")
    events = outbox_events()
    assert len(events) == 6
    random.Random(7).shuffle(events)
    deliver(events)

    found = figures(facility_id)
    h = found.headline
    assert (h.visits_booked, h.cancellations, h.visits_due, found.confirmed) == (1, 1, 0, 0)
    by_day = {item["sk"]: item for item in store.read_days(facility_id, "all", now().date(),
                                                            now().date() + timedelta(days=10))}
    third = f"all#{local_day(now() + timedelta(days=3)).isoformat()}"
    assert by_day[third].get("booked", 0) == 0  # moved away: +1 and -1 on the first day


def test_a_service_filter_reads_its_own_days(book, facility_id):
    book(days=3, external_id="K1")
    book(days=3, external_id="O1", service="Poradnia okulistyczna", specialist="dr Piotr Zieliński")
    deliver(outbox_events())

    assert figures(facility_id).headline.visits_booked == 2
    assert figures(facility_id, service="Poradnia okulistyczna").headline.visits_booked == 1
    assert figures(facility_id, specialist="dr Anna Nowak").headline.visits_booked == 1
    assert set(figures(facility_id).services) == {"Poradnia kardiologiczna", "Poradnia okulistyczna"}


def test_a_failed_write_counts_nothing_and_the_retry_counts_once(book, facility_id, monkeypatch):
    """Given the transaction that counts an event fails (throttled); Then the consumer raises (so
    Lambda retries), nothing was counted, and the retry counts it once."""
    book(days=3)
    [event] = outbox_events()
    from odwolaj.core import transactions

    real = transactions.transact

    def throttled(write):
        raise TransactWriteError("throttled", cause=None)

    monkeypatch.setattr(transactions, "transact", throttled)
    with pytest.raises(TransactWriteError):
        deliver([event])
    assert figures(facility_id).headline.visits_booked == 0
    monkeypatch.setattr(transactions, "transact", real)
    deliver([event, event])
    assert figures(facility_id).headline.visits_booked == 1


def test_slot_recovery_and_the_waiting_list(book, facility_id, at_noon, clock):
    """Given two waiting patients and a visit cancelled two days ahead; the first patient takes the
    offered slot; When the events are counted; Then the funnel, the time to fill and the waiting
    list say so, and the second patient is still waiting."""
    joined = [entries.join(facility_id, EntryInput.from_payload(entry_payload(n, category=c)))
              for n, c in ((1, "pilny"), (2, "stabilny"))]
    visit = book(external_id="HIS-9", starts_at=warsaw(3, 10).isoformat(), phone="600 999 999", patient_id="P-9")
    appointments.cancel(visit, channel="web", reason="cannot_attend")
    offers.offer_freed_slot(visit.appointment_id)
    clock(minutes=12)
    [offer] = [o for o in offers.Offer.scan() if o.entry_id == joined[0].entry_id]
    assert claims.accept(offer, channel="sms").answer == claims.Answer.ACCEPTED
    entries.strike_off(entries.get(facility_id, joined[1].entry_id), "patient_resigned")
    deliver(outbox_events())

    found = figures(facility_id, first_days=-1, last_days=5)
    assert (found.headline.slots_freed, found.slots_offered, found.headline.slots_filled) == (1, 1, 1)
    # The first wave asks both waiting patients at once (odwolaj.reserve.strategy): two offers, one fill.
    assert found.headline.fill_rate == 1.0 and found.offers_sent == 2 and found.offers_per_fill == 2
    assert found.fill_by_lead_time["1_3d"] == {"freed": 1, "offered": 1, "filled": 1, "fill_rate": 1.0}
    assert 11.9 <= found.median_minutes_to_fill <= 12.1
    assert found.waiting_list_joined == {"entitled": 0, "pilny": 1, "stabilny": 1}
    assert found.struck_off["patient_resigned"] == 1 and found.left_with_visit == 1
    assert found.waiting_now["total"] == 0  # one took the slot, the other resigned
    # The booking the offer made is a visit of its day too.
    assert found.headline.visits_booked == 2


def test_recovered_value_uses_the_service_s_value(book, facility_id, at_noon):
    Facility(facility_id).update(actions=[Facility.stats_settings.set(
        {"late_cancellation_hours": 24, "visit_value": 15000, "service_values": {"Poradnia kardiologiczna": 20000}})])
    entries.join(facility_id, EntryInput.from_payload(entry_payload(1)))
    visit = book(external_id="HIS-9", starts_at=warsaw(3, 10).isoformat(), phone="600 999 999", patient_id="P-9")
    appointments.cancel(visit, channel="web")
    offers.offer_freed_slot(visit.appointment_id)
    claims.accept(next(iter(offers.Offer.scan())), channel="web")
    deliver(outbox_events())

    assert figures(facility_id, first_days=-1, last_days=5).recovered_value == 20000


def test_markers_expire_and_day_items_do_not(book, facility_id):
    book(days=3)
    deliver(outbox_events())
    kept = list(StatsItem.scan())
    markers = [i for i in kept if i.pk.startswith("counted#")]
    days = [i for i in kept if i.pk == facility_id and "#" in i.sk]
    assert markers and all(m.expires_at > now().timestamp() + 300 * 86400 for m in markers)
    assert days and all(d.expires_at is None for d in days)


def test_an_event_of_no_facility_or_unknown_kind_counts_nothing(aws):
    assert store.record_event("CancellationEmailUnmatched", {"facility_id": "unassigned", "event_id": "x",
                                                             "occurred_at": "2025-01-01T10:00:00Z", "data": {}}) == 0
    assert store.record_event("ExactDateConfirmed", json.loads(json.dumps({
        "facility_id": "fac_1", "event_id": "y", "occurred_at": "2025-01-01T10:00:00Z", "data": {}}))) == 0
    assert list(StatsItem.scan()) == []


def test_the_delivered_helper_sends_each_event_once(book):
    delivered = Delivered()
    book(days=3)
    assert len(delivered()) == 1 and delivered() == []
