"""The payment-deadline sweep: a booking still unpaid at its deadline is cancelled.

Only bookings awaiting payment carry the `payments_due` index keys (odwolaj.payments.booking), so
the sweep queries each shard for what is due and reads nothing else; pages are bounded and one
run stops after MAX_PER_RUN items (the next run, minutes later, takes the rest). Each due booking
is read once more (consistently) and cancelled through `appointments.cancel(channel=
"payment_expired", reason="unpaid")`: one transaction conditioned on the status and version read,
which frees the slot (FreedSlot, for the reserve list), removes the index keys, and queues the
`payment_expired` SMS and the AppointmentCancelled / SlotFreed / PaymentExpired events; then its
open Checkout Session is expired, so the old link can no longer be paid. A payment
that lands first changes the status and version, so the cancellation is refused and the booking
stays paid; a repeated or overlapping run finds nothing left to do.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import DoesNotExist

from odwolaj.appointments import lifecycle as appointments
from odwolaj.core.clock import iso, now, parse_iso
from odwolaj.core.errors import Conflict, InvalidTransition, PaymentUnavailable
from odwolaj.core.sharding import SHARDS
from odwolaj.core.transactions import conditionally
from odwolaj.data.models import Appointment
from odwolaj.data.status import AWAITING_PAYMENT
from odwolaj.payments import checkout
from odwolaj.payments.booking import SHARD_PREFIX, release_actions

PAGE_SIZE = 100
MAX_PER_RUN = 2_000  # about a minute of work; the schedule runs every few minutes


@dataclass
class SweepReport:
    read: int = 0  # index items read
    expired: int = 0  # bookings cancelled for want of payment
    skipped: int = 0  # paid or changed meanwhile, or already cancelled by an overlapping run
    released: int = 0  # the visit began before the sweep came: only taken out of the index
    sessions_left_open: int = 0  # Stripe could not be reached to expire the Checkout Session


def sweep(at: datetime | None = None, *, max_items: int = MAX_PER_RUN) -> SweepReport:
    at = at or now()
    report = SweepReport()
    for shard in range(SHARDS):
        query = Appointment.payments_due.query(f"{SHARD_PREFIX}{shard:02d}", Appointment.payment_due_at <= iso(at),
                                               page_size=PAGE_SIZE)
        for due in query:
            if report.read >= max_items:
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
    if not outcome.changed:
        report.skipped += 1
        return
    report.expired += 1
    try:
        checkout.expire_open_session(appointment.appointment_id)
    except PaymentUnavailable:
        # Stripe unreachable: the booking is already cancelled and out of the index. A payment
        # that still comes through that session is reinstated or refunded by the webhook.
        report.sessions_left_open += 1


def _release(appointment: Appointment, report: SweepReport) -> None:
    """Take a booking whose visit already began out of the index, so no run reads it again."""
    if conditionally(lambda: appointment.update(actions=release_actions(appointment),
                                                condition=appointments.unchanged_since(appointment))):
        report.released += 1
    else:
        report.skipped += 1
