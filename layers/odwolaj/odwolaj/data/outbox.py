"""Outbox items for messages: every writer's leaf. A change that tells a patient something writes
its message's item in the change's own transaction; the SMS and e-mail sender functions compose
and send it later (odwolaj.messaging).

An item names only what it is about (a visit or a waiting-list entry) and the kind of message; the
text is composed when sending, from the records as they are then, so no contact data is copied
into the outbox. Its id is derived from its cause: one cause, one message. Events have their own
constructor (odwolaj.data.events)."""
from __future__ import annotations

from datetime import datetime, timedelta

from odwolaj.core.clock import iso
from odwolaj.data.models import Appointment, OutboxItem, WaitingEntry

RETENTION = timedelta(days=7)
# Messages whose link opens the payment page rather than the visit page; they go by e-mail too.
PAYMENT_LINK_KINDS = frozenset({"payment_link", "payment_optional"})
# What became of a payment: the e-mail is the patient's receipt.
PAYMENT_OUTCOME_KINDS = frozenset({"payment_received", "payment_reinstated", "payment_refunded"})
EMAIL_KINDS = PAYMENT_LINK_KINDS | PAYMENT_OUTCOME_KINDS
PAYMENT_LINK_EMAIL_CAUSE = "payment-link"


def _item(channel: str, subject_id: str, cause: str, message_kind: str, at: datetime, *,
          appointment_id: str | None = None, entry_id: str | None = None, offer_id: str | None = None) -> OutboxItem:
    return OutboxItem(outbox_id=f"{subject_id}:{channel}:{cause}", kind=channel, message_kind=message_kind,
                      appointment_id=appointment_id, entry_id=entry_id, offer_id=offer_id, created_at=iso(at),
                      expires_at=int((at + RETENTION).timestamp()))


def queue_sms(appointment: Appointment, message_kind: str, at: datetime, cause: str) -> OutboxItem:
    """An SMS about a visit; `cause` makes it unique (one cause, one message)."""
    return _item("sms", appointment.appointment_id, cause, message_kind, at,
                 appointment_id=appointment.appointment_id)


def queue_email(appointment: Appointment, message_kind: str, at: datetime, cause: str) -> OutboxItem:
    """An e-mail about a visit, like `queue_sms`: no address in it."""
    return _item("email", appointment.appointment_id, cause, message_kind, at,
                 appointment_id=appointment.appointment_id)


def queue_emails_for(appointment: Appointment, message_kind: str, at: datetime,
                     cause: str = PAYMENT_LINK_EMAIL_CAUSE) -> list[OutboxItem]:
    """The e-mail a message also goes as: one for a payment link or a payment's outcome, when the
    clinic gave the patient's address; none otherwise."""
    if message_kind not in EMAIL_KINDS or not appointment.email:
        return []
    return [queue_email(appointment, message_kind, at, cause)]


def queue_entry_sms(entry: WaitingEntry, message_kind: str, at: datetime, cause: str,
                    offer_id: str | None = None) -> OutboxItem:
    """An SMS to a waiting patient (composed at send time by odwolaj.reserve.messages)."""
    return _item("sms", entry.entry_id, cause, message_kind, at, entry_id=entry.entry_id, offer_id=offer_id)
