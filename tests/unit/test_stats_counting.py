"""The statistics' arithmetic without AWS: what an event adds, the waiting-list ledger, and the
figures (shares, percentiles, late threshold, comparison periods) read back from day items."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from odwolaj.stats.counting import (
    LedgerChange,
    count,
    day_key,
    lead_band,
    lead_bucket,
    ledger_step,
    service_scope,
)
from odwolaj.stats.figures import Period, compute, median, percentile
from odwolaj.stats.rebuild import Tally
from odwolaj.stats.settings import StatsSettings


def event(kind: str, data: dict, at: str = "2030-03-04T09:00:00Z", event_id: str = "e1") -> tuple[str, dict]:
    return kind, {"schema_version": 1, "event_id": event_id, "occurred_at": at, "facility_id": "f", "data": data}


VISIT = {"starts_at": "2030-03-10T09:00:00Z", "service": "Kardiologia", "specialist": "dr A", "status": "booked"}


@pytest.mark.parametrize(("minutes", "bucket"), [(0, "h00"), (59, "h00"), (60, "h01"), (23 * 60 + 59, "h23"),
                                                 (71 * 60 + 59, "h71"), (72 * 60, "d3"), (7 * 1440 - 1, "d6"),
                                                 (7 * 1440, "d7+")])
def test_cancellations_are_bucketed_by_the_hour_up_to_72_hours(minutes, bucket):
    assert lead_bucket(minutes) == bucket


def test_lead_bands_of_freed_slots():
    assert [lead_band(m) for m in (0, 1439, 1440, 4319, 4320, 10079, 10080)] == \
        ["under_24h", "under_24h", "1_3d", "1_3d", "3_7d", "3_7d", "over_7d"]


def test_a_booking_counts_on_the_visit_s_warsaw_day_in_each_scope():
    counting = count(*event("AppointmentBooked", {**VISIT, "starts_at": "2030-03-09T23:30:00Z"}))
    keys = {d.sk for d in counting.contributions[0].deltas}
    assert keys == {"all#2030-03-10", f"{service_scope('Kardiologia')}#2030-03-10", "p:dr%20A#2030-03-10",
                    "standing"}


def test_a_move_subtracts_where_the_visit_was_and_its_confirmation():
    counting = count(*event("AppointmentMoved", {**VISIT, "starts_at": "2030-03-12T09:00:00Z",
                                                 "previous_starts_at": "2030-03-10T09:00:00Z",
                                                 "previous_status": "confirmed", "previous_service": "Kardiologia",
                                                 "previous_specialist": "dr A"}))
    deltas = {d.sk: dict(d.add) for d in counting.contributions[0].deltas}
    assert deltas["all#2030-03-10"] == {"booked": -1, "confirmed": -1}
    assert deltas["all#2030-03-12"] == {"booked": 1}


def test_an_update_that_moves_nothing_adds_nothing():
    assert count(*event("AppointmentUpdated", {**VISIT, "previous_status": "booked", "previous_service": "Kardiologia",
                                               "previous_specialist": "dr A"})) is None


def test_a_slot_offered_counts_each_offer_and_the_slot_once():
    counting = count(*event("SlotOffered", {**VISIT, "slot_id": "s1", "minutes_since_freed": 3.0}))
    markers = [c.marker for c in counting.contributions]
    assert markers == ["e1", "slot-offered:s1"]


def test_events_without_a_facility_or_not_counted_add_nothing():
    assert count(*event("RebookRequested", VISIT)) is None
    kind, detail = event("AppointmentBooked", VISIT)
    assert count(kind, {**detail, "facility_id": "unassigned"}) is None


def test_the_ledger_counts_waiting_once_and_never_comes_back():
    at = datetime(2030, 3, 4, 9, tzinfo=timezone.utc)
    join = LedgerChange("e1", "join", at, group="pilny", service="Kardiologia", entered_at="2030-02-02T09:00:00Z")
    joined = ledger_step(None, join)
    assert joined.after.state == "waiting"
    service = f"waiting:{service_scope('Kardiologia')}:pilny"
    assert {d.sk: dict(d.add) for d in joined.deltas} == {"standing": {"waiting:all:pilny": 1, service: 1}}
    assert ledger_step(joined.after, join).after is None  # a redelivered join
    left = ledger_step(joined.after, LedgerChange("e1", "leave", at, served=True))
    day = {d.sk: dict(d.add) for d in left.deltas}["all#2030-03-04"]
    assert day == {"wl_served": 1, "wl_waited": 1, "wl_wait_days": 30.0}
    assert ledger_step(left.after, join).after is None and ledger_step(left.after, LedgerChange(
        "e1", "leave", at, served=True)).after is None
    # left before it joined (events out of order): never counted as waiting
    early = ledger_step(None, LedgerChange("e2", "leave", at))
    assert early.after.state == "left" and ledger_step(early.after, join).after is None


def figures_of(events, **settings):
    tally = Tally()
    for kind, detail in events:
        tally.add(kind, detail)
    days = [{"sk": sk, **counters} for sk, counters in tally.items.items() if sk.startswith("all#")]
    return compute(days, tally.items.get("standing", {}), StatsSettings(**settings),
                   period=Period(date(2030, 3, 1), date(2030, 3, 31)), today=date(2030, 3, 31))


def test_the_late_threshold_is_the_facility_s_and_applies_when_read():
    cancellations = [event("AppointmentCancelled", {**VISIT, "channel": "web", "lead_time_minutes": minutes},
                           event_id=f"c{minutes}") for minutes in (30, 600, 1500, 5000)]
    bookings = [event("AppointmentBooked", VISIT, event_id=f"b{n}") for n in range(4)]
    assert figures_of(bookings + cancellations).headline.late_cancellations == 2
    assert figures_of(bookings + cancellations, late_cancellation_hours=48).headline.late_cancellations == 3
    assert figures_of(bookings + cancellations, late_cancellation_hours=1).headline.late_cancellation_rate == 0.25


def test_time_to_fill_is_exact_and_offers_per_fill_counts_the_filled_slots_offers():
    fills = [event("SlotFilled", {**VISIT, "slot_id": f"s{m}", "minutes_to_fill": m, "offers_made": n},
                   event_id=f"f{m}") for m, n in ((5, 1), (12.5, 3), (40, 2), (90, 6))]
    found = figures_of(fills)
    assert (found.median_minutes_to_fill, found.p90_minutes_to_fill, found.offers_per_fill) == (26.2, 90.0, 3.0)


def test_percentiles_take_a_value_that_occurred():
    assert percentile([3.0, 1.0, 2.0], 0.9) == 3.0 and percentile([], 0.5) is None
    assert median([1.0, 2.0, 3.0, 4.0]) == 2.5


def test_recovered_value_needs_a_value_and_uses_the_service_s_own():
    fills = [event("SlotFilled", {**VISIT, "slot_id": "s1", "minutes_to_fill": 5, "offers_made": 1})]
    assert figures_of(fills).recovered_value is None
    assert figures_of(fills, visit_value=10000).recovered_value == 10000
    assert figures_of(fills, visit_value=10000, service_values={"Kardiologia": 25000}).recovered_value == 25000


def test_comparison_periods_shift_to_the_same_days():
    period = Period(date(2030, 3, 31), date(2030, 5, 31))
    assert period.shifted(years=1) == Period(date(2029, 3, 31), date(2029, 5, 31))
    assert period.shifted(months=3) == Period(date(2029, 12, 31), date(2030, 2, 28))
    assert Period(date(2028, 2, 29), date(2028, 2, 29)).shifted(years=1).first == date(2027, 2, 28)


def test_weeks_cover_the_period_monday_to_sunday():
    found = figures_of([event("AppointmentBooked", VISIT)])
    assert found.weeks[0].start == date(2030, 3, 1) and found.weeks[0].end == date(2030, 3, 3)
    assert all(w.start.weekday() == 0 for w in found.weeks[1:])
    assert sum(w.figures.visits_booked for w in found.weeks) == 1


def test_day_keys_are_warsaw_days():
    assert day_key("all", date(2030, 1, 2)) == "all#2030-01-02"
