"""Taking a free slot: the one transaction step that gives a slot to one patient, shared by the
reserve list's offers (odwolaj.reserve.claims) and the clinic's published slots taken from a
campaign's page (odwolaj.campaigns.slots).

The step books the visit (appointments.booking, with the prepayment rules: a patient who must
prepay gets a booking that holds the slot only for the claim window, pay-to-claim) and moves the
slot to filled, or to claimed while the booking awaits payment, on the caller's condition on the
slot (still offering this offer's wave; still free), with SlotFilled for the clinic once it is
filled. The caller adds its own steps (the offer and the entry; the campaign member) to the same
transaction, so exactly one patient gets the slot however many try at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from odwolaj.appointments import lifecycle as appointments
from odwolaj.appointments.inputs import AppointmentInput
from odwolaj.core.clock import iso, parse_iso
from odwolaj.core.transactions import Write
from odwolaj.data import events
from odwolaj.data.models import Appointment, FreedSlot
from odwolaj.data.status import AWAITING_PAYMENT
from odwolaj.payments import rules as payment_rules

FILLED, CLAIMED = "filled", "claimed"
PUBLISHED = "published"  # a slot the clinic published (PUT /api/v1/slots): never offered to the reserve list


def slot_data(slot: FreedSlot) -> dict[str, Any]:
    return {"slot_id": slot.slot_id, "starts_at": slot.starts_at, "service": slot.service,
            "specialist": slot.specialist, "source": slot.source}


def minutes_since_freed(slot: FreedSlot, at: datetime) -> float:
    return round((at - parse_iso(slot.freed_at)).total_seconds() / 60, 2)


@dataclass(frozen=True)
class Claim:
    appointment: Appointment
    details: dict[str, Any]  # what the claim's events carry
    write: Write  # the slot, the booking and SlotFilled, for the caller's transaction

    @property
    def awaiting_payment(self) -> bool:
        return self.appointment.status == AWAITING_PAYMENT


def claim(slot: FreedSlot, patient: AppointmentInput, at: datetime, *, external_id: str, appointment_id: str,
          channel: str, condition: Condition, claim_window: timedelta, details: dict[str, Any],
          waiting_entry_id: str | None = None) -> Claim:
    """The steps that give `slot` to `patient` if `condition` still holds on the slot. Raises
    PrepaymentRefused when the patient must prepay and the rules leave no time for it."""
    requirement = payment_rules.requirement_for(slot.facility_id, patient_id=patient.patient_id,
                                                specialist=slot.specialist, starts_at=patient.starts_at, booked_at=at)
    appointment, book = appointments.booking(slot.facility_id, external_id, patient, at, requirement=requirement,
                                             claim_deadline=at + claim_window, appointment_id=appointment_id,
                                             channel=channel, waiting_entry_id=waiting_entry_id,
                                             reserve_slot_id=slot.slot_id)
    awaiting = appointment.status == AWAITING_PAYMENT
    data = {**slot_data(slot), **details, "appointment_id": appointment.appointment_id,
            "offers_made": int(slot.offers_made or 0), "minutes_to_fill": minutes_since_freed(slot, at),
            "awaiting_payment": awaiting, "payment_deadline": appointment.payment_deadline}

    def write(transaction: TransactWrite) -> None:
        transaction.update(slot, actions=[
            FreedSlot.status.set(CLAIMED if awaiting else FILLED),
            FreedSlot.version.set(int(slot.version or 0) + 1),
            FreedSlot.filled_offer_id.set(details["offer_id"]) if details.get("offer_id")
            else FreedSlot.filled_offer_id.remove(),
            FreedSlot.filled_appointment_id.set(appointment.appointment_id),
            FreedSlot.closed_at.set(iso(at)), FreedSlot.offer_shard.remove(), FreedSlot.offer_due_at.remove(),
            FreedSlot.claim_until.remove(), FreedSlot.claimants.remove(),  # a grace window's, if any
        ], condition=condition)
        book(transaction)
        if not awaiting:  # a claim awaiting payment fills the slot once paid (the booking's confirmation)
            transaction.save(events.DomainEvent(events.SLOT_FILLED, slot.facility_id, f"{slot.slot_id}:filled",
                                                data).to_outbox(at))

    return Claim(appointment, data, write)
