"""The local runner's schedule evaluation, clock jumps, stream filtering and /dev JSON listings,
without moto or HTTP."""
import json
from datetime import datetime, timedelta, timezone

import pytest

from odwolaj.adapters.failures import pattern_matches
from odwolaj_local.devpages import json_items
from odwolaj_local.scheduler import Cron, Rate, Scheduler, parse, scheduled_event
from odwolaj_local.template import Schedule, application
from odwolaj_local.timejump import Jump, due_indexes


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


START = utc(2026, 11, 22, 8, 0, 30)


@pytest.mark.parametrize("expression, after, expected", [
    ("rate(5 minutes)", START, START + timedelta(minutes=5)),
    ("rate(5 minutes)", START + timedelta(minutes=5), START + timedelta(minutes=10)),
    ("rate(5 minutes)", START + timedelta(minutes=12), START + timedelta(minutes=15)),
    ("rate(1 hour)", START, START + timedelta(hours=1)),
    ("rate(2 days)", START, START + timedelta(days=2)),
])
def test_rate_fires_every_period_counted_from_creation(expression, after, expected):
    assert Rate(expression).next_after(after, START) == expected


@pytest.mark.parametrize("expression", ["rate(0 minutes)", "rate(5 weeks)", "rate(five minutes)", "every 5 minutes"])
def test_bad_rate_is_refused(expression):
    with pytest.raises(ValueError):
        Rate(expression)


@pytest.mark.parametrize("expression, after, expected", [
    ("cron(0 8 * * ? *)", utc(2026, 11, 22, 7, 59), utc(2026, 11, 22, 8, 0)),
    ("cron(0 8 * * ? *)", utc(2026, 11, 22, 8, 0), utc(2026, 11, 23, 8, 0)),  # strictly after
    ("cron(*/15 * * * ? *)", utc(2026, 11, 22, 8, 1, 10), utc(2026, 11, 22, 8, 15)),
    ("cron(0 9-17/4 * * ? *)", utc(2026, 11, 22, 14, 0), utc(2026, 11, 22, 17, 0)),
    ("cron(30 6 ? * MON-FRI *)", utc(2026, 11, 21, 12, 0), utc(2026, 11, 23, 6, 30)),  # Sat → Mon
    ("cron(0 0 ? * 1 *)", utc(2026, 11, 23, 0, 0), utc(2026, 11, 29, 0, 0)),  # 1 = Sunday
    ("cron(0 12 1 JAN,JUL ? *)", utc(2026, 11, 22), utc(2027, 1, 1, 12, 0)),
    ("cron(0 10 29 2 ? 2028)", utc(2026, 11, 22), utc(2028, 2, 29, 10, 0)),
])
def test_cron_gives_the_next_matching_minute_in_utc(expression, after, expected):
    assert Cron(expression).next_after(after) == expected


def test_cron_that_never_matches_has_no_next_time():
    assert Cron("cron(0 0 31 2 ? *)").next_after(START) is None


@pytest.mark.parametrize("expression", ["cron(0 8 * * *)", "cron(0 8 L * ? *)", "cron(0 8 ? * 2#1 *)",
                                        "cron(61 8 * * ? *)", "cron(0 8 * 13 ? *)"])
def test_unsupported_or_invalid_cron_is_refused(expression):
    with pytest.raises(ValueError):
        Cron(expression)


def test_every_schedule_of_the_template_parses():
    for schedule in application().schedules:
        assert parse(schedule.expression).next_after(START, START) > START


class FakeClock:
    def __init__(self):
        self.now = START

    def __call__(self):
        return self.now


def test_scheduler_fires_when_due_once_per_jump_and_not_before():
    clock, calls = FakeClock(), []
    scheduler = Scheduler([Schedule("SweepFunction", "rate(5 minutes)")], lambda f, e: calls.append((f, e)), clock)

    clock.now = START + timedelta(minutes=4)
    assert scheduler.fire_due() == [] and calls == []

    clock.now = START + timedelta(hours=2)  # 24 occurrences passed: one coalesced firing
    fired = scheduler.fire_due()

    assert [e.schedule.function for e in fired] == ["SweepFunction"] and len(calls) == 1
    function, event = calls[0]
    assert function == "SweepFunction" and event["detail-type"] == "Scheduled Event"
    assert event["time"] == "2026-11-22T08:05:30Z"  # the first missed occurrence
    assert scheduler.entries[0].next_due == START + timedelta(hours=2, minutes=5)
    assert scheduler.fire_due() == []  # nothing due twice


def test_scheduled_event_is_the_input_when_the_template_gives_one():
    schedule = Schedule("F", "rate(1 day)", input=json.dumps({"kind": "campaign"}))
    assert scheduled_event(schedule, "rule", START) == {"kind": "campaign"}


OUTBOX_EVENTS = json.loads('{"eventName": ["INSERT"], "dynamodb": {"NewImage": {"kind": {"S": ["event"]}}}}')


def stream_record(event_name: str, kind: str) -> dict:
    return {"eventName": event_name, "dynamodb": {"NewImage": {"kind": {"S": kind}, "outbox_id": {"S": "o1"}}}}


@pytest.mark.parametrize("record, kept", [
    (stream_record("INSERT", "event"), True),
    (stream_record("MODIFY", "event"), False),
    (stream_record("INSERT", "sms"), False),
    ({"eventName": "REMOVE", "dynamodb": {"OldImage": {}}}, False),
])
def test_stream_filter_keeps_what_the_template_pattern_allows(record, kept):
    assert pattern_matches(OUTBOX_EVENTS, record) is kept


