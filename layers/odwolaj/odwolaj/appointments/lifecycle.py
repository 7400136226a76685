"""Appointments: the rules of a visit's life, and every change as a conditional write.

Statuses: booked → confirmed → attended | no_show, and booked/confirmed/awaiting_payment →
cancelled. Each change is a transaction conditioned on the status and version the change was
decided from, so a repeated or racing request cannot apply twice; the outbox items (events)
and the freed slot are written in the same transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from odwolaj import email_out, events
from odwolaj.clock import iso, now, parse_iso, to_utc
from odwolaj.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from odwolaj.ids import new_appointment_id, new_visit_code
from odwolaj.models import Appointment, Cancellation, ExternalRef, FreedSlot, HistoryEntry, Patient
from odwolaj.notifications import queue_sms
from odwolaj.payments import blacklist
from odwolaj.payments import booking as payment_booking
from odwolaj.payments import checkout as payment_checkout
from odwolaj.payments import rules as payment_rules
from odwolaj.payments.rules import VisitOverride
from odwolaj.pesel import validate_pesel
from odwolaj.reminders import reminder_actions, reminder_fields
from odwolaj.phone import normalize_phone
from odwolaj.transactions import condition_failed, transact
from odwolaj.status import (  # noqa: F401 - re-exported: callers name statuses as appointments.X
    ATTENDED, AWAITING_PAYMENT, BOOKED, CANCELLED, CONFIRMED, FINAL, NO_SHOW, OPEN, STATUSES,
)


CHANNELS = ("web", "sms", "email", "clinic_api", "reception", "payment_expired")
CANCEL_REASONS = {
    "cannot_attend": "Nie mogę przyjść w tym terminie",
    "feel_better": "Czuję się lepiej / wizyta niepotrzebna",
    "treated_elsewhere": "Skorzystam z wizyty gdzie indziej",
    "need_other_date": "Potrzebuję innego terminu",
    "other": "Inny powód",
    "not_given": "Nie podano",
    "unpaid": "Nie wpłynęła przedpłata",  # the deadline sweep's, never the patient's choice
}
# Changes the patient gets a message about (cancelled, booked and moved are sent by their own paths).
PATIENT_IS_TOLD = frozenset({CONFIRMED, NO_SHOW})
# Reception may mark attendance from shortly before the visit (patients come early).
ATTENDANCE_EARLIEST = timedelta(hours=1)


# ---------------------------------------------------------------------------------------------
# Input from the clinic's system


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
    def from_payload(cls, payload: object) -> "AppointmentInput":
        if not isinstance(payload, dict):
            raise InvalidInput("request body must be a JSON object")
        known = {"patient", "starts_at", "service", "duration_minutes", "specialist", "location", "cer_managed",
                 "payment"}
        unknown = sorted(set(payload) - known)
        if unknown:
            raise InvalidInput(f"unknown field(s): {', '.join(unknown)}", field=unknown[0])
        patient = payload.get("patient")
        if not isinstance(patient, dict):
            raise InvalidInput("patient must be an object with id and phone", field="patient")
        unknown = sorted(set(patient) - {"id", "phone", "email", "pesel"})
        if unknown:
            raise InvalidInput(f"unknown field(s): {', '.join('patient.' + u for u in unknown)}", field="patient")
        pesel = patient.get("pesel")
        return cls(
            patient_id=_text(patient.get("id"), "patient.id", max_len=64),
            phone=normalize_phone(patient.get("phone"), field="patient.phone"),
            email=_email(patient.get("email")),
            pesel=validate_pesel(pesel, field="patient.pesel") if pesel is not None else None,
            starts_at=parse_moment(payload.get("starts_at"), "starts_at"),
            service=_text(payload.get("service"), "service", max_len=120),
            duration_minutes=_duration(payload.get("duration_minutes", 15)),
            specialist=_optional_text(payload.get("specialist"), "specialist", 120),
            location=_optional_text(payload.get("location"), "location", 200),
            cer_managed=_flag(payload.get("cer_managed", False), "cer_managed"),
            payment=VisitOverride.from_payload(payload["payment"]) if payload.get("payment") is not None else None,
        )


def _text(value: object, field: str, *, max_len: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{field} is required and must be a non-empty string", field=field)
    if len(value) > max_len:
        raise InvalidInput(f"{field} is longer than {max_len} characters", field=field)
    return value.strip()


def _optional_text(value: object, field: str, max_len: int) -> str | None:
    return None if value is None else _text(value, field, max_len=max_len)


def _email(value: object) -> str | None:
    if value is None:
        return None
    text = _text(value, "patient.email", max_len=254)
    local, at, domain = text.partition("@")
    if not at or not local or "." not in domain or " " in text:
        raise InvalidInput("patient.email is not an e-mail address", field="patient.email")
    return text


def parse_moment(value: object, field: str) -> datetime:
    if not isinstance(value, str):
        raise InvalidInput(f"{field} is required: an ISO-8601 date-time with an offset", field=field)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{field} is not an ISO-8601 date-time", field=field) from None
    if moment.tzinfo is None:
        raise InvalidInput(f"{field} needs a UTC offset (e.g. +01:00 or Z)", field=field)
    return to_utc(moment)


def _duration(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 5 <= value <= 480:
        raise InvalidInput("duration_minutes must be a whole number from 5 to 480", field="duration_minutes")
    return value


def _flag(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{field} must be true or false", field=field)
    return value


# ---------------------------------------------------------------------------------------------
# Reading


def get(appointment_id: str) -> Appointment:
    try:
        return Appointment.get(appointment_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("appointment not found") from None


def external_ref(facility_id: str, external_id: str) -> str:
    return f"{facility_id}#{external_id}"


def get_by_external(facility_id: str, external_id: str) -> Appointment:
    try:
        ref = ExternalRef.get(external_ref(facility_id, external_id), consistent_read=True)
    except DoesNotExist:
        raise NotFound("no appointment with this external_id in your facility") from None
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


# ---------------------------------------------------------------------------------------------
# Changes


@dataclass(frozen=True)
class Outcome:
    appointment: Appointment
    changed: bool  # False when the request repeated a change already made
    created: bool = False  # upsert: this request created the appointment


def _history(at: datetime, event: str, channel: str, detail: str | None = None) -> HistoryEntry:
    return HistoryEntry(at=iso(at), event=event, channel=channel, detail=detail)


def upsert(facility_id: str, external_id: str, data: AppointmentInput, *, rights=frozenset()) -> Outcome:
    """Create the appointment, or apply what changed; the same payload twice changes nothing.
    `rights` are the API key's (a per-visit payment rule needs payments:override); the payment
    rules apply when the booking is created, so a later `payment` changes nothing."""
    external_id = _text(external_id, "external_id", max_len=64)
    if data.payment is not None:
        payment_rules.require_override_right(rights)
    try:
        ref = ExternalRef.get(external_ref(facility_id, external_id), consistent_read=True)
    except DoesNotExist:
        try:
            return _create(facility_id, external_id, data, rights)
        except TransactWriteError as error:
            if not condition_failed(error):
                raise
            # Another request created it between our read and write: apply ours as an update.
            ref = ExternalRef.get(external_ref(facility_id, external_id), consistent_read=True)
    return _update(get(ref.appointment_id), data)


def _patient_update(transaction: TransactWrite, facility_id: str, data: AppointmentInput, at: datetime,
                    *, new_booking: str | None = None) -> None:
    actions = [Patient.phone.set(data.phone), Patient.updated_at.set(iso(at))]
    if new_booking:  # a later booking of this patient is not a first-time one (prepayment rules)
        actions += [Patient.bookings_count.add(1), Patient.last_appointment_id.set(new_booking)]
    if data.email:
        actions.append(Patient.email.set(data.email))
    if data.pesel:
        actions.append(Patient.pesel.set(data.pesel))
    transaction.update(Patient(facility_id, data.patient_id), actions=actions)


def _create(facility_id: str, external_id: str, data: AppointmentInput, rights) -> Outcome:
    at = now()
    requirement = payment_booking.requirement_for_booking(facility_id, data, at, rights)
    appointment, write = booking(facility_id, external_id, data, at, requirement=requirement)
    transact(write)
    return Outcome(appointment, changed=True, created=True)


def booking(facility_id: str, external_id: str, data: AppointmentInput, at: datetime, *, requirement=None,
            claim_deadline: datetime | None = None, appointment_id: str | None = None, channel: str = "clinic_api",
            waiting_entry_id: str | None = None, reserve_slot_id: str | None = None):
    """A new appointment and the transaction steps that create it (its external ref, the patient,
    the booked event and SMS, and the payment link's e-mail), for callers that write more in the same transaction. With a
    `claim_deadline` (the reserve list's pay-to-claim), a booking that needs prepayment awaits it
    until then."""
    appointment = Appointment(
        appointment_id=appointment_id or new_appointment_id(),
        facility_id=facility_id,
        external_id=external_id,
        patient_id=data.patient_id,
        phone=data.phone,
        email=data.email,
        pesel=data.pesel,
        starts_at=iso(data.starts_at),
        duration_minutes=data.duration_minutes,
        service=data.service,
        specialist=data.specialist,
        location=data.location,
        status=BOOKED,
        version=1,
        visit_code=new_visit_code(),
        cer_managed=data.cer_managed,
        waiting_entry_id=waiting_entry_id,
        reserve_slot_id=reserve_slot_id,
        history=[_history(at, "booked", channel)],
        created_at=iso(at),
        updated_at=iso(at),
    )
    for name, value in reminder_fields(appointment, at).items():
        setattr(appointment, name, value)
    message_kind = payment_booking.apply(appointment, requirement, claim_deadline=claim_deadline)
    event = events.DomainEvent(
        events.APPOINTMENT_BOOKED,
        facility_id,
        f"{appointment.appointment_id}:booked:1",
        _event_data(appointment),
    )

    def write(transaction: TransactWrite) -> None:
        transaction.save(
            ExternalRef(external_ref(facility_id, external_id), appointment_id=appointment.appointment_id),
            condition=ExternalRef.ref.does_not_exist(),
        )
        transaction.save(appointment, condition=Appointment.appointment_id.does_not_exist())
        _patient_update(transaction, facility_id, data, at, new_booking=appointment.appointment_id)
        transaction.save(event.to_outbox(at))
        transaction.save(queue_sms(appointment, message_kind, at, "booked"))
        for email in email_out.queue_for(appointment, message_kind, at):  # the payment link, by e-mail too
            transaction.save(email)
        if payment_checkout.requires_payment(appointment):  # pending in the payments report from now on
            transaction.save(payment_checkout.record_for(appointment, at))

    return appointment, write


def _update(appointment: Appointment, data: AppointmentInput) -> Outcome:
    changes = {
        name: getattr(data, name) if name != "starts_at" else iso(data.starts_at)
        for name in ("patient_id", "phone", "email", "pesel", "starts_at", "duration_minutes",
                     "service", "specialist", "location", "cer_managed")
        if (getattr(data, name) if name != "starts_at" else iso(data.starts_at)) != getattr(appointment, name)
    }
    if not changes:
        return Outcome(appointment, changed=False)
    if appointment.status in FINAL:
        raise InvalidTransition(
            f"appointment is {appointment.status} and can no longer be changed; "
            "book a new one with a new external_id",
            current_status=appointment.status,
        )
    at = now()
    moved = "starts_at" in changes
    new_version = appointment.version + 1
    new_status = appointment.status
    if moved and appointment.status == CONFIRMED:
        new_status = BOOKED  # a confirmation was for the old time
    kind = events.APPOINTMENT_MOVED if moved else events.APPOINTMENT_UPDATED
    previous_start = appointment.starts_at
    entry = _history(at, "moved" if moved else "updated", "clinic_api", ",".join(sorted(changes)))
    actions = [getattr(Appointment, name).set(value) for name, value in changes.items()]
    actions += [
        Appointment.status.set(new_status),
        Appointment.version.set(new_version),
        Appointment.updated_at.set(iso(at)),
        Appointment.history.set(Appointment.history.append([entry])),
    ]
    updated = _copy(appointment, status=new_status, version=new_version, updated_at=iso(at),
                    history=[*appointment.history, entry], **changes)
    if moved or "cer_managed" in changes:
        actions += reminder_actions(updated, at)
    if moved:
        for name, value in payment_booking.moved_fields(updated).items():
            actions.append(getattr(Appointment, name).set(value))
            setattr(updated, name, value)
    data_out = _event_data(updated)
    if moved:
        data_out["previous_starts_at"] = previous_start
    event = events.DomainEvent(kind, appointment.facility_id, f"{appointment.appointment_id}:{kind}:{new_version}", data_out)

    def write(transaction: TransactWrite) -> None:
        transaction.update(appointment, actions=actions, condition=_unchanged_since(appointment))
        _patient_update(transaction, appointment.facility_id, data, at)
        transaction.save(event.to_outbox(at))
        if moved:
            transaction.save(queue_sms(updated, "moved", at, f"moved:{new_version}"))

    try:
        transact(write)
    except TransactWriteError as error:
        if condition_failed(error):
            raise Conflict("appointment changed while this request was processed; retry") from None
        raise
    return Outcome(updated, changed=True)


def _unchanged_since(appointment: Appointment):
    return (Appointment.status == appointment.status) & (Appointment.version == appointment.version)


def _copy(appointment: Appointment, **changes) -> Appointment:
    values = appointment.attribute_values.copy()
    values.update(changes)
    return Appointment(**values)


def _event_data(appointment: Appointment) -> dict:
    """What subscribers get: references and schedule, never the patient's contact data."""
    data = {
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


def payment_view(appointment: Appointment) -> dict | None:
    """The prepayment asked for, as integrators and subscribers see it (None when none)."""
    if not appointment.payment_mode:
        return None
    return {"mode": appointment.payment_mode, "amount": int(appointment.payment_amount),
            "kind": appointment.payment_kind, "deadline": appointment.payment_deadline}


def cancel(appointment: Appointment, *, channel: str, reason: str = "not_given") -> Outcome:
    """Cancel and free the slot. Cancelling an already cancelled visit is a success that changes
    nothing (a double click, a reload, a resent SMS)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    if reason not in CANCEL_REASONS:
        raise InvalidInput(f"reason must be one of: {', '.join(CANCEL_REASONS)}", field="reason")
    if appointment.status == CANCELLED:
        return Outcome(appointment, changed=False)
    if appointment.status not in OPEN:
        raise InvalidTransition(f"appointment is {appointment.status}", current_status=appointment.status)
    at = now()
    starts_at = parse_iso(appointment.starts_at)
    if starts_at <= at:
        raise InvalidTransition("the visit has already started", current_status="past")
    lead_minutes = int((starts_at - at).total_seconds() // 60)
    version = appointment.version + 1
    cancellation = Cancellation(channel=channel, reason=reason, cancelled_at=iso(at), lead_time_minutes=lead_minutes)
    entry = _history(at, "cancelled", channel, reason)
    cancelled = _copy(appointment, status=CANCELLED, version=version, cancellation=cancellation,
                      history=[*appointment.history, entry], updated_at=iso(at))
    data = _event_data(cancelled) | {"channel": channel, "reason": reason, "lead_time_minutes": lead_minutes}
    cancelled_event = events.DomainEvent(
        events.APPOINTMENT_CANCELLED, appointment.facility_id, f"{appointment.appointment_id}:cancelled", data
    )
    slot = FreedSlot(
        slot_id=appointment.appointment_id,
        facility_id=appointment.facility_id,
        starts_at=appointment.starts_at,
        duration_minutes=appointment.duration_minutes,
        service=appointment.service,
        specialist=appointment.specialist,
        location=appointment.location,
        source="payment_expired" if channel == "payment_expired" else "cancellation",
        freed_at=iso(at),
    )
    slot_event = events.DomainEvent(
        events.SLOT_FREED,
        appointment.facility_id,
        f"{appointment.appointment_id}:slot-freed",
        {"slot_id": slot.slot_id, "starts_at": slot.starts_at, "duration_minutes": slot.duration_minutes,
         "service": slot.service, "specialist": slot.specialist, "source": slot.source},
    )

    def write(transaction: TransactWrite) -> None:
        transaction.update(
            appointment,
            actions=[
                Appointment.status.set(CANCELLED),
                Appointment.version.set(version),
                Appointment.cancellation.set(cancellation),
                Appointment.updated_at.set(iso(at)),
                *reminder_actions(cancelled, at),
                *payment_booking.release_actions(appointment),
                Appointment.history.set(Appointment.history.append([entry])),
            ],
            condition=_unchanged_since(appointment),
        )
        transaction.save(slot, condition=FreedSlot.slot_id.does_not_exist())
        transaction.save(cancelled_event.to_outbox(at))
        transaction.save(slot_event.to_outbox(at))
        if channel == "payment_expired":
            transaction.save(events.DomainEvent(events.PAYMENT_EXPIRED, appointment.facility_id,
                                                f"{appointment.appointment_id}:payment-expired", data).to_outbox(at))
        transaction.save(queue_sms(appointment, "payment_expired" if channel == "payment_expired" else "cancelled",
                                   at, "cancelled"))

    return _apply(appointment, write, cancelled)


def confirm(appointment: Appointment, *, channel: str) -> Outcome:
    """The patient says they will come. Confirming twice is a success that changes nothing."""
    if appointment.status == CONFIRMED:
        return Outcome(appointment, changed=False)
    if appointment.status != BOOKED:
        raise InvalidTransition(f"appointment is {appointment.status}", current_status=appointment.status)
    at = now()
    if parse_iso(appointment.starts_at) <= at:
        raise InvalidTransition("the visit has already started", current_status="past")
    return _simple_transition(appointment, CONFIRMED, "confirmed", events.APPOINTMENT_CONFIRMED, channel, at)


def record_outcome(appointment: Appointment, outcome: str, *, reason: str = "not_given") -> Outcome:
    """Reception's record: attended, no_show, or cancelled (which frees the slot like any cancel)."""
    if outcome == CANCELLED:
        return cancel(appointment, channel="reception", reason=reason)
    if outcome not in (ATTENDED, NO_SHOW):
        raise InvalidInput("outcome must be one of: attended, no_show, cancelled", field="outcome")
    if appointment.status == outcome:
        return Outcome(appointment, changed=False)
    if appointment.status not in OPEN:
        raise InvalidTransition(f"appointment is {appointment.status}", current_status=appointment.status)
    at = now()
    starts_at = parse_iso(appointment.starts_at)
    if outcome == ATTENDED and at < starts_at - ATTENDANCE_EARLIEST:
        raise InvalidTransition("attendance can be recorded from one hour before the visit", current_status="future")
    if outcome == NO_SHOW and at < starts_at:
        raise InvalidTransition("a no-show can be recorded once the visit has started", current_status="future")
    kind = events.APPOINTMENT_ATTENDED if outcome == ATTENDED else events.APPOINTMENT_NO_SHOW
    return _simple_transition(appointment, outcome, outcome, kind, "reception", at)


def _simple_transition(appointment: Appointment, status: str, label: str, kind: str, channel: str,
                       at: datetime) -> Outcome:
    version = appointment.version + 1
    entry = _history(at, label, channel)
    changed = _copy(appointment, status=status, version=version, history=[*appointment.history, entry],
                    updated_at=iso(at))
    event = events.DomainEvent(kind, appointment.facility_id, f"{appointment.appointment_id}:{label}:{version}",
                               _event_data(changed) | {"channel": channel})

    def write(transaction: TransactWrite) -> None:
        transaction.update(
            appointment,
            actions=[
                Appointment.status.set(status),
                Appointment.version.set(version),
                Appointment.updated_at.set(iso(at)),
                Appointment.history.set(Appointment.history.append([entry])),
                *reminder_actions(changed, at),
                *payment_booking.release_actions(appointment),
            ],
            condition=_unchanged_since(appointment),
        )
        if status == NO_SHOW:
            # Counted per patient, with its date: the blacklist rule (prepayment) reads them.
            blacklist.record_no_show(transaction, appointment, at)
        transaction.save(event.to_outbox(at))
        if status in PATIENT_IS_TOLD:
            transaction.save(queue_sms(appointment, status, at, f"{label}:{version}"))

    return _apply(appointment, write, changed)


def _apply(appointment: Appointment, write, result: Appointment) -> Outcome:
    """Run a status change. Losing a race to a request that made the same change is the same
    success (a double click, a resent SMS); losing it to any other change is a conflict."""
    try:
        transact(write)
    except TransactWriteError as error:
        if not condition_failed(error):
            raise
        current = get(appointment.appointment_id)
        if current.status == result.status:
            return Outcome(current, changed=False)
        raise Conflict("appointment changed while this request was processed; retry") from None
    return Outcome(result, changed=True)


def request_rebook(appointment: Appointment) -> Outcome:
    """After cancelling, the patient asks the clinic for a new date: the clinic gets an event."""
    if appointment.status != CANCELLED:
        raise InvalidTransition("only a cancelled visit can ask for a new date", current_status=appointment.status)
    event = events.DomainEvent(events.REBOOK_REQUESTED, appointment.facility_id,
                               f"{appointment.appointment_id}:rebook", _event_data(appointment))
    # The outbox id is the cause: asking twice writes nothing the second time.
    return Outcome(appointment, changed=event.to_outbox(now()).save_once())
