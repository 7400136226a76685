"""The payment-deadline sweep: a booking still unpaid at its deadline is cancelled.

Only bookings awaiting payment carry the `payments_due` index keys (odwolaj.payments.booking), so
the sweep queries each shard for what is due and reads nothing else; pages are bounded and one
run stops after MAX_PER_RUN items (the next run, minutes later, takes the rest). Each due booking
is read once more (consistently) and cancelled through `appointments.cancel(channel=
"payment_expired", reason="unpaid")`: one transaction conditioned on the status and version read,
which frees the slot (FreedSlot, for the reserve list), removes the index keys, and queues the
`payment_expired` SMS and the AppointmentCancelled / SlotFreed / PaymentExpired events; then its
open Checkout Session is expired, so the old link can no longer be paid (also when the
cancellation's answer was lost: it is read back). A payment
that lands first changes the status and version, so the cancellation is refused and the booking
stays paid; a repeated or overlapping run finds nothing left to do.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import DoesNotExist

from odwolaj.appointments import lifecycle as appointments
from odwolaj.core.budget import Stop, never
from odwolaj.core.clock import iso, now, parse_iso
from odwolaj.core.errors import Conflict, InvalidTransition, PaymentUnavailable
from odwolaj.core.sharding import SHARDS
from odwolaj.core.transactions import conditionally
from odwolaj.data.models import Appointment
from odwolaj.data.status import AWAITING_PAYMENT, CANCELLED
from odwolaj.payments import checkout
from odwolaj.payments.booking import SHARD_PREFIX, release_actions

PAGE_SIZE = 100
SESSION_ATTEMPTS, SESSION_RETRY_SECONDS = 3, 0.2
log = logging.getLogger(__name__)
MAX_PER_RUN = 2_000  # about a minute of work; the schedule runs every few minutes


@dataclass
class SweepReport:
    read: int = 0  # index items read
    expired: int = 0  # bookings cancelled for want of payment
    skipped: int = 0  # paid or changed meanwhile, or already cancelled by an overlapping run
    released: int = 0  # the visit began before the sweep came: only taken out of the index
    sessions_left_open: int = 0  # Stripe could not be reached to expire the Checkout Session
    stopped: bool = False  # out of time or at MAX_PER_RUN: the next run goes on


def sweep(at: datetime | None = None, *, max_items: int = MAX_PER_RUN, stop: Stop = never) -> SweepReport:
    """Settle every booking due by `at`, at most `max_items`, stopping between two when `stop()`
    says the time is up (odwolaj.core.budget)."""
    at = at or now()
    report = SweepReport()
    for shard in range(SHARDS):
        query = Appointment.payments_due.query(f"{SHARD_PREFIX}{shard:02d}", Appointment.payment_due_at <= iso(at),
                                               page_size=PAGE_SIZE)
        for due in query:
            if report.read >= max_items or stop():
                report.stopped = True
                return report
            report.read += 1
            _settle(due, at, report)
    return report


def _settle(due: Appointment, at: datetime, report: SweepReport) -> None:
    try:
        appointment = Appointment.get(due.appointment_id, consistent_read=True)
    except DoesNotExist:
        report.skipped += 1
        return
    if (appointment.status != AWAITING_PAYMENT or not appointment.payment_due_at
            or parse_iso(appointment.payment_due_at) > at):
        # Paid (the payment removes the keys with the same write) or the deadline moved meanwhile.
        report.skipped += 1
        return
    try:
        outcome = appointments.cancel(appointment, channel="payment_expired", reason="unpaid")
    except InvalidTransition as refused:
        if refused.current_status != "past":
            raise
        _release(appointment, report)  # the visit began before the sweep came: nothing to free
        return
    except Conflict:
        report.skipped += 1  # a payment (or another run) changed it between the read and the write
        return
    except Exception:
        # The answer may have been lost after the write: the booking is then cancelled and out of
        # the index, and no later run would come back to expire its session.
        if not _cancelled_unpaid(appointment.appointment_id):
            raise
    else:
        if not outcome.changed:
            report.skipped += 1
            return
    report.expired += 1
    if not _expire_session(appointment.appointment_id):
        # The booking is already cancelled and out of the index: no later run comes back to it. A
        # payment that still comes through that session is reinstated or refunded by the webhook.
        report.sessions_left_open += 1


def _cancelled_unpaid(appointment_id: str) -> bool:
    """Whether the booking now stands cancelled for want of payment (read again, consistently)."""
    current = Appointment.get(appointment_id, consistent_read=True)
    return current.status == CANCELLED and current.cancellation is not None \
        and current.cancellation.channel == "payment_expired"


def _expire_session(appointment_id: str) -> bool:
    """Expire the cancelled booking's Checkout Session, trying a failed read or write again here
    (nothing else will: the booking has left the sweep's index). False when it stayed open."""
    for attempt in range(1, SESSION_ATTEMPTS + 1):
        try:
            checkout.expire_open_session(appointment_id)
            return True
        except PaymentUnavailable:  # Stripe unreachable: its own client already retried
            return False
        except Exception as error:  # DynamoDB throttled or failed after the SDK's retries
            log.warning("checkout session of a cancelled booking not expired (%s), attempt %d",
                        type(error).__name__, attempt)
            time.sleep(SESSION_RETRY_SECONDS * attempt)
    return False


def _release(appointment: Appointment, report: SweepReport) -> None:
    """Take a booking whose visit already began out of the index, so no run reads it again."""
    if conditionally(lambda: appointment.update(actions=release_actions(appointment),
                                                condition=appointments.unchanged_since(appointment))):
        report.released += 1
    else:
        report.skipped += 1
