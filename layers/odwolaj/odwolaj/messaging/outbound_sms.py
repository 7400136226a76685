"""SMS to patients about their visits: composed when sending, from the appointment and facility as
they are then (the outbox item names only the visit and the kind of message: odwolaj.data.outbox),
and sent once (odwolaj.messaging.sending) through the deployment's SMS provider by the SMS sender
function. A waiting patient's SMS is composed by odwolaj.reserve.messages; e-mails by
odwolaj.messaging.outbound_email.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pynamodb.exceptions import DoesNotExist

from odwolaj.adapters.sms import OutboundSms, SmsGateway
from odwolaj.appointments.views import event_data
from odwolaj.core.clock import now, parse_iso
from odwolaj.core.ids import display_visit_code
from odwolaj.data import events
from odwolaj.data.models import Appointment, Conversation, Facility, OutboxItem, Patient
from odwolaj.data.outbox import PAYMENT_LINK_KINDS
from odwolaj.data.status import AWAITING_PAYMENT, OPEN
from odwolaj.language.texts import MessageContext, render
from odwolaj.messaging import campaign_sms, conversations
from odwolaj.messaging.deliveries import record_sent
from odwolaj.messaging.sending import SENT, UNKNOWN, Outcome, send_once
from odwolaj.payments.checkout import get_payment, transfer_under_way
from odwolaj.reserve import messages as reserve_messages
from odwolaj.reserve.entries import anyone_waiting
from odwolaj.security.links import payment_link, visit_link

# A message about a visit that is still to happen is pointless once it is cancelled or over.
ONLY_WHILE_OPEN = frozenset({"booked", "moved", "confirmed", "reminder", "payment_optional", "payment_link",
                             "help", "question", "clarify"})
# A payment request is pointless once paid (or cancelled).
ONLY_WHILE_AWAITING_PAYMENT = frozenset({"payment_link"})
# Why prepayment is now required and until when (odwolaj.payments.blacklist): the patient's entry
# is read when sending, and a message about an entry that ended meanwhile is not sent.
BLACKLIST_KINDS = frozenset({"blacklisted", "blacklisted_no_shows"})
# What a number that sent STOP no longer gets: everything but answers to what the patient did.
NOT_AFTER_STOP = frozenset({"reminder", "booked", "moved", "no_show"})


def compose(message_kind: str, appointment: Appointment, facility: Facility, ref: str,
            links: str | None = None) -> OutboundSms | None:
    """The message to send, or None when it no longer applies."""
    composed = _compose(message_kind, appointment, facility, ref, links)
    return composed[1] if composed else None


def _compose(message_kind: str, appointment: Appointment, facility: Facility, ref: str,
             links: str | None) -> tuple[str, OutboundSms] | None:
    """The template chosen (it may read the waiting list or the payment: chosen once) and the message."""
    if not still_applies(message_kind, appointment):
        return None
    until = None
    if message_kind in BLACKLIST_KINDS:
        until = _blacklisted_until(appointment)
        if until is None:
            return None
    context = message_context(message_kind, appointment, facility, links=links, until=until)
    overrides = facility.message_templates.as_dict() if facility.message_templates else None
    template = template_for(message_kind, facility, appointment)
    text = render(template, context, overrides=overrides)
    return template, OutboundSms(to=appointment.phone, text=text, sender=facility.sms_sender, ref=ref)


def still_applies(message_kind: str, appointment: Appointment) -> bool:
    """False for a message about a visit that is over or cancelled, or a payment request once paid."""
    if message_kind in ONLY_WHILE_OPEN and (
        appointment.status not in OPEN or parse_iso(appointment.starts_at) <= now()
    ):
        return False
    return not (message_kind in ONLY_WHILE_AWAITING_PAYMENT and appointment.status != AWAITING_PAYMENT)


def message_context(message_kind: str, appointment: Appointment, facility: Facility, *,
                    links: str | None = None, until: datetime | None = None) -> MessageContext:
    """What a message about this appointment says, as it is now."""
    link = payment_link if message_kind in PAYMENT_LINK_KINDS else visit_link
    return MessageContext(
        facility=facility.short_name,
        facility_name=facility.name,
        sent_at=now(),
        starts_at=parse_iso(appointment.starts_at),
        timezone=facility.timezone,
        link=links or link(appointment.appointment_id),
        service=appointment.service,
        phone=facility.phone or "",
        deadline=parse_iso(appointment.payment_deadline) if appointment.payment_deadline else None,
        amount=int(appointment.payment_amount) if appointment.payment_amount is not None else None,
        until=until,
        code=display_visit_code(appointment.visit_code),
    )


def _blacklisted_until(appointment: Appointment) -> datetime | None:
    try:
        patient = Patient.get(appointment.facility_id, appointment.patient_id)
    except DoesNotExist:
        return None
    until = parse_iso(patient.blacklisted_until) if patient.blacklisted_until else None
    return until if until and until > now() else None


def template_for(message_kind: str, facility: Facility, appointment: Appointment) -> str:
    """The text a kind of message takes for this visit, as things are when it is sent:
    - a reminder asks for TAK/NIE only from a two-way number (an alphanumeric sender cannot
      receive replies);
    - a cancellation says the visit may go to someone else only when someone waits for it;
    - a payment link for a slot taken from the reserve list says how long it is held;
    - a booking cancelled unpaid while a bank transfer is under way says what its arrival will do."""
    if message_kind == "reminder":
        return "reminder_two_way" if facility.sms_two_way else "reminder_one_way"
    if message_kind == "cancelled" and anyone_waiting(appointment.facility_id, appointment.service):
        return "cancelled_waiting"
    if message_kind == "payment_link" and appointment.reserve_slot_id:
        return "payment_claim"
    if message_kind == "payment_expired" and transfer_under_way(get_payment(appointment.appointment_id)):
        return "payment_expired_transfer"
    return message_kind


def deliver(item: OutboxItem, gateway: SmsGateway, sleep: Callable[[float], None] | None = None) -> Outcome:
    """Compose and send one queued message once (odwolaj.messaging.sending), then what follows a
    sent message: its delivery record and, for a question, the reply it awaits. Those steps run
    again when a retry finds the message sent; the send never does. A message that may have gone
    (`unknown`) is treated as sent for them: if the patient got it and answers, the answer counts."""
    outcome = send_once(item.outbox_id, item.message_kind, lambda: _composed(item), gateway, sleep=sleep)
    if outcome.state in (SENT, UNKNOWN):
        _after_sending(item, gateway.name, outcome.provider_message_id)
    return outcome


def _composed(item: OutboxItem) -> OutboundSms | None:
    """The message for a visit's, a waiting patient's or a campaign member's item, or None when it
    no longer applies."""
    if item.member_id:
        return campaign_sms.compose_reply(item)
    if item.entry_id:
        return reserve_messages.compose(item)
    appointment = Appointment.get(item.appointment_id)
    if item.message_kind in NOT_AFTER_STOP and _opted_out(appointment.phone):
        return None
    facility = Facility.get(appointment.facility_id)
    composed = _compose(item.message_kind, appointment, facility, item.outbox_id, item.links)
    if composed is None:
        return None
    template, message = composed
    # Before sending: a reply, however fast, finds this message as the number's latest.
    conversations.remember_sent(appointment, template)
    return message


def _after_sending(item: OutboxItem, provider: str, provider_message_id: str | None) -> None:
    if provider_message_id:  # None: the provider had taken it before and did not say its id again
        record_sent(provider, provider_message_id, item.outbox_id)
    if item.entry_id:
        reserve_messages.sent(item, provider_message_id)
        return
    if item.message_kind == "reminder":
        _reminder_sent(item, Appointment.get(item.appointment_id))


def _reminder_sent(item: OutboxItem, appointment: Appointment) -> None:
    """For the clinic and the outcome statistics: this reminder reached the provider (its event id
    is the queued reminder's, so a retried send cannot count it twice)."""
    events.DomainEvent(events.REMINDER_SENT, appointment.facility_id, f"{item.outbox_id}:sent",
                       event_data(appointment)).to_outbox(now()).save_once()


def _opted_out(phone: str) -> bool:
    try:
        return Conversation.get(phone).opted_out
    except DoesNotExist:
        return False
