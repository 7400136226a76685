"""Reading appointments: by id, by the clinic's own id, a facility's visits in a period."""
from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DoesNotExist

from odwolaj.core.clock import iso
from odwolaj.core.errors import NotFound
from odwolaj.data.models import Appointment, ExternalRef


def get(appointment_id: str) -> Appointment:
    try:
        return Appointment.get(appointment_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("appointment not found") from None


def external_ref(facility_id: str, external_id: str) -> str:
    return f"{facility_id}#{external_id}"


def find_external(facility_id: str, external_id: str) -> ExternalRef | None:
    """The reference from the clinic's id to ours, or None for a visit not pushed yet."""
    try:
        return ExternalRef.get(external_ref(facility_id, external_id), consistent_read=True)
    except DoesNotExist:
        return None


def get_by_external(facility_id: str, external_id: str) -> Appointment:
    ref = find_external(facility_id, external_id)
    if ref is None:
        raise NotFound("no appointment with this external_id in your facility")
    appointment = get(ref.appointment_id)
    if appointment.facility_id != facility_id:  # defence in depth: refs are facility-scoped already
        raise NotFound("no appointment with this external_id in your facility")
    return appointment


def list_for_facility(facility_id: str, start: datetime, end: datetime, limit: int = 200,
                      after: tuple[str, str] | None = None) -> list[Appointment]:
    """In time order; `after` is (starts_at, appointment_id) of the last item of the previous page."""
    condition = Appointment.starts_at.between(iso(start), iso(end))
    start_key = None
    if after:
        start_key = {"facility_id": {"S": facility_id}, "starts_at": {"S": after[0]},
                     "appointment_id": {"S": after[1]}}
    return list(Appointment.by_facility_start.query(facility_id, condition, limit=limit,
                                                    last_evaluated_key=start_key))
