"""The appointment state machine: every change of a visit, and the one place where one is made.

Statuses (odwolaj.data.status): booked → confirmed → attended | no_show; awaiting_payment (a
booking that must be prepaid) → confirmed when paid; booked, confirmed and awaiting_payment →
cancelled; a booking cancelled for want of payment may be reinstated by its late payment. Every
path (the web page, SMS and e-mail replies, the clinic API, the Stripe webhook, the sweeps) changes
a visit through `transition`: a new version decided from the status and version read, written on
the condition that they are unchanged, so a repeated or racing request cannot apply twice. The
outbox items (events, the patient's message) and the freed slot are written in the same
transaction. `booking` and `transition` hand their writes to callers that write more in the same
transaction (the reserve list's claim, the payment's settlement); `get` (re-exported from store)
reads the visit as it is now, which a change is decided from.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from odwolaj.appointments.inputs import AppointmentInput, external_id as checked_external_id
from odwolaj.appointments.reminders import reminder_actions, reminder_fields
from odwolaj.appointments.store import external_ref, find_external, get as get
from odwolaj.appointments.views import event_data
from odwolaj.core.clock import iso, now, parse_iso
from odwolaj.core.errors import Conflict, InvalidInput, InvalidTransition
from odwolaj.core.ids import new_appointment_id, new_visit_code
from odwolaj.core.transactions import Write, applied, apply_or_conflict
from odwolaj.data import events
from odwolaj.data.models import Appointment, Cancellation, ExternalRef, FreedSlot, HistoryEntry, Patient
from odwolaj.data.outbox import queue_emails_for, queue_sms
from odwolaj.data.status import ATTENDED, AWAITING_PAYMENT, BOOKED, CANCELLED, CONFIRMED, FINAL, NO_SHOW, OPEN
from odwolaj.payments import blacklist, booking as payment_booking, checkout as payment_checkout, rules as payment_rules
from odwolaj.payments.rules import PaymentRequirement

CHANNELS = ("web", "sms", "email", "clinic_api", "reception", "payment_expired")
# Labels as the cancellation page offers them: short, one line each on a phone.
CANCEL_REASONS = {
    "cannot_attend": "Nie dam rady przyjść",
    "feel_better": "Czuję się lepiej",
    "treated_elsewhere": "Leczę się gdzie indziej",
    "need_other_date": "Chcę inny termin",
    "other": "Inny powód",
    "not_given": "Nie podano",
    "unpaid": "Nie wpłynęła przedpłata",  # the deadline sweep's, never the patient's choice
}
# Changes the patient gets a message about (cancelled, booked and moved are sent by their own paths).
PATIENT_IS_TOLD = frozenset({CONFIRMED, NO_SHOW})
# Reception may mark attendance from shortly before the visit (patients come early).
ATTENDANCE_EARLIEST = timedelta(hours=1)
# What the clinic's system may change of a visit (AppointmentInput's fields but the payment rule).
UPDATABLE = ("patient_id", "phone", "email", "pesel", "starts_at", "duration_minutes", "service", "specialist",
             "location", "cer_managed")
RACED = "appointment changed while this request was processed; retry"


@dataclass(frozen=True)
class Outcome:
    appointment: Appointment
    changed: bool  # False when the request repeated a change already made
    created: bool = False  # upsert: this request created the appointment


# ---------------------------------------------------------------------------------------------
# The transition builder


def history_entry(at: datetime, event: str, channel: str, detail: str | None = None) -> HistoryEntry:
    return HistoryEntry(at=iso(at), event=event, channel=channel, detail=detail)


def unchanged_since(appointment: Appointment) -> Condition:
    """The condition of every change: the status and version it was decided from still hold."""
    condition: Condition = (Appointment.status == appointment.status) & (Appointment.version == appointment.version)
    return condition


@dataclass(frozen=True)
class Transition:
    """One change of an appointment decided from `before` (as read): `after` is the appointment it
    makes and `actions` the update that makes it, written on the condition that `before` still holds."""

    before: Appointment
    after: Appointment
    actions: list[Action]

    @property
    def version(self) -> int:
        return int(self.after.version)

    def write(self, transaction: TransactWrite) -> None:
        transaction.update(self.before, actions=self.actions, condition=unchanged_since(self.before))


def transition(appointment: Appointment, status: str, *, event: str, channel: str, at: datetime,
               detail: str | None = None, reschedule: bool = True, **changes: Any) -> Transition:
    """The one way an appointment changes: a new version in `status`, a history entry (`event`,
    `channel`, `detail`) and the attributes in `changes` (None removes one). The reminder index is
    pointed at the next reminder (`reschedule=False`: a change that moves nothing leaves it as it is);
    a booking that no longer awaits payment leaves the payment deadline sweep's index."""
    entry = history_entry(at, event, channel, detail)
    version = int(appointment.version) + 1
    release = payment_booking.release_actions(appointment) if status != AWAITING_PAYMENT else []
    if release:
        changes = {**changes, "payment_shard": None, "payment_due_at": None}
    values = appointment.attribute_values.copy()
    values.update(changes, status=status, version=version, updated_at=iso(at), history=[*appointment.history, entry])
    after = Appointment(**values)
    actions: list[Action] = [
        Appointment.status.set(status), Appointment.version.set(version), Appointment.updated_at.set(iso(at)),
        Appointment.history.set(Appointment.history.append([entry])),
        *(getattr(Appointment, name).set(value) if value is not None else getattr(Appointment, name).remove()
          for name, value in changes.items() if name not in ("payment_shard", "payment_due_at") or not release),
        *release,
    ]
    if reschedule:
        actions += reminder_actions(after, at)
    return Transition(appointment, after, actions)


