"""The booking side of prepayment: a booking that must be paid is only reserved (`awaiting_payment`)
until paid, carries its deadline and the keys of the sparse `payments_due` index (so the deadline
sweep finds it), and its patient gets the payment link by SMS with the deadline in words. A booking
whose payment is optional stays `booked`, with the amount recorded and the link sent.

Everything here prepares a new appointment for the caller's transaction (`lifecycle.booking`);
nothing writes on its own, so the appointment, its index keys and its message are written together
or not at all.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from pynamodb.expressions.update import Action

from odwolaj.core.clock import iso, parse_iso
from odwolaj.core.sharding import shard_of
from odwolaj.data.models import Appointment
from odwolaj.data.status import AWAITING_PAYMENT, BOOKED
from odwolaj.payments import rules
from odwolaj.payments.rules import PaymentRequirement

SHARD_PREFIX = "p"
PAYMENT_LINK = "payment_link"  # message kinds (odwolaj.language.texts)
PAYMENT_OPTIONAL = "payment_optional"


class Booking(Protocol):
    """What the rules read of a booking the clinic pushes (an appointments.inputs.AppointmentInput)."""

    @property
    def patient_id(self) -> str: ...
    @property
    def specialist(self) -> str | None: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def payment(self) -> rules.VisitOverride | None: ...


def requirement_for_booking(facility_id: str, data: Booking, at: datetime, rights: Iterable[str] = ()) \
        -> PaymentRequirement | None:
    """The requirement for a booking the clinic pushes. A per-visit `payment` needs the key's right
    payments:override (Forbidden otherwise)."""
    if data.payment is not None:
        rules.require_override_right(rights)
    return rules.requirement_for(facility_id, patient_id=data.patient_id, specialist=data.specialist,
                                 starts_at=data.starts_at, booked_at=at, override=data.payment)


def due_keys(appointment_id: str, deadline: datetime) -> dict[str, str]:
    """The `payments_due` index keys: present only while the booking awaits payment."""
    return {"payment_shard": shard_of(appointment_id, SHARD_PREFIX), "payment_due_at": iso(deadline)}


def apply(appointment: Appointment, requirement: PaymentRequirement | None, *,
          claim_deadline: datetime | None = None) -> str:
    """Set a new (unsaved) appointment's status and payment fields; returns the message kind its
    patient gets: the payment link (mandatory), the optional payment link, or the plain booking.
    A `claim_deadline` (the reserve list's pay-to-claim window) cuts a mandatory payment's deadline."""
    if requirement is None:
        return "booked"
    if requirement.mode == rules.MANDATORY:
        deadline = requirement.deadline
        if claim_deadline is not None:
            deadline = min(claim_deadline, deadline) if deadline else claim_deadline
        mark_awaiting_payment(appointment, requirement, deadline=deadline)
        return PAYMENT_LINK
    appointment.status = BOOKED
    _record(appointment, requirement)
    return PAYMENT_OPTIONAL


def _record(appointment: Appointment, requirement: PaymentRequirement) -> None:
    appointment.payment_mode = requirement.mode
    appointment.payment_amount = requirement.amount
    appointment.payment_kind = requirement.kind


def mark_awaiting_payment(appointment: Appointment, requirement: PaymentRequirement, *,
                          deadline: datetime | None = None) -> None:
    """Make a new (unsaved) appointment a reservation awaiting payment by `deadline` (default: the
    requirement's own). Whatever the requirement's mode, the payment is then mandatory."""
    deadline = deadline or requirement.deadline
    if deadline is None:
        raise ValueError("a booking awaiting payment needs a deadline")
    appointment.status = AWAITING_PAYMENT
    _record(appointment, requirement)
    appointment.payment_mode = rules.MANDATORY
    appointment.payment_deadline = iso(deadline)
    for name, value in due_keys(appointment.appointment_id, deadline).items():
        setattr(appointment, name, value)


def release_actions(appointment: Appointment) -> list[Action]:
    """Update actions that take a booking out of the `payments_due` index (it no longer awaits
    payment: cancelled, expired, or any other change of status)."""
    if appointment.payment_shard is None:
        return []
    return [Appointment.payment_shard.remove(), Appointment.payment_due_at.remove()]


def moved_fields(moved: Appointment) -> dict[str, Any]:
    """The payment fields to change when a booking awaiting payment is moved: its deadline stays, but
    never after the visit (a visit moved earlier than it takes the visit's start)."""
    if moved.status != AWAITING_PAYMENT or not moved.payment_deadline or moved.payment_deadline <= moved.starts_at:
        return {}
    return {"payment_deadline": moved.starts_at, **due_keys(moved.appointment_id, parse_iso(moved.starts_at))}
