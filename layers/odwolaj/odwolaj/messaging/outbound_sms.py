"""SMS to patients about their visits: composed when sending, from the appointment and facility as
they are then (the outbox item names only the visit and the kind of message: odwolaj.data.outbox),
and sent through the deployment's SMS provider by the SMS sender function. A waiting patient's SMS
is composed by odwolaj.reserve.messages; e-mails by odwolaj.messaging.outbound_email.
"""
from __future__ import annotations

import time
from datetime import datetime

from pynamodb.exceptions import DoesNotExist

from odwolaj.adapters.sms import OutboundSms, ProviderError, SmsGateway
from odwolaj.core.clock import iso, now, parse_iso
from odwolaj.data.models import Appointment, Conversation, Facility, OutboxItem, Patient
from odwolaj.data.outbox import PAYMENT_LINK_KINDS
from odwolaj.data.status import AWAITING_PAYMENT, OPEN
from odwolaj.language.texts import MessageContext, render
from odwolaj.messaging import campaign_sms
from odwolaj.messaging.deliveries import record_sent
from odwolaj.reserve import messages as reserve_messages
from odwolaj.security.links import payment_link, visit_link

# Back-off between attempts on a retryable provider error; after the last, the stream retries.
RETRY_DELAYS_SECONDS = (0.5, 2.0)

# A message about a visit that is still to happen is pointless once it is cancelled or over.
ONLY_WHILE_OPEN = frozenset({"booked", "moved", "confirmed", "reminder", "payment_optional", "payment_link"})
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
    if not still_applies(message_kind, appointment):
        return None
    until = None
    if message_kind in BLACKLIST_KINDS:
        until = _blacklisted_until(appointment)
        if until is None:
            return None
    context = message_context(message_kind, appointment, facility, facility_name=facility.short_name,
                              links=links, until=until)
    overrides = facility.message_templates.as_dict() if facility.message_templates else None
    text = render(template_for(message_kind, facility), context, overrides=overrides)
    return OutboundSms(to=appointment.phone, text=text, sender=facility.sms_sender, ref=ref)


def still_applies(message_kind: str, appointment: Appointment) -> bool:
    """False for a message about a visit that is over or cancelled, or a payment request once paid."""
    if message_kind in ONLY_WHILE_OPEN and (
        appointment.status not in OPEN or parse_iso(appointment.starts_at) <= now()
    ):
        return False
    return not (message_kind in ONLY_WHILE_AWAITING_PAYMENT and appointment.status != AWAITING_PAYMENT)


def message_context(message_kind: str, appointment: Appointment, facility: Facility, *, facility_name: str,
                    links: str | None = None, until: datetime | None = None) -> MessageContext:
    """What a message about this appointment says, as it is now."""
    link = payment_link if message_kind in PAYMENT_LINK_KINDS else visit_link
    return MessageContext(
        facility=facility_name,
        starts_at=parse_iso(appointment.starts_at),
        timezone=facility.timezone,
        link=links or link(appointment.appointment_id),
        service=appointment.service,
        phone=facility.phone or "",
        deadline=parse_iso(appointment.payment_deadline) if appointment.payment_deadline else None,
        amount=int(appointment.payment_amount) if appointment.payment_amount is not None else None,
        until=until,
    )


def _blacklisted_until(appointment: Appointment) -> datetime | None:
    try:
        patient = Patient.get(appointment.facility_id, appointment.patient_id)
    except DoesNotExist:
        return None
    until = parse_iso(patient.blacklisted_until) if patient.blacklisted_until else None
    return until if until and until > now() else None


def template_for(message_kind: str, facility: Facility) -> str:
    """A reminder asks for TAK/NIE only from a two-way number (an alphanumeric sender cannot
    receive replies)."""
    if message_kind == "reminder":
        return "reminder_two_way" if facility.sms_two_way else "reminder_one_way"
    return message_kind


def deliver(item: OutboxItem, gateway: SmsGateway, sleep=time.sleep) -> str | None:
    """Compose and send one queued message, retrying retryable provider errors with back-off.
    Returns the provider's message id, or None when the message no longer applies."""
    message, after_sending = _queued_message(item)
    if message is None:
        return None
    attempts = len(RETRY_DELAYS_SECONDS) + 1
    for attempt in range(attempts):
        try:
            provider_id = gateway.send(message)
            break
        except ProviderError as error:
            if not error.retryable or attempt == attempts - 1:
                raise
            sleep(RETRY_DELAYS_SECONDS[attempt])
    record_sent(gateway.name, provider_id, item.outbox_id)
    if after_sending:
        after_sending(provider_id)
    return provider_id


def _queued_message(item: OutboxItem):
    """(the message or None, what to do once it is sent) for a visit's, a waiting patient's or a
    campaign member's item."""
    if item.member_id:
        return campaign_sms.compose_reply(item), None
    if item.entry_id:
        message = reserve_messages.compose(item)
        return message, lambda provider_id: reserve_messages.sent(item, provider_id)
    appointment = Appointment.get(item.appointment_id)
    if item.message_kind in NOT_AFTER_STOP and _opted_out(appointment.phone):
        return None, None
    facility = Facility.get(appointment.facility_id)
    message = compose(item.message_kind, appointment, facility, item.outbox_id, item.links)
    asks = template_for(item.message_kind, facility) == "reminder_two_way"
    return message, (lambda _provider_id: _await_reply(appointment)) if asks else None


def _opted_out(phone: str) -> bool:
    try:
        return Conversation.get(phone).opted_out
    except DoesNotExist:
        return False


def _await_reply(appointment: Appointment) -> None:
    """Replies from this number may now answer this visit (odwolaj.messaging.inbound_sms)."""
    at = iso(now())
    Conversation(appointment.phone).update(actions=[
        Conversation.awaiting.add({appointment.appointment_id}),
        Conversation.last_appointment_id.set(appointment.appointment_id),
        Conversation.last_sent_at.set(at),
        Conversation.updated_at.set(at),
    ])
