"""Open slots the clinic publishes (PUT /api/v1/slots) for its campaigns' pages, and a patient
taking one.

`PUT` replaces the facility's published set: each slot is kept by the clinic's own id (its slot id
is derived from it, so the same body twice changes nothing), a slot still free may be changed, a
taken one stays as it is, and a free slot no longer listed is withdrawn. Published slots live with
the freed ones (Slots table, `source` = published) but the reserve list never offers them. A
patient takes one with the reserve list's own claim (odwolaj.reserve.filling): one transaction on
the condition that the slot is still free, so two patients never get one slot.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist

from odwolaj.appointments.inputs import AppointmentInput
from odwolaj.campaigns import responses
from odwolaj.campaigns.records import normalise_specialty
from odwolaj.core import validation
from odwolaj.core.clock import iso, parse_iso
from odwolaj.core.errors import Conflict, InvalidInput, NotFound
from odwolaj.core.transactions import conditionally
from odwolaj.data.models import CampaignMember, FreedSlot, Patient
from odwolaj.reserve import filling
from odwolaj.reserve.settings import strategy_of
from odwolaj.security.facilities import get_facility

FREE, WITHDRAWN = "free", "withdrawn"
MAX_SLOTS = 500
SLOT_FIELDS = ("id", "starts_at", "duration_minutes", "service", "specialist", "location")
SHOWN = 5  # slots a page offers
LEAD = timedelta(hours=2)  # a slot this close is no longer offered on a page


class SlotTaken(Conflict):
    code = "slot_taken"


@dataclass(frozen=True)
class SlotInput:
    published_id: str
    starts_at: datetime
    duration_minutes: int
    service: str
    specialist: str | None
    location: str | None

    @classmethod
    def from_payload(cls, payload: object, index: int) -> SlotInput:
        prefix = f"slots[{index}]."
        if not isinstance(payload, dict):
            raise InvalidInput(f"{prefix[:-1]} must be an object", field=prefix[:-1])
        validation.reject_unknown(payload, SLOT_FIELDS, prefix=prefix)
        return cls(
            published_id=validation.text(payload.get("id"), prefix + "id", max_len=64),
            starts_at=validation.moment(payload.get("starts_at"), prefix + "starts_at"),
            duration_minutes=validation.whole_number(payload.get("duration_minutes", 15), prefix + "duration_minutes",
                                                     5, 480, required=True),
            service=validation.text(payload.get("service"), prefix + "service", max_len=120),
            specialist=validation.optional_text(payload.get("specialist"), prefix + "specialist", 120),
            location=validation.optional_text(payload.get("location"), prefix + "location", 200),
        )


def slot_key(facility_id: str, published_id: str) -> str:
    return hashlib.sha256(f"published|{facility_id}|{published_id}".encode()).hexdigest()[:16]


def inputs(payload: object) -> list[SlotInput]:
    if not isinstance(payload, dict):
        raise InvalidInput("request body must be a JSON object")
    validation.reject_unknown(payload, ("slots",))
    slots = payload.get("slots")
    if not isinstance(slots, list) or len(slots) > MAX_SLOTS:
        raise InvalidInput(f"slots must be a list of at most {MAX_SLOTS} slots", field="slots")
    parsed = [SlotInput.from_payload(slot, i) for i, slot in enumerate(slots)]
    if len({s.published_id for s in parsed}) != len(parsed):
        raise InvalidInput("each slot's id must be unique", field="slots")
    return parsed


def published(facility_id: str, at: datetime) -> list[FreedSlot]:
    """The facility's published slots from now on, whatever their status."""
    return [slot for slot in FreedSlot.by_facility_start.query(facility_id, FreedSlot.starts_at >= iso(at))
            if slot.source == filling.PUBLISHED]


def publish(facility_id: str, slots: list[SlotInput], at: datetime) -> tuple[list[FreedSlot], int]:
    """Replace the published set; (the slots as they are now, how many were withdrawn)."""
    wanted = {slot_key(facility_id, s.published_id): s for s in slots}
    for slot_id, slot in wanted.items():
        _put(facility_id, slot_id, slot, at)
    withdrawn = sum(_withdraw(current, at) for current in published(facility_id, at)
                    if current.slot_id not in wanted and current.status == FREE)
    return published(facility_id, at), withdrawn