def _change(change: Transition, write: Write) -> Outcome:
    """Run a status change. Losing a race to a request that made the same change is the same
    success (a double click, a resent SMS); losing it to any other change is a conflict."""
    if applied(write):
        return Outcome(change.after, changed=True)
    current = get(change.before.appointment_id)
    if current.status == change.after.status:
        return Outcome(current, changed=False)
    raise Conflict(RACED)


# ---------------------------------------------------------------------------------------------
# Booking and the clinic's updates


def upsert(facility_id: str, external_id: str, data: AppointmentInput, *,
           rights: frozenset[str] = frozenset(), channel: str = "clinic_api") -> Outcome:
    """Create the appointment, or apply what changed; the same payload twice changes nothing.
    `rights` are the API key's (a per-visit payment rule needs payments:override); the payment
    rules apply when the booking is created, so a later `payment` changes nothing. `channel` is
    who booked or changed it, as its history says: the clinic's system, or `reception` (staff in
    the console)."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    external_id = checked_external_id(external_id)
    if data.payment is not None:
        payment_rules.require_override_right(rights)
    ref = find_external(facility_id, external_id)
    if ref is None:
        at = now()
        requirement = payment_booking.requirement_for_booking(facility_id, data, at, rights)
        appointment, write = booking(facility_id, external_id, data, at, requirement=requirement, channel=channel)
        if applied(write):
            return Outcome(appointment, changed=True, created=True)
        # Another request created it between our read and write: apply ours as an update.
        ref = ExternalRef.get(external_ref(facility_id, external_id), consistent_read=True)
    return _update(get(ref.appointment_id), data, channel)


def _patient_update(transaction: TransactWrite, facility_id: str, data: AppointmentInput, at: datetime,
                    *, new_booking: str | None = None) -> None:
    actions: list[Action] = [Patient.phone.set(data.phone), Patient.updated_at.set(iso(at))]
    if new_booking:  # a later booking of this patient is not a first-time one (prepayment rules)
        actions += [Patient.bookings_count.add(1), Patient.last_appointment_id.set(new_booking)]
    if data.email:
        actions.append(Patient.email.set(data.email))
    if data.pesel:
        actions.append(Patient.pesel.set(data.pesel))
    transaction.update(Patient(facility_id, data.patient_id), actions=actions)


def booking(facility_id: str, external_id: str, data: AppointmentInput, at: datetime, *,
            requirement: PaymentRequirement | None = None, claim_deadline: datetime | None = None,
            appointment_id: str | None = None, channel: str = "clinic_api", waiting_entry_id: str | None = None,
            reserve_slot_id: str | None = None) -> tuple[Appointment, Write]:
    """A new appointment and the transaction steps that create it (its external ref, the patient,
    the booked event and SMS, and the payment link's e-mail), for callers that write more in the
    same transaction. With a `claim_deadline` (the reserve list's pay-to-claim), a booking that
    needs prepayment awaits it until then."""
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
        history=[history_entry(at, "booked", channel)],
        created_at=iso(at),
        updated_at=iso(at),
    )
    for name, value in reminder_fields(appointment, at).items():
        setattr(appointment, name, value)
    message_kind = payment_booking.apply(appointment, requirement, claim_deadline=claim_deadline)
    event = events.DomainEvent(events.APPOINTMENT_BOOKED, facility_id, f"{appointment.appointment_id}:booked:1",
                               event_data(appointment))

    def write(transaction: TransactWrite) -> None:
        transaction.save(
            ExternalRef(external_ref(facility_id, external_id), appointment_id=appointment.appointment_id),
            condition=ExternalRef.ref.does_not_exist(),
        )
        transaction.save(appointment, condition=Appointment.appointment_id.does_not_exist())
        _patient_update(transaction, facility_id, data, at, new_booking=appointment.appointment_id)
        transaction.save(event.to_outbox(at))
        transaction.save(queue_sms(appointment, message_kind, at, "booked"))
        for email in queue_emails_for(appointment, message_kind, at):  # the payment link, by e-mail too
            transaction.save(email)
        if payment_checkout.requires_payment(appointment):  # pending in the payments report from now on
            transaction.save(payment_checkout.record_for(appointment, at))

    return appointment, write


def _update(appointment: Appointment, data: AppointmentInput, channel: str) -> Outcome:
    wanted = {name: iso(data.starts_at) if name == "starts_at" else getattr(data, name) for name in UPDATABLE}
    changes = {name: value for name, value in wanted.items() if value != getattr(appointment, name)}
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
    if moved:  # a payment deadline stays, but never after the visit
        moved_to = Appointment(**{**appointment.attribute_values, **changes})
        changes |= payment_booking.moved_fields(moved_to)
    # A confirmation was for the old time.
    status = BOOKED if moved and appointment.status == CONFIRMED else appointment.status
    change = transition(appointment, status, event="moved" if moved else "updated", channel=channel, at=at,
                        detail=",".join(sorted(name for name in changes if name in UPDATABLE)),
                        reschedule=moved or "cer_managed" in changes, **changes)
    kind = events.APPOINTMENT_MOVED if moved else events.APPOINTMENT_UPDATED
    # Where the visit was counted before (the outcome statistics move it): time, service, specialist, status.
    data_out = event_data(change.after) | {"previous_service": appointment.service,
                                           "previous_specialist": appointment.specialist,
                                           "previous_status": appointment.status}
    if moved:
        data_out["previous_starts_at"] = appointment.starts_at
    event = events.DomainEvent(kind, appointment.facility_id, f"{appointment.appointment_id}:{kind}:{change.version}",
                               data_out)

    def write(transaction: TransactWrite) -> None:
        change.write(transaction)
        _patient_update(transaction, appointment.facility_id, data, at)
        transaction.save(event.to_outbox(at))
        if moved:
            transaction.save(queue_sms(change.after, "moved", at, f"moved:{change.version}"))

    apply_or_conflict(write, RACED)
    return Outcome(change.after, changed=True)


# ---------------------------------------------------------------------------------------------
# The patient's and reception's changes


def _already(appointment: Appointment, status: str) -> Outcome | None:
    """A visit already in `status` is a success that changes nothing (a double click, a resent
    SMS); one that is over or cancelled can no longer change (InvalidTransition); None: go ahead."""
    if appointment.status == status:
        return Outcome(appointment, changed=False)
    if appointment.status not in OPEN:
        raise InvalidTransition(f"appointment is {appointment.status}", current_status=appointment.status)
    return None


def cancel(appointment: Appointment, *, channel: str, reason: str = "not_given", also: Write | None = None) -> Outcome:
    """Cancel and free the slot. Cancelling an already cancelled visit is a success that changes
    nothing (a double click, a reload, a resent SMS). `also` adds the caller's steps to the same
    transaction (an SMS reply: the conversation it answers); they are not written when nothing changes."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    if reason not in CANCEL_REASONS:
        raise InvalidInput(f"reason must be one of: {', '.join(CANCEL_REASONS)}", field="reason")
    if (repeated := _already(appointment, CANCELLED)) is not None:
        return repeated
    at = now()
    starts_at = parse_iso(appointment.starts_at)
    if starts_at <= at:
        raise InvalidTransition("the visit has already started", current_status="past")
    lead_minutes = int((starts_at - at).total_seconds() // 60)
    cancellation = Cancellation(channel=channel, reason=reason, cancelled_at=iso(at), lead_time_minutes=lead_minutes)
    change = transition(appointment, CANCELLED, event="cancelled", channel=channel, at=at, detail=reason,
                        cancellation=cancellation)
    data = event_data(change.after) | {"channel": channel, "reason": reason, "lead_time_minutes": lead_minutes,
                                       "previous_status": appointment.status}
    expired = channel == "payment_expired"
    cancelled_event = events.DomainEvent(events.APPOINTMENT_CANCELLED, appointment.facility_id,
                                         f"{appointment.appointment_id}:cancelled", data)
    slot = FreedSlot(
        slot_id=appointment.appointment_id,
        facility_id=appointment.facility_id,
        starts_at=appointment.starts_at,
        duration_minutes=appointment.duration_minutes,
        service=appointment.service,
        specialist=appointment.specialist,
        location=appointment.location,
        source="payment_expired" if expired else "cancellation",
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
        change.write(transaction)
        transaction.save(slot, condition=FreedSlot.slot_id.does_not_exist())
        transaction.save(cancelled_event.to_outbox(at))
        transaction.save(slot_event.to_outbox(at))
        if expired:
            transaction.save(events.DomainEvent(events.PAYMENT_EXPIRED, appointment.facility_id,
                                                f"{appointment.appointment_id}:payment-expired", data).to_outbox(at))
        transaction.save(queue_sms(appointment, "payment_expired" if expired else "cancelled", at, "cancelled"))
        if also is not None:
            also(transaction)

    return _change(change, write)


def confirm(appointment: Appointment, *, channel: str, also: Write | None = None) -> Outcome:
    """The patient says they will come. Confirming twice is a success that changes nothing. `also`:
    the caller's steps in the same transaction, as for `cancel`."""
    if appointment.status == CONFIRMED:
        return Outcome(appointment, changed=False)
    if appointment.status != BOOKED:
        raise InvalidTransition(f"appointment is {appointment.status}", current_status=appointment.status)
    at = now()
    if parse_iso(appointment.starts_at) <= at:
        raise InvalidTransition("the visit has already started", current_status="past")
    return _simple(appointment, CONFIRMED, events.APPOINTMENT_CONFIRMED, channel, at, also)


def record_outcome(appointment: Appointment, outcome: str, *, reason: str = "not_given",
                   also: Write | None = None) -> Outcome:
    """Reception's record: attended, no_show, or cancelled (which frees the slot like any cancel).
    `also` adds the caller's steps (the console's audit entry) to the same transaction."""
    if outcome == CANCELLED:
        return cancel(appointment, channel="reception", reason=reason, also=also)
    if outcome not in (ATTENDED, NO_SHOW):
        raise InvalidInput("outcome must be one of: attended, no_show, cancelled", field="outcome")
    if (repeated := _already(appointment, outcome)) is not None:
        return repeated
    at = now()
    starts_at = parse_iso(appointment.starts_at)
    if outcome == ATTENDED and at < starts_at - ATTENDANCE_EARLIEST:
        raise InvalidTransition("attendance can be recorded from one hour before the visit", current_status="future")
    if outcome == NO_SHOW and at < starts_at:
        raise InvalidTransition("a no-show can be recorded once the visit has started", current_status="future")
    kind = events.APPOINTMENT_ATTENDED if outcome == ATTENDED else events.APPOINTMENT_NO_SHOW
    return _simple(appointment, outcome, kind, "reception", at, also)


def _simple(appointment: Appointment, status: str, kind: str, channel: str, at: datetime,
            also: Write | None = None) -> Outcome:
    """A change of status alone: its event, the patient's message where they are told, and for a
    no-show the patient's count (the blacklist rule reads it)."""
    change = transition(appointment, status, event=status, channel=channel, at=at)
    event = events.DomainEvent(kind, appointment.facility_id, f"{appointment.appointment_id}:{status}:{change.version}",
                               event_data(change.after) | {"channel": channel})

    def write(transaction: TransactWrite) -> None:
        change.write(transaction)
        if status == NO_SHOW:
            # Counted per patient, with its date: the blacklist rule (prepayment) reads them.
            blacklist.record_no_show(transaction, appointment, at)
        transaction.save(event.to_outbox(at))
        if status in PATIENT_IS_TOLD:
            transaction.save(queue_sms(appointment, status, at, f"{status}:{change.version}"))
        if also is not None:
            also(transaction)

    return _change(change, write)


def request_rebook(appointment: Appointment) -> Outcome:
    """After cancelling, the patient asks the clinic for a new date: the clinic gets an event."""
    if appointment.status != CANCELLED:
        raise InvalidTransition("only a cancelled visit can ask for a new date", current_status=appointment.status)
    event = events.DomainEvent(events.REBOOK_REQUESTED, appointment.facility_id,
                               f"{appointment.appointment_id}:rebook", event_data(appointment))
    # The outbox id is the cause: asking twice writes nothing the second time.
    return Outcome(appointment, changed=event.to_outbox(now()).save_once())
