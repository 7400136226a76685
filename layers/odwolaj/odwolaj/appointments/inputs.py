"""What the clinic's system sends for a visit (the body of PUT /api/v1/appointments/{id}), checked."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from odwolaj.core import validation
from odwolaj.core.errors import InvalidInput
from odwolaj.core.pesel import validate_pesel
from odwolaj.core.phone import normalize_phone
from odwolaj.payments.rules import VisitOverride

FIELDS = frozenset({"patient", "starts_at", "service", "duration_minutes", "specialist", "location", "cer_managed",
                    "payment"})
PATIENT_FIELDS = frozenset({"id", "phone", "email", "pesel"})


@dataclass(frozen=True)
class AppointmentInput:
    patient_id: str
    phone: str
    starts_at: datetime
    service: str
    duration_minutes: int = 15
    specialist: str | None = None
    location: str | None = None
    email: str | None = None
    pesel: str | None = None
    cer_managed: bool = False
    payment: VisitOverride | None = None  # staff's prepayment rule for this visit (a right is needed)

    @classmethod
    def from_payload(cls, payload: object) -> AppointmentInput:
        if not isinstance(payload, dict):
            raise InvalidInput("request body must be a JSON object")
        validation.reject_unknown(payload, FIELDS)
        patient = payload.get("patient")
        if not isinstance(patient, dict):
            raise InvalidInput("patient must be an object with id and phone", field="patient")
        validation.reject_unknown(patient, PATIENT_FIELDS, prefix="patient.", field="patient")
        pesel = patient.get("pesel")
        return cls(
            patient_id=validation.text(patient.get("id"), "patient.id", max_len=64),
            phone=normalize_phone(patient.get("phone"), field="patient.phone"),
            email=validation.email(patient.get("email")),
            pesel=validate_pesel(pesel, field="patient.pesel") if pesel is not None else None,
            starts_at=validation.moment(payload.get("starts_at"), "starts_at"),
            service=validation.text(payload.get("service"), "service", max_len=120),
            duration_minutes=validation.whole_number(payload.get("duration_minutes", 15), "duration_minutes", 5, 480,
                                                     required=True),
            specialist=validation.optional_text(payload.get("specialist"), "specialist", 120),
            location=validation.optional_text(payload.get("location"), "location", 200),
            cer_managed=validation.flag(payload.get("cer_managed", False), "cer_managed"),
            payment=VisitOverride.from_payload(payload["payment"]) if payload.get("payment") is not None else None,
        )


def external_id(value: object) -> str:
    """The clinic's own id of a visit (the path's {external_id})."""
    return validation.text(value, "external_id", max_len=64)