def test_stream_filter_prefix_and_exists():
    assert pattern_matches({"dynamodb": {"NewImage": {"kind": {"S": [{"prefix": "ev"}]}}}},
                           stream_record("INSERT", "event"))
    assert pattern_matches({"dynamodb": {"OldImage": [{"exists": False}]}}, stream_record("INSERT", "event"))
    assert not pattern_matches({"dynamodb": {"NewImage": [{"exists": False}]}}, stream_record("INSERT", "event"))


def test_a_failing_scheduled_run_does_not_stop_the_schedule():
    clock = FakeClock()

    def fail(function, event):
        raise RuntimeError("boom")

    scheduler = Scheduler([Schedule("F", "rate(1 minute)")], fail, clock)
    clock.now = START + timedelta(minutes=1)

    assert len(scheduler.fire_due()) == 1
    assert scheduler.entries[0].next_due == START + timedelta(minutes=2)


def test_the_first_firing_at_or_after_a_moment_is_the_earliest_of_all_schedules():
    scheduler = Scheduler([Schedule("Sweep", "rate(5 minutes)"), Schedule("Timer", "rate(1 minute)")],
                          lambda f, e: None, FakeClock())
    assert scheduler.next_firing(START + timedelta(minutes=3)) == START + timedelta(minutes=3)  # an occurrence itself
    assert scheduler.next_firing(START + timedelta(minutes=3, seconds=1)) == START + timedelta(minutes=4)


def test_a_clock_jump_stops_at_each_moment_something_falls_due_and_ends_at_the_target():
    """A wave due 15 minutes into a three-hour jump goes out at that minute, the next one when it
    falls due, and minutes with nothing due are skipped."""
    clock, fired_at, settled = FakeClock(), [], []
    scheduler = Scheduler([Schedule("OfferTimer", "rate(1 minute)")], lambda f, e: fired_at.append(clock.now), clock)
    due = [START + timedelta(minutes=15, seconds=10), START + timedelta(minutes=31)]  # what the index holds

    def set_clock(moment):
        clock.now = moment

    jump = Jump(now=clock, set_clock=set_clock, fire_due=scheduler.fire_due, next_firing=scheduler.next_firing,
                due_after=lambda after: min((d for d in due if d > after), default=None),
                settle=lambda: settled.append(clock.now))

    names = jump.to(START + timedelta(hours=3))

    assert fired_at == [START + timedelta(minutes=16), START + timedelta(minutes=31), START + timedelta(hours=3)]
    assert names == ["OfferTimer-rate(1 minute)"] * 3 and clock.now == START + timedelta(hours=3)
    assert settled.count(START + timedelta(minutes=16)) == 2  # streams delivered before and after each stop


def test_the_due_indexes_are_the_templates_sparse_indexes_sorted_by_a_due_moment():
    app = application()
    names = {logical_id: logical_id for logical_id in app.tables}
    found = {(d.table, d.index, d.attribute) for d in due_indexes(app, names)}
    assert ("SlotsTable", "offers_due", "offer_due_at") in found
    assert {d[2] for d in found} == {"reminder_due_at", "payment_due_at", "offer_due_at", "notice_due_at"}


class Record:
    def __init__(self, seq: int):
        self.seq = seq

    def as_json(self) -> dict:
        return {"seq": self.seq}


def test_dev_json_lists_are_whole_newest_first_or_paged_oldest_first_from_a_cursor():
    records = [Record(n) for n in range(1, 8)]
    assert json_items(records, {}, "messages") == (200, [{"seq": n} for n in range(7, 0, -1)])
    status, first = json_items(records, {"after": "0", "limit": "3"}, "messages")
    assert (status, [m["seq"] for m in first["messages"]], first["next_after"], first["has_more"]) == \
        (200, [1, 2, 3], 3, True)
    _, last = json_items(records, {"after": "6"}, "messages")
    assert ([m["seq"] for m in last["messages"]], last["next_after"], last["has_more"]) == ([7], 7, False)
    _, empty = json_items(records, {"after": "7"}, "messages")
    assert (empty["messages"], empty["next_after"], empty["has_more"]) == ([], 7, False)
    for bad in ({"after": "-1"}, {"limit": "0"}, {"limit": "501"}, {"after": "x"}):
        assert json_items(records, bad, "messages")[0] == 400


def test_the_local_totp_codes_are_rfc_6238_s():
    """RFC 6238's SHA-1 test vector (its 8 digits end in the 6 an authenticator app shows)."""
    from odwolaj_local.cognito import totp_code

    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of "12345678901234567890"
    assert totp_code(secret, at=59) == "287082"
    assert totp_code(secret, at=1111111109) == "081804"


def test_the_demo_history_is_a_consistent_funnel():
    """The console's made-up history adds up as live events would: every filled slot was claimed by
    one offer, and no more slots are filled than were freed or offered."""
    from datetime import date

    from odwolaj_local.demo_console import _History

    history = _History("fac_demo", [("Poradnia kardiologiczna", "dr Anna Nowak")], seed=14)
    for offset in range(28):
        history.day(date(2026, 11, 1) + timedelta(days=offset), no_show_rate=0.035, fill_rate=0.8)
    totals: dict[str, int] = {}
    for sk, counters in history.tally.items.items():
        if sk.startswith("all#"):
            for name in ("slots_freed", "slots_filled", "offers_accepted", "offers_sent"):
                totals[name] = totals.get(name, 0) + int(counters.get(name, 0))
    assert totals["slots_filled"] > 0
    assert totals["offers_accepted"] == totals["slots_filled"]
    assert totals["slots_filled"] <= min(totals["slots_freed"], totals["offers_sent"])
