"""The reminder sweep against moto: reads only what is due, queues each reminder once."""
from datetime import datetime, timedelta, timezone

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError
from pynamodb.exceptions import TransactWriteError

from odwolaj.appointments import lifecycle as appointments
from odwolaj.appointments.reminders import sweep
from odwolaj.core.clock import parse_iso
from odwolaj.data.models import Appointment, OutboxItem
from odwolaj_local.lambdas import FakeLambdaContext, load_handler


def reminders_queued() -> list[str]:
    return sorted(i.outbox_id for i in OutboxItem.scan() if i.kind == "sms" and i.message_kind == "reminder")


def due_at(appointment) -> datetime:
    return parse_iso(Appointment.get(appointment.appointment_id).reminder_due_at)


def test_a_visit_gets_the_week_reminder_then_the_day_reminder_once_each(book):
    appointment = book(days=10)
    week = due_at(appointment)

    assert sweep(week - timedelta(minutes=5)).read == 0
    first = sweep(week)
    again = sweep(week + timedelta(minutes=5))
    day = due_at(appointment)
    second = sweep(day)

    assert (first.read, first.queued, again.read) == (1, 1, 0)
    assert day - week == timedelta(days=6)
    assert second.queued == 1
    assert len(reminders_queued()) == 2
    assert Appointment.get(appointment.appointment_id).reminder_due_at is None  # out of the index


def test_cancelled_and_cer_visits_get_no_reminder(book):
    cancelled = book(days=10, external_id="A")
    appointments.cancel(cancelled, channel="web")
    book(days=10, external_id="B", cer_managed=True)

    report = sweep(parse_iso(cancelled.starts_at) - timedelta(hours=1))

    assert report.read == 0 and reminders_queued() == []


def test_moving_a_visit_reschedules_its_reminders(book):
    appointment = book(days=10)
    before = due_at(appointment)
    book(days=12)

    assert due_at(appointment) - before == timedelta(days=2)


def test_the_sweep_reads_only_due_items_among_many(book):
    visits = [book(days=10 + index, external_id=f"E{index}", patient_id=f"P{index}") for index in range(30)]

    report = sweep(due_at(visits[0]))

    assert (report.read, report.queued) == (1, 1)


def test_the_scheduled_function_queues_what_is_due_now(book, clock):
    appointment = book(days=10)
    clock(seconds=(due_at(appointment) - datetime.now(timezone.utc)).total_seconds() + 60)

    report = load_handler("ReminderSweepFunction")({"source": "aws.scheduler"},
                                                   FakeLambdaContext("ReminderSweepFunction"))

    assert report == {"read": 1, "queued": 1, "skipped": 0}
    assert len(reminders_queued()) == 1


def test_a_throttled_write_fails_the_sweep_instead_of_passing_for_a_lost_race(book, monkeypatch):
    """Given DynamoDB throttles the reminder's transaction (cancelled with ThrottlingError, not a
    failed condition), the sweep fails, so the schedule retries it, rather than count the reminder
    as skipped and move on; nothing is queued and the reminder stays due, and the next run sends it."""
    appointment = book(days=10)
    week = due_at(appointment)
    real_call = BaseClient._make_api_call

    def throttled(client, operation, params):
        if operation == "TransactWriteItems":
            raise ClientError({"Error": {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"},
                               "CancellationReasons": [{"Code": "ThrottlingError"}, {"Code": "None"}]}, operation)
        return real_call(client, operation, params)

    with monkeypatch.context() as patched:
        patched.setattr(BaseClient, "_make_api_call", throttled)
        with pytest.raises(TransactWriteError):
            sweep(week)

    assert reminders_queued() == [] and due_at(appointment) == week
    assert sweep(week).queued == 1
