"""Prepayment deadlines: the three modes of seed 002 in Warsaw time, DST-safe, and the invariants
(never after the visit, never at or before the booking, monotonic in the settings)."""
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, strategies as st

from odwolaj.core.errors import BookingCutoff, InvalidInput, PrepaymentRefused
from odwolaj.payments.deadlines import AFTER_BOOKING, BEFORE_VISIT, BY_HOUR, DeadlineRule, deadline

WARSAW = ZoneInfo("Europe/Warsaw")


def warsaw(*args) -> datetime:
    return datetime(*args, tzinfo=WARSAW)


def local(moment: datetime) -> datetime:
    return moment.astimezone(WARSAW)


# --------------------------------------------------------------------------- the modes by example


def test_by_hour_is_that_hour_of_the_booking_day():
    rule = DeadlineRule(BY_HOUR, hour=time(20, 0), hours_before_visit=2)
    # Booked on Wednesday 25 November at 10:00 for a visit in two weeks: pay by 20:00 that day.
    due = deadline(rule, warsaw(2026, 11, 25, 10, 0), warsaw(2026, 12, 9, 9, 0))
    assert local(due) == warsaw(2026, 11, 25, 20, 0)
    assert due.tzinfo == timezone.utc


def test_by_hour_booked_after_the_hour_moves_to_the_next_day():
    rule = DeadlineRule(BY_HOUR, hour=time(20, 0))
    due = deadline(rule, warsaw(2026, 11, 25, 21, 30), warsaw(2026, 12, 9, 9, 0))
    assert local(due) == warsaw(2026, 11, 26, 20, 0)


def test_by_hour_is_not_later_than_the_hours_before_the_visit():
    rule = DeadlineRule(BY_HOUR, hour=time(20, 0), hours_before_visit=2)
    due = deadline(rule, warsaw(2026, 11, 25, 10, 0), warsaw(2026, 11, 25, 16, 0))
    assert local(due) == warsaw(2026, 11, 25, 14, 0)


def test_before_visit_counts_real_hours_across_the_dst_change():
    rule = DeadlineRule(BEFORE_VISIT, hours_before_visit=48)
    # Clocks go back on 25 October 2026 at 03:00: 48 real hours before Monday 10:00 is Saturday 11:00.
    due = deadline(rule, warsaw(2026, 10, 20, 9, 0), warsaw(2026, 10, 26, 10, 0))
    assert due == warsaw(2026, 10, 26, 10, 0).astimezone(timezone.utc) - timedelta(hours=48)
    assert local(due) == warsaw(2026, 10, 24, 11, 0)


def test_by_hour_is_the_wall_clock_hour_in_summer_and_winter():
    rule = DeadlineRule(BY_HOUR, hour=time(20, 0))
    summer = deadline(rule, warsaw(2026, 7, 1, 9, 0), warsaw(2026, 7, 20, 9, 0))
    winter = deadline(rule, warsaw(2026, 12, 1, 9, 0), warsaw(2026, 12, 20, 9, 0))
    assert (summer.hour, winter.hour) == (18, 19)  # 20:00 in Warsaw, in UTC
    assert local(summer).hour == local(winter).hour == 20


def test_by_hour_on_the_night_the_clocks_go_forward():
    # 02:30 does not exist on 29 March 2026 in Warsaw: the deadline is the moment after the gap.
    rule = DeadlineRule(BY_HOUR, hour=time(2, 30))
    due = deadline(rule, warsaw(2026, 3, 29, 0, 30), warsaw(2026, 4, 10, 9, 0))
    assert local(due) == warsaw(2026, 3, 29, 3, 30)
    assert due > warsaw(2026, 3, 29, 0, 30)


def test_after_booking_within_hours_but_not_later_than_before_the_visit():
    rule = DeadlineRule(AFTER_BOOKING, hours_after_booking=24, hours_before_visit=2)
    booked = warsaw(2026, 11, 25, 18, 0)
    assert local(deadline(rule, booked, warsaw(2026, 12, 9, 9, 0))) == warsaw(2026, 11, 26, 18, 0)
    assert local(deadline(rule, booked, warsaw(2026, 11, 26, 12, 0))) == warsaw(2026, 11, 26, 10, 0)


def test_a_booking_after_the_cutoff_hour_is_refused():
    rule = DeadlineRule(BY_HOUR, hour=time(22, 0), booking_cutoff=time(21, 0))
    with pytest.raises(BookingCutoff, match="21:00"):
        deadline(rule, warsaw(2026, 11, 25, 21, 5), warsaw(2026, 12, 9, 9, 0))
    assert local(deadline(rule, warsaw(2026, 11, 25, 18, 0), warsaw(2026, 12, 9, 9, 0))) == warsaw(2026, 11, 25, 22, 0)


def test_a_visit_too_soon_to_pay_for_is_refused():
    rule = DeadlineRule(BEFORE_VISIT, hours_before_visit=48)
    with pytest.raises(PrepaymentRefused, match="too soon"):
        deadline(rule, warsaw(2026, 11, 25, 10, 0), warsaw(2026, 11, 26, 10, 0))


