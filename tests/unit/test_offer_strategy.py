"""Offer plans: several patients at once, more with each wave and when the visit is near; nothing
20:00-8:00 (7:00 on the visit's own day); nothing once the visit is too close to reach; a silent
patient's cool-down scaled to the list."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st

from odwolaj.reserve.strategy import WAVE_LIMIT, Strategy, plan_wave

WARSAW = ZoneInfo("Europe/Warsaw")
DEFAULT = Strategy()


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=WARSAW)


def test_two_days_ahead_the_first_wave_asks_eight_at_once_and_the_next_is_due_in_ten_minutes():
    wave = plan_wave(DEFAULT, local(3, 10), local(1, 11), waves_sent=0, offers_made=0)
    assert (wave.size, wave.hold, wave.send_at, wave.short_notice) == (8, timedelta(minutes=10), local(1, 11), False)


def test_each_wave_without_a_yes_is_half_as_large_again_up_to_the_limit():
    sizes = [plan_wave(DEFAULT, local(8, 10), local(1, 11), waves_sent=n, offers_made=0).size for n in range(6)]
    assert sizes == [8, 12, 18, 24, 24, 24]


def test_a_slot_less_than_a_day_away_starts_wider_and_goes_faster():
    wave = plan_wave(DEFAULT, local(1, 15), local(1, 9), waves_sent=0, offers_made=0)
    # Six hours ahead: short notice, a wave of 10 and the next one after 6 h / 48 = 7.5 minutes.
    assert (wave.size, wave.hold, wave.short_notice) == (10, timedelta(minutes=7, seconds=30), True)


def test_the_evening_before_the_waves_reach_the_target_in_the_little_time_left():
    wave = plan_wave(DEFAULT, local(2, 9), local(1, 19, 30), waves_sent=0, offers_made=0)
    # 30 minutes tonight and 30 tomorrow from 7:00 before the 7:30 cut-off: 6 paces for 40 offers.
    assert (wave.size, wave.hold) == (10, timedelta(minutes=10))
    # A quarter of an hour later, 30 offers still wanted in 4 paces: the growth (15) is more than that.
    assert plan_wave(DEFAULT, local(2, 9), local(1, 19, 45), waves_sent=1, offers_made=10).size == 15
    sparse = Strategy.of({"short_notice_wave_size": 2, "wave_growth_percent": 0})
    assert plan_wave(sparse, local(2, 9), local(1, 19, 45), waves_sent=1, offers_made=10).size == 8  # 30 / 4


def test_no_offer_at_night_nor_after_eight_in_the_evening_even_on_the_visits_day():
    assert plan_wave(DEFAULT, local(3, 10), local(1, 22), 0, 0).send_at == local(2, 8)
    assert plan_wave(DEFAULT, local(2, 11), local(2, 5), 0, 0).send_at == local(2, 7)
    # A visit at 23:30: its cut-off is 22:00, but after 20:00 nobody is asked any more.
    assert plan_wave(DEFAULT, local(1, 23, 30), local(1, 20, 30), 0, 0) is None


def test_too_close_to_reach_is_no_wave():
    assert plan_wave(DEFAULT, local(1, 12), local(1, 11), 0, 0) is None


def test_sequential_mode_asks_one_at_a_time_and_a_facility_map_sets_the_plan():
    sequential = Strategy.of({"mode": "sequential"})
    assert [plan_wave(sequential, local(5, 10), local(1, 11), n, n).size for n in range(3)] == [1, 1, 1]
    custom = Strategy.of({"wave_size": 4, "wave_growth_percent": 0, "unknown": 1})
    assert [plan_wave(custom, local(5, 10), local(1, 11), n, 4 * n).size for n in range(3)] == [4, 4, 4]


def test_a_silent_patients_cool_down_scales_with_the_list_and_doubles_with_each_silence():
    hours = [[DEFAULT.cooldown(n, size).total_seconds() / 3600 for n in (1, 2, 3, 5)] for size in (500, 120, 30, 5)]
    assert hours == [[24, 48, 96, 168], [6, 12, 24, 96], [1.5, 3, 6, 24], [1, 2, 4, 16]]


@settings(max_examples=300, deadline=None)
@given(lead_minutes=st.integers(min_value=0, max_value=14 * 24 * 60),
       freed_minute=st.integers(min_value=0, max_value=24 * 60 - 1),
       waves=st.integers(min_value=0, max_value=12), made=st.integers(min_value=0, max_value=200))
def test_a_wave_never_starts_in_quiet_hours_or_after_the_cut_off_and_fits_one_transaction(lead_minutes, freed_minute,
                                                                                         waves, made):
    at = local(1, 0) + timedelta(minutes=freed_minute)
    visit = at + timedelta(minutes=lead_minutes)
    wave = plan_wave(DEFAULT, visit, at, waves, made)
    if wave is None:
        return
    send = wave.send_at.astimezone(WARSAW)
    same_day = send.date() == visit.astimezone(WARSAW).date()
    assert send.hour >= (7 if same_day else 8) and send.hour < 20
    assert wave.hold_until <= visit - timedelta(minutes=DEFAULT.min_lead_minutes)
    assert 1 <= wave.size <= WAVE_LIMIT and timedelta(0) < wave.hold <= timedelta(minutes=10)
