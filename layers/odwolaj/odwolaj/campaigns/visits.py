"""Bookings through the API count as history: the appointment events on the bus keep the patient
index in step (a visit booked ahead, the last attended visit and its specialty), count a booking
for the patient's campaigns, and open a rebook nudge after a cancellation.

Each event is applied from the appointment as it is now, not from the event's own data, so events
that arrive twice or out of order leave the same state.
"""
from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DoesNotExist

from odwolaj.campaigns import history, rebook
from odwolaj.campaigns.records import normalise_specialty
from odwolaj.core.clock import WARSAW, now, parse_iso
from odwolaj.data.models import Appointment
from odwolaj.data.status import ATTENDED, CANCELLED, OPEN

BOOKINGS = frozenset({"AppointmentBooked", "AppointmentReinstated"})


def on_event(detail_type: str, appointment_id: str, at: datetime | None = None) -> str:
    """Apply one appointment event; returns what was done (for the log)."""
    at = at or now()
    try:
        appointment = Appointment.get(appointment_id, consistent_read=True)
    except DoesNotExist:
        return "unknown_appointment"
    facility_id, patient_id = appointment.facility_id, appointment.patient_id
    starts_at = parse_iso(appointment.starts_at)
    day = starts_at.astimezone(WARSAW).date()
    if appointment.status in OPEN and starts_at > at:
        history.set_booked_visits(facility_id, patient_id, {appointment_id: day.isoformat()}, [])
    else:
        history.set_booked_visits(facility_id, patient_id, {}, [appointment_id])
    if appointment.status == ATTENDED:
        history.record_attended(facility_id, patient_id, day)
        history.add_specialty(facility_id, patient_id, normalise_specialty(appointment.service))
    if detail_type in BOOKINGS:
        history.record_booking(facility_id, patient_id, parse_iso(appointment.created_at))
    if appointment.status == CANCELLED:
        rebook.on_cancellation(appointment, at)
    return appointment.status
