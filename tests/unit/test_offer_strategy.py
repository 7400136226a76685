"""Offer plans: wave size and hold scale with how soon the visit is; nothing at night unless the
visit is the same day; nothing once the visit is too close to reach."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st

from odwolaj.reserve.strategy import WAVE_LIMIT, Strategy, plan_wave

WARSAW = ZoneInfo("Europe/Warsaw")
DEFAULT = Strategy()


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=WARSAW)


def test_two_days_ahead_one_patient_at_a_time_with_the_default_hold():
    wave = plan_wave(DEFAULT, local(3, 10), local(1, 11), offers_made=0)
    assert (wave.size, wave.hold, wave.send_at) == (1, timedelta(minutes=15), local(1, 11))


def test_tomorrow_morning_freed_in_the_evening_goes_to_several_at_once():
    wave = plan_wave(DEFAULT, local(2, 9), local(1, 19, 30), offers_made=0)
    # 30 minutes tonight and 30 tomorrow before the 7:30 cut-off: 4 holds of 15 minutes for 25 offers.
    assert (wave.size, wave.hold) == (7, timedelta(minutes=15))


def test_a_visit_three_hours_away_gets_short_holds_and_bigger_waves():
    wave = plan_wave(DEFAULT, local(1, 14), local(1, 11), offers_made=0)
    assert wave.hold == timedelta(minutes=5) and wave.size == 2


def test_at_night_the_wave_waits_for_eight_unless_the_visit_is_that_day():
    assert plan_wave(DEFAULT, local(3, 10), local(1, 22), offers_made=0).send_at == local(2, 8)
    assert plan_wave(DEFAULT, local(2, 11), local(2, 5), offers_made=0).send_at == local(2, 7)


def test_too_close_to_reach_is_no_wave():
    assert plan_wave(DEFAULT, local(1, 12), local(1, 11), offers_made=0) is None


def test_waves_mode_starts_from_its_base_wave_and_a_facility_map_sets_it():
    strategy = Strategy.of({"mode": "waves", "wave_size": 4, "unknown": 1})
    assert plan_wave(strategy, local(5, 10), local(1, 11), offers_made=0).size == 4


def test_unanswered_offers_double_the_cool_down_up_to_a_week():
    assert [DEFAULT.cooldown(n).total_seconds() / 3600 for n in (1, 2, 3, 5)] == [24, 48, 96, 168]


@settings(max_examples=200, deadline=None)
@given(lead_minutes=st.integers(min_value=0, max_value=14 * 24 * 60),
       freed_minute=st.integers(min_value=0, max_value=24 * 60 - 1),
       made=st.integers(min_value=0, max_value=60))
def test_a_wave_never_starts_at_night_or_after_the_cut_off_and_fits_one_transaction(lead_minutes, freed_minute,
                                                                                     made):
    at = local(1, 0) + timedelta(minutes=freed_minute)
    visit = at + timedelta(minutes=lead_minutes)
    wave = plan_wave(DEFAULT, visit, at, offers_made=made)
    if wave is None:
        return
    send = wave.send_at.astimezone(WARSAW)
    same_day = send.date() == visit.astimezone(WARSAW).date()
    assert send.hour >= (7 if same_day else 8) and (same_day or send.hour < 20)
    assert wave.hold_until <= visit - timedelta(minutes=DEFAULT.min_lead_minutes)
    assert 1 <= wave.size <= WAVE_LIMIT and timedelta(0) < wave.hold <= timedelta(minutes=15)
