"""Domain events: what happened, for the reserve list and the clinic's own systems.

Each event becomes an outbox item in the same transaction as the change that caused it. Its id
is derived from the cause (appointment, what happened, the version it produced), so a retried
request cannot write it twice, and subscribers deduplicate on `event_id`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from odwolaj.core.clock import iso
from odwolaj.data.models import OutboxItem

SCHEMA_VERSION = 1
OUTBOX_RETENTION = timedelta(days=7)

APPOINTMENT_BOOKED = "AppointmentBooked"
APPOINTMENT_UPDATED = "AppointmentUpdated"
APPOINTMENT_MOVED = "AppointmentMoved"
APPOINTMENT_CONFIRMED = "AppointmentConfirmed"
APPOINTMENT_CANCELLED = "AppointmentCancelled"
APPOINTMENT_ATTENDED = "AppointmentAttended"
APPOINTMENT_NO_SHOW = "AppointmentNoShow"
REBOOK_REQUESTED = "RebookRequested"
SLOT_FREED = "SlotFreed"
CANCELLATION_EMAIL_UNMATCHED = "CancellationEmailUnmatched"
PATIENT_OPTED_OUT = "PatientOptedOut"
PATIENT_OPTED_IN = "PatientOptedIn"
PAYMENT_RECEIVED = "PaymentReceived"
PAYMENT_REFUNDED = "PaymentRefunded"
APPOINTMENT_REINSTATED = "AppointmentReinstated"
# Reserve list (odwolaj.reserve)
WAITING_LIST_JOINED = "WaitingListJoined"
WAITING_LIST_STRUCK_OFF = "WaitingListStruckOff"
PLANNED_DATE_CHANGED = "PlannedDateChanged"
SLOT_OFFERED = "SlotOffered"  # one per offer sent
OFFER_CLAIMED = "OfferClaimed"  # the patient said yes and got the slot
OFFER_DECLINED = "OfferDeclined"
OFFER_EXPIRED = "OfferExpired"
SLOT_FILLED = "SlotFilled"
SLOT_UNFILLED = "SlotUnfilled"
EXACT_DATE_CONFIRMED = "ExactDateConfirmed"  # the exact date reached the patient 14+ days ahead
EXACT_DATE_UNCONFIRMED = "ExactDateUnconfirmed"  # it did not (or could not): the clinic must reach them
PAYMENT_EXPIRED = "PaymentExpired"  # with the AppointmentCancelled of a booking unpaid at its deadline
REMINDER_SENT = "ReminderSent"  # a reminder SMS was handed to the SMS provider


@dataclass(frozen=True)
class DomainEvent:
    detail_type: str
    facility_id: str
    cause: str  # unique per occurrence: becomes the event id
    data: dict[str, Any] = field(default_factory=dict)

    def detail(self, occurred_at: datetime) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "event_id": self.cause,
            "occurred_at": iso(occurred_at),
            "facility_id": self.facility_id,
            "data": self.data,
        }

    def to_outbox(self, occurred_at: datetime) -> OutboxItem:
        return OutboxItem(
            outbox_id=self.cause,
            kind="event",
            detail_type=self.detail_type,
            detail=json.dumps(self.detail(occurred_at), ensure_ascii=False, sort_keys=True),
            created_at=iso(occurred_at),
            expires_at=int((occurred_at + OUTBOX_RETENTION).timestamp()),
        )
