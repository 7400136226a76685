"""Paying a visit: the Payment record and its Stripe Checkout Session.

A visit that needs prepayment has one Payment (keyed by the appointment). Opening the payment
link opens a Checkout Session in PLN for the visit's amount (card, BLIK, Przelewy24), or hands
out the one already open: there is never a second payable session for a visit. A session lives
until the payment deadline, but Stripe only accepts an expiry 30 minutes to 24 hours after
creation: a later deadline gets a 24-hour session (the link opens a new one after it), an earlier
one a 30-minute session, and the deadline itself is enforced here and by the deadline sweep, not
by Stripe. Each new session is an `attempt` with its own idempotency key, so a retried or
concurrent request cannot create two; the loser of a race hands out the winner's session.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist

from odwolaj.adapters import stripe_api
from odwolaj.core.clock import iso, now, parse_iso
from odwolaj.core.errors import Conflict, InvalidTransition
from odwolaj.core.transactions import conditionally
from odwolaj.data.models import Appointment, Payment
from odwolaj.data.status import CANCELLED, OPEN
from odwolaj.security.links import payment_link

PENDING, PAID, EXPIRED, REFUNDED = "pending", "paid", "expired", "refunded"
STATUSES = (PENDING, PAID, EXPIRED, REFUNDED)
CURRENCY = "pln"
METHODS = ["card", "blik", "p24"]
STRIPE_MIN_EXPIRY = timedelta(minutes=30)
STRIPE_MAX_EXPIRY = timedelta(hours=24)
# Stripe measures from when it receives the request: keep clear of both ends of its window.
EXPIRY_SLACK = timedelta(minutes=2)
# Sessions created in the same 10 minutes get the same expiry, so racing requests send the same
# parameters with the same idempotency key and Stripe answers both with one session.
EXPIRY_STEP = timedelta(minutes=10)
# A session this close to its end is not handed out again: the patient gets a fresh one.
REUSE_MARGIN = timedelta(minutes=10)
KIND_LABELS = {"full": "Opłata za wizytę", "deposit": "Zadatek za wizytę"}


def requires_payment(appointment: Appointment) -> bool:
    return appointment.payment_mode in ("mandatory", "optional") and bool(appointment.payment_amount)


def deadline_of(appointment: Appointment) -> datetime:
    """When the payment is due: its deadline, or (an optional payment without one) the visit."""
    return parse_iso(appointment.payment_deadline or appointment.starts_at)


def session_expiry(deadline: datetime, at: datetime) -> datetime:
    """The session's `expires_at`: the deadline, kept inside Stripe's 30 min – 24 h window."""
    earliest = at + STRIPE_MIN_EXPIRY + EXPIRY_SLACK
    earliest = earliest.replace(second=0, microsecond=0) + timedelta(minutes=1)
    latest = at + STRIPE_MAX_EXPIRY - EXPIRY_SLACK
    latest -= timedelta(seconds=latest.timestamp() % EXPIRY_STEP.total_seconds())
    return min(max(deadline, earliest), latest)


def record_for(appointment: Appointment, at: datetime) -> Payment:
    """A pending Payment for a visit that needs one (not saved). The awaiting-payment booking may
    save it in its own transaction; opening the link creates it otherwise."""
    return Payment(
        appointment_id=appointment.appointment_id, facility_id=appointment.facility_id,
        external_id=appointment.external_id, starts_at=appointment.starts_at,
        amount=int(appointment.payment_amount), currency=CURRENCY, kind=appointment.payment_kind,
        deadline=appointment.payment_deadline, status=PENDING, attempt=0, created_at=iso(at), updated_at=iso(at),
    )


def get_payment(appointment_id: str) -> Payment | None:
    try:
        return Payment.get(appointment_id, consistent_read=True)
    except DoesNotExist:
        return None


def _ensure_record(appointment: Appointment) -> Payment:
    payment = get_payment(appointment.appointment_id)
    if payment is not None:
        return payment
    payment = record_for(appointment, now())
    if not conditionally(lambda: payment.save(condition=Payment.appointment_id.does_not_exist())):
        return Payment.get(appointment.appointment_id, consistent_read=True)
    return payment


def transfer_under_way(payment: Payment | None) -> bool:
    """A bank transfer was started (its session completed unpaid) and the bank has not answered."""
    return payment is not None and bool(payment.transfer_started_at) and payment.status in (PENDING, EXPIRED)


def payment_state(appointment: Appointment) -> str:
    """What the payment link can do for this visit: 'payable', or why not: 'paid', 'cancelled',
    'refunded', 'over', 'in_progress' (a bank transfer is under way), 'expired' (deadline passed,
    or the payment was closed), 'transfer_late' (cancelled unpaid while a transfer is still under
    way: it will reinstate the visit or be refunded), 'not_required'."""
    at = now()
    payment = get_payment(appointment.appointment_id)
    if payment is not None and payment.status in (PAID, REFUNDED):
        return payment.status
    if appointment.status == CANCELLED:
        lapsed = appointment.cancellation is not None and appointment.cancellation.channel == "payment_expired"
        if lapsed:
            return "transfer_late" if transfer_under_way(payment) else "expired"
        return "cancelled"
    if appointment.status not in OPEN or parse_iso(appointment.starts_at) <= at:
        return "over"
    if not requires_payment(appointment):
        return "not_required"
    if transfer_under_way(payment):
        return "in_progress"
    if (payment is not None and payment.status == EXPIRED) or deadline_of(appointment) <= at:
        return "expired"
    return "payable"


def open_checkout(appointment: Appointment) -> str:
    """The address of the visit's open Checkout Session, created if there is none.
    InvalidTransition (current_status: what payment_state says, or 'in_progress' while Stripe
    holds a completed session whose result is on its way) when there is nothing to pay."""
    state = payment_state(appointment)
    if state != "payable":
        raise InvalidTransition(f"nothing to pay: {state}", current_status=state)
    payment = _ensure_record(appointment)
    for _ in range(3):
        at = now()
        if payment.session_id and parse_iso(payment.session_expires_at) - at > REUSE_MARGIN:
            session = stripe_api.retrieve_checkout_session(payment.session_id)
            if session.status == "open":
                return str(session.url)
            if session.status == "complete":  # paid, or waiting for the bank: the webhook decides
                raise InvalidTransition("a payment is in progress", current_status="in_progress")
        try:
            return _new_session(appointment, payment, at)
        except Conflict:
            payment = Payment.get(appointment.appointment_id, consistent_read=True)
            if payment.status != PENDING:
                raise InvalidTransition("the payment was closed meanwhile", current_status=payment.status) from None
    raise Conflict("the payment changed while this request was processed; retry")


def _new_session(appointment: Appointment, payment: Payment, at: datetime) -> str:
    attempt = int(payment.attempt) + 1
    expires = session_expiry(deadline_of(appointment), at)
    session = stripe_api.create_checkout_session(
        checkout_params(appointment, expires, attempt),
        idempotency_key=f"odwolaj-checkout-{appointment.appointment_id}-{attempt}",
    )
    if not conditionally(lambda: payment.update(
            actions=[Payment.attempt.set(attempt), Payment.session_id.set(session.id),
                     Payment.session_expires_at.set(iso(expires)), Payment.updated_at.set(iso(at))],
            condition=(Payment.attempt == payment.attempt) & (Payment.status == PENDING))):
        current = Payment.get(appointment.appointment_id, consistent_read=True)
        if current.session_id == session.id:  # the racing request got the same session from Stripe
            return str(session.url)
        stripe_api.expire_checkout_session(session.id)  # never two payable sessions
        raise Conflict("another request opened a session first")
    return str(session.url)


def checkout_params(appointment: Appointment, expires: datetime, attempt: int) -> dict[str, Any]:
    """What Stripe is asked for: the amount in PLN, the methods Polish patients use, the expiry,
    and references (never contact data) that come back in every event."""
    page = payment_link(appointment.appointment_id)
    metadata = {"appointment_id": appointment.appointment_id, "facility_id": appointment.facility_id,
                "external_id": appointment.external_id, "attempt": str(attempt)}
    return {
        "mode": "payment",
        "line_items": [{
            "quantity": 1,
            "price_data": {
                "currency": CURRENCY,
                "unit_amount": int(appointment.payment_amount),
                "product_data": {"name": f"{KIND_LABELS.get(appointment.payment_kind or 'full', KIND_LABELS['full'])}: "
                                         f"{appointment.service}"[:250]},
            },
        }],
        "payment_method_types": METHODS,
        "expires_at": int(expires.timestamp()),
        "client_reference_id": appointment.appointment_id,
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "locale": "pl",
        "success_url": f"{page}?s=ok",
        "cancel_url": f"{page}?s=back",
    }


def expire_open_session(appointment_id: str) -> bool:
    """For the deadline sweep, after it cancelled the visit: expire its open Checkout Session (so
    it can no longer be paid) and mark its payment expired. A no-op without a pending payment or
    an open session; True when a session was expired. A payment that still arrives (a bank
    transfer started in time) is reinstated or refunded by the webhook (odwolaj.usecases.payment_webhook)."""
    payment = get_payment(appointment_id)
    if payment is None or payment.status != PENDING:
        return False
    expired = bool(payment.session_id) and stripe_api.expire_checkout_session(payment.session_id)
    conditionally(lambda: payment.update(actions=[Payment.status.set(EXPIRED), Payment.updated_at.set(iso(now()))],
                                         condition=Payment.status == PENDING))
    return expired
