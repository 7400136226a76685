"""The appointment life cycle against moto, through the domain services."""
import json
import threading

import pytest

from odwolaj.appointments import lifecycle as appointments
from odwolaj.core.errors import InvalidTransition
from odwolaj.data.models import Appointment, FreedSlot, OutboxItem, Patient


def outbox_types() -> list[str]:
    return sorted(item.detail_type for item in OutboxItem.scan() if item.kind == "event")


def queued_sms() -> list[str]:
    return sorted(item.message_kind for item in OutboxItem.scan() if item.kind == "sms")


def test_booking_writes_appointment_patient_and_event(book):
    appointment = book(days=3)

    stored = Appointment.get(appointment.appointment_id)
    assert stored.status == "booked" and stored.phone == "+48600100200"
    assert Patient.get(stored.facility_id, "P-1").phone == "+48600100200"
    assert outbox_types() == ["AppointmentBooked"]
    assert queued_sms() == ["booked"]


def test_same_payload_twice_changes_nothing(book):
    first = book(days=3)
    second = book(days=3)

    assert first.appointment_id == second.appointment_id
    assert Appointment.get(first.appointment_id).version == 1
    assert outbox_types() == ["AppointmentBooked"]


def test_moving_a_confirmed_visit_asks_for_confirmation_again(book):
    appointment = book(days=3)
    appointments.confirm(appointment, channel="web")
    moved = book(days=4)

    assert moved.status == "booked" and moved.version == 3
    assert "AppointmentMoved" in outbox_types()
    assert queued_sms() == ["booked", "confirmed", "moved"]


def test_cancel_frees_the_slot_once_and_repeats_are_harmless(book):
    appointment = book(days=3)

    first = appointments.cancel(appointment, channel="web", reason="cannot_attend")
    again = appointments.cancel(appointments.get(appointment.appointment_id), channel="web")

    assert first.changed and not again.changed
    stored = Appointment.get(appointment.appointment_id)
    assert stored.status == "cancelled" and stored.cancellation.reason == "cannot_attend"
    assert stored.cancellation.lead_time_minutes > 2 * 24 * 60
    assert FreedSlot.get(appointment.appointment_id).status == "free"
    assert outbox_types() == ["AppointmentBooked", "AppointmentCancelled", "SlotFreed"]
    assert queued_sms() == ["booked", "cancelled"]
    detail = json.loads(OutboxItem.get(f"{appointment.appointment_id}:cancelled").detail)
    assert detail["data"]["channel"] == "web" and "phone" not in json.dumps(detail)


def test_racing_cancellations_from_a_stale_read_apply_once(book):
    appointment = book(days=3)
    stale = [appointments.get(appointment.appointment_id) for _ in range(8)]
    results = []

    def cancel(copy):
        results.append(appointments.cancel(copy, channel="sms"))

    threads = [threading.Thread(target=cancel, args=(copy,)) for copy in stale]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(result.changed for result in results) == 1
    assert all(result.appointment.status == "cancelled" for result in results)
    assert outbox_types().count("SlotFreed") == 1
    assert queued_sms().count("cancelled") == 1


def test_a_past_visit_cannot_be_cancelled(book, clock):
    appointment = book(days=1)
    clock(days=2)

    with pytest.raises(InvalidTransition):
        appointments.cancel(appointment, channel="web")
    assert Appointment.get(appointment.appointment_id).status == "booked"


def test_no_show_counts_for_the_patient(book, clock):
    appointment = book(days=1)
    clock(days=2)

    appointments.record_outcome(appointment, "no_show")

    assert Patient.get(appointment.facility_id, "P-1").no_show_count == 1
    assert "AppointmentNoShow" in outbox_types()
