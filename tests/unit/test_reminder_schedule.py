"""When reminders are due: 7 days and 1 day before, inside local sending hours, DST-safe."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, strategies as st

from odwolaj.appointments.reminders import SENDING_END, SENDING_START, in_sending_hours, schedule

WARSAW = ZoneInfo("Europe/Warsaw")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=WARSAW)


def test_seven_days_and_one_day_before_at_the_visit_hour():
    visit = local(2026, 12, 10, 11, 0)
    plan = schedule(visit, booked_at=local(2026, 11, 1, 9, 0))
    assert plan == [(168, local(2026, 12, 3, 11, 0)), (24, local(2026, 12, 9, 11, 0))]


def test_a_visit_booked_three_days_ahead_gets_only_the_one_day_reminder():
    visit = local(2026, 12, 10, 11, 0)
    assert [offset for offset, _ in schedule(visit, booked_at=local(2026, 12, 7, 11, 0))] == [24]


def test_early_and_late_visits_are_reminded_inside_sending_hours():
    early = schedule(local(2026, 12, 10, 7, 0), booked_at=local(2026, 11, 1, 9, 0))
    late = schedule(local(2026, 12, 10, 21, 30), booked_at=local(2026, 11, 1, 9, 0))
    assert [due for _, due in early] == [local(2026, 12, 3, 8, 0), local(2026, 12, 9, 8, 0)]
    assert [due for _, due in late] == [local(2026, 12, 3, 20, 0), local(2026, 12, 9, 20, 0)]


def test_across_the_dst_change_the_local_hour_is_kept():
    # 2027-03-28: clocks go forward in Poland. Seven days before a 10:00 visit is 10:00 local,
    # which is 167 hours of real time earlier, not 168.
    visit = local(2027, 4, 1, 10, 0).astimezone(timezone.utc)
    [(_, week), _] = schedule(visit, booked_at=local(2027, 3, 1, 9, 0))
    assert week == local(2027, 3, 25, 10, 0)
    assert (visit - week).total_seconds() == 167 * 3600


def test_sending_hours_are_local():
    assert in_sending_hours(datetime(2026, 12, 1, 7, 30, tzinfo=timezone.utc))  # 8:30 in Warsaw
    assert not in_sending_hours(datetime(2026, 12, 1, 19, 30, tzinfo=timezone.utc))  # 20:30
    assert not in_sending_hours(datetime(2026, 7, 1, 5, 30, tzinfo=timezone.utc))  # 7:30 in summer


@given(
    visit=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(timezone.utc)),
    lead_hours=st.integers(min_value=0, max_value=24 * 60),
)
def test_every_planned_reminder_is_after_booking_before_the_visit_and_in_sending_hours(visit, lead_hours):
    from datetime import timedelta

    booked_at = visit - timedelta(hours=lead_hours)
    plan = schedule(visit, booked_at)
    dues = [due for _, due in plan]
    assert dues == sorted(dues)
    for due in dues:
        assert booked_at < due < visit
        assert SENDING_START <= due.astimezone(WARSAW).time() <= SENDING_END