@pytest.mark.parametrize("value, field", [
    ({"mode": "tomorrow"}, "deadline.mode"),
    ({"mode": BY_HOUR}, "deadline.hour"),
    ({"mode": BY_HOUR, "hour": "8pm"}, "deadline.hour"),
    ({"mode": BY_HOUR, "hour": "25:00"}, "deadline.hour"),
    ({"mode": BEFORE_VISIT}, "deadline.hours_before_visit"),
    ({"mode": BEFORE_VISIT, "hours_before_visit": -1}, "deadline.hours_before_visit"),
    ({"mode": BEFORE_VISIT, "hours_before_visit": 2.5}, "deadline.hours_before_visit"),
    ({"mode": BEFORE_VISIT, "hours_before_visit": 2, "hour": "20:00"}, "deadline.hour"),
    ({"mode": AFTER_BOOKING, "hours_after_booking": 24}, "deadline.hours_before_visit"),
    ({"mode": BEFORE_VISIT, "hours_before_visit": 2, "extra": 1}, "deadline"),
])
def test_bad_rules_are_refused_with_the_field(value, field):
    with pytest.raises(InvalidInput) as refused:
        DeadlineRule.from_dict(value)
    assert refused.value.field == field


def test_a_rule_survives_its_round_trip():
    value = {"mode": BY_HOUR, "hour": "20:00", "hours_before_visit": 2, "booking_cutoff": "19:00"}
    assert DeadlineRule.from_dict(value).to_dict() == value


# --------------------------------------------------------------------------- the invariants

moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31),
                       timezones=st.just(timezone.utc))
hours = st.integers(min_value=0, max_value=24 * 30)
hours_of_day = st.times().map(lambda t: time(t.hour, t.minute))


@st.composite
def rules(draw, modes=(BY_HOUR, BEFORE_VISIT, AFTER_BOOKING)):
    mode = draw(st.sampled_from(modes))
    return DeadlineRule(
        mode,
        hour=draw(hours_of_day) if mode == BY_HOUR else None,
        hours_before_visit=draw(hours if mode != BY_HOUR else st.none() | hours),
        hours_after_booking=draw(st.integers(min_value=1, max_value=24 * 30)) if mode == AFTER_BOOKING else None,
        booking_cutoff=draw(st.none() | hours_of_day),
    )


def outcome(rule, booked, starts):
    try:
        return deadline(rule, booked, starts)
    except PrepaymentRefused:
        return None


@given(rules(), moments, st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=90)))
def test_a_deadline_is_after_the_booking_and_not_after_the_visit(rule, booked, ahead):
    due = outcome(rule, booked, booked + ahead)
    if due is not None:
        assert booked < due <= booked + ahead


@given(rules(), moments, st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=90)), hours)
def test_more_hours_before_the_visit_never_make_the_deadline_later(rule, booked, ahead, more):
    stricter = DeadlineRule(rule.mode, rule.hour, (rule.hours_before_visit or 0) + more, rule.hours_after_booking,
                            rule.booking_cutoff)
    loose, strict = outcome(rule, booked, booked + ahead), outcome(stricter, booked, booked + ahead)
    if strict is not None:
        assert loose is not None and strict <= loose


@given(rules(modes=(AFTER_BOOKING,)), moments,
       st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=90)), hours)
def test_more_hours_after_the_booking_never_make_the_deadline_earlier(rule, booked, ahead, more):
    longer = DeadlineRule(rule.mode, None, rule.hours_before_visit, rule.hours_after_booking + more,
                          rule.booking_cutoff)
    short, long_ = outcome(rule, booked, booked + ahead), outcome(longer, booked, booked + ahead)
    if short is not None:
        assert long_ is not None and long_ >= short


@st.composite
def same_day_hours(draw):
    """A booking moment (Warsaw wall clock) and two hours of the same day still ahead of it."""
    day = draw(st.dates(min_value=datetime(2026, 1, 1).date(), max_value=datetime(2028, 12, 31).date()))
    minute = draw(st.integers(min_value=0, max_value=24 * 60 - 3))
    first, second = sorted(draw(st.lists(st.integers(min_value=minute + 1, max_value=24 * 60 - 1), min_size=2,
                                         max_size=2)))
    as_time = lambda m: time(m // 60, m % 60)  # noqa: E731
    booked = datetime.combine(day, as_time(minute), WARSAW).astimezone(timezone.utc)
    assume(local(booked).time() == as_time(minute))  # not a wall-clock time skipped by DST
    return booked, as_time(first), as_time(second)


@given(same_day_hours(), st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=90)),
       st.none() | hours)
def test_a_later_hour_of_the_same_day_never_makes_the_deadline_earlier(booking, ahead, before_visit):
    booked, early, late = booking
    first = outcome(DeadlineRule(BY_HOUR, early, before_visit), booked, booked + ahead)
    second = outcome(DeadlineRule(BY_HOUR, late, before_visit), booked, booked + ahead)
    if first is not None:
        assert second is not None and second >= first


@given(rules(), moments, st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=90)),
       st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)))
def test_a_later_visit_never_makes_the_deadline_earlier(rule, booked, ahead, later):
    near, far = outcome(rule, booked, booked + ahead), outcome(rule, booked, booked + ahead + later)
    if near is not None:
        assert far is not None and far >= near
