"""An appointment as others see it: the events' data (references and schedule, never the patient's
contact data) and the prepayment asked for."""
from __future__ import annotations

from typing import Any

from odwolaj.data.models import Appointment


def event_data(appointment: Appointment) -> dict[str, Any]:
    """What subscribers get: references and schedule, never the patient's contact data."""
    data: dict[str, Any] = {
        "appointment_id": appointment.appointment_id,
        "external_id": appointment.external_id,
        "status": appointment.status,
        "starts_at": appointment.starts_at,
        "service": appointment.service,
        "specialist": appointment.specialist,
    }
    if appointment.payment_mode:
        data["payment"] = payment_view(appointment)
    return data


def payment_view(appointment: Appointment) -> dict[str, Any] | None:
    """The prepayment asked for, as integrators and subscribers see it (None when none)."""
    if not appointment.payment_mode:
        return None
    return {"mode": appointment.payment_mode, "amount": int(appointment.payment_amount),
            "kind": appointment.payment_kind, "deadline": appointment.payment_deadline}
