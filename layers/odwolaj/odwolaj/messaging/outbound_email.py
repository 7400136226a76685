"""E-mail to patients: queued in the outbox with its cause (odwolaj.data.outbox), composed at send
time from the appointment and facility as they are then, and sent once (odwolaj.messaging.sending)
through SES by the e-mail sender function, when the clinic gave the patient's address: the payment
link (odwolaj.data.outbox EMAIL_KINDS) and what became of the payment (received, reinstated,
refunded: the receipt).

The outbox item names only the appointment and the kind; the address is read when sending.
"""
from __future__ import annotations

from odwolaj.adapters.ses import OutboundEmail, SesMailer
from odwolaj.data.models import Appointment, Facility, OutboxItem
from odwolaj.language.texts import render_email
from odwolaj.messaging.outbound_sms import message_context, still_applies, template_for
from odwolaj.messaging.sending import Outcome, send_once


def compose(item: OutboxItem) -> OutboundEmail | None:
    """The e-mail to send for a queued item, or None when it no longer applies (e.g. paid meanwhile)."""
    appointment = Appointment.get(item.appointment_id)
    if not appointment.email or not still_applies(item.message_kind, appointment):
        return None
    facility = Facility.get(appointment.facility_id)
    context = message_context(item.message_kind, appointment, facility)
    subject, text = render_email(template_for(item.message_kind, facility, appointment), context)
    return OutboundEmail(to=appointment.email, subject=subject, text=text)


def deliver(item: OutboxItem, mailer: SesMailer) -> Outcome:
    """Compose and send one queued e-mail once; what SES refused propagates (the stream retries)."""
    return send_once(item.outbox_id, item.message_kind, lambda: compose(item), mailer)
