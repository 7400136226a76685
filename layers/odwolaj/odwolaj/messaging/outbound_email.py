"""E-mail to patients: queued in the outbox with its cause (`notifications.queue_email`), composed
at send time from the appointment and facility as they are then, and sent through SES by the e-mail
sender function. Today: the payment link, when the clinic gave the patient's address.

The outbox item names only the appointment and the kind; the address is read when sending.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from odwolaj.messages.texts import render_email
from odwolaj.models import Appointment, Facility, OutboxItem
from odwolaj.notifications import PAYMENT_LINK_KINDS, message_context, queue_email, still_applies

# What goes by e-mail too (texts.EMAILS), and the cause that makes its outbox id.
EMAIL_KINDS = PAYMENT_LINK_KINDS
PAYMENT_LINK_CAUSE = "payment-link"


@dataclass(frozen=True)
class OutboundEmail:
    to: str
    subject: str
    text: str


def queue_for(appointment: Appointment, message_kind: str, at: datetime) -> list[OutboxItem]:
    """The e-mail a new booking's message also goes as: one for a payment link to a known address."""
    if message_kind not in EMAIL_KINDS or not appointment.email:
        return []
    return [queue_email(appointment, message_kind, at, PAYMENT_LINK_CAUSE)]


def compose(item: OutboxItem) -> OutboundEmail | None:
    """The e-mail to send for a queued item, or None when it no longer applies (e.g. paid meanwhile)."""
    appointment = Appointment.get(item.appointment_id)
    if not appointment.email or not still_applies(item.message_kind, appointment):
        return None
    facility = Facility.get(appointment.facility_id)
    context = message_context(item.message_kind, appointment, facility, facility_name=facility.name)
    subject, text = render_email(item.message_kind, context)
    return OutboundEmail(to=appointment.email, subject=subject, text=text)


class SesMailer:
    """Sends through SES from one verified address; the client is built on first use."""

    def __init__(self, from_address: str):
        self.from_address = from_address

    def send(self, message: OutboundEmail) -> str:
        response = _ses().send_email(
            Source=self.from_address,
            Destination={"ToAddresses": [message.to]},
            Message={"Subject": {"Data": message.subject, "Charset": "UTF-8"},
                     "Body": {"Text": {"Data": message.text, "Charset": "UTF-8"}}},
        )
        return response["MessageId"]


@lru_cache(maxsize=1)
def _ses():
    import boto3

    return boto3.client("ses")


def deliver(item: OutboxItem, mailer: SesMailer) -> str | None:
    """Compose and send one queued e-mail; the SES message id, or None when it no longer applies.
    SES errors propagate: the stream retries the record."""
    message = compose(item)
    return None if message is None else mailer.send(message)