def _withdraw(slot: FreedSlot, at: datetime) -> bool:
    return conditionally(lambda: slot.update(
        actions=[FreedSlot.status.set(WITHDRAWN), FreedSlot.closed_at.set(iso(at))],
        condition=FreedSlot.status == FREE))


def _put(facility_id: str, slot_id: str, slot: SlotInput, at: datetime) -> None:
    fields: dict[str, Any] = {"starts_at": iso(slot.starts_at), "duration_minutes": slot.duration_minutes,
                              "service": slot.service, "specialist": slot.specialist, "location": slot.location}
    new = FreedSlot(slot_id, facility_id=facility_id, source=filling.PUBLISHED, published_id=slot.published_id,
                    freed_at=iso(at), status=FREE, version=1, **fields)
    created = conditionally(lambda: new.save(condition=FreedSlot.slot_id.does_not_exist()))
    if created:
        return
    current = FreedSlot.get(slot_id, consistent_read=True)
    if current.status not in (FREE, WITHDRAWN) or all(getattr(current, k) == v for k, v in fields.items()):
        return  # taken (it stays as it is), or unchanged
    actions = [getattr(FreedSlot, name).set(value) if value is not None else getattr(FreedSlot, name).remove()
               for name, value in fields.items()]
    conditionally(lambda: current.update(
        actions=[*actions, FreedSlot.status.set(FREE), FreedSlot.version.set(int(current.version or 0) + 1)],
        condition=FreedSlot.status.is_in(FREE, WITHDRAWN) & (FreedSlot.version == current.version)))


def view(slot: FreedSlot) -> dict[str, Any]:
    return {"id": slot.published_id, "starts_at": slot.starts_at, "duration_minutes": int(slot.duration_minutes),
            "service": slot.service, "specialist": slot.specialist, "location": slot.location, "status": slot.status,
            "appointment_id": slot.filled_appointment_id}


def offered(facility_id: str, specialties: set[str], at: datetime) -> list[FreedSlot]:
    """What a page offers: free published slots at least two hours ahead, the patient's own
    specialties first, then the soonest."""
    free = [s for s in published(facility_id, at + LEAD) if s.status == FREE]
    return sorted(free, key=lambda s: (normalise_specialty(s.service) not in specialties, s.starts_at))[:SHOWN]


def booking_key(member_id: str, slot_id: str) -> str:
    return hashlib.sha256(f"booking|{member_id}|{slot_id}".encode()).hexdigest()[:16]


def take(member: CampaignMember, slot_id: str, at: datetime, *, channel: str = "web") -> bool:
    """Book the slot for the member's patient; True if this request booked it (a repeat of the
    same booking is False). SlotTaken when someone else was first, NotFound for a slot that is not
    this facility's published slot."""
    try:
        slot = FreedSlot.get(slot_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("slot not found") from None
    if slot.facility_id != member.facility_id or slot.source != filling.PUBLISHED:
        raise NotFound("slot not found")
    if member.booked_appointment_id:
        return False
    if slot.status != FREE or parse_iso(slot.starts_at) <= at:
        raise SlotTaken("the slot was taken")
    patient = Patient.get(member.facility_id, member.patient_id)
    data = AppointmentInput(patient_id=member.patient_id, phone=patient.phone, starts_at=parse_iso(slot.starts_at),
                            service=slot.service, duration_minutes=int(slot.duration_minutes),
                            specialist=slot.specialist, location=slot.location, email=patient.email)
    claim = filling.claim(slot, data, at, external_id=f"reactivation-{member.member_id}-{slot.published_id}",
                          appointment_id=booking_key(member.member_id, slot_id), channel="reactivation",
                          condition=(FreedSlot.status == FREE) & (FreedSlot.version == slot.version),
                          claim_window=strategy_of(get_facility(member.facility_id)).claim_window,
                          details={"campaign_id": member.campaign_id, "member_id": member.member_id,
                                   "channel": channel})

    booked = responses.respond(
        member, responses.BOOKED, channel=channel, at=at, also=claim.write,
        member_actions=[CampaignMember.booked_appointment_id.set(claim.appointment.appointment_id)],
        member_condition=CampaignMember.booked_appointment_id.does_not_exist(),
        detail={"slot": slot.published_id, "starts_at": slot.starts_at, "service": slot.service,
                "appointment_id": claim.appointment.appointment_id})
    if not booked:
        current = FreedSlot.get(slot_id, consistent_read=True)
        if current.filled_appointment_id != claim.appointment.appointment_id:
            raise SlotTaken("the slot was taken")
    return booked
