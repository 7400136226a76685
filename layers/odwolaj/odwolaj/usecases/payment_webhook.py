"""Stripe's events, applied to visits and payments.

The handler verifies the signature first (the SDK's own check) and applies each event once (by its
id); every change here is also conditional, so order does not matter either: a payment only moves
forward (pending → paid → refunded), a late `checkout.session.expired` after `completed` finds a
paid payment and changes nothing, and a `completed` event with `payment_status=unpaid` (a bank
transfer under way) waits for `checkout.session.async_payment_succeeded` or `..._failed`.

Money is never kept without a visit:
- paid in time: the visit becomes confirmed (conditional on its status and version; the payment
  deadline keys leave the sweep's index) and the patient is told;
- paid after the deadline sweep cancelled the visit (channel `payment_expired`): the booking is
  reinstated while nobody holds its freed slot or was offered it: `free` (the reserve list has not
  come to it yet), `offering` with no offer made (the first wave waits for sending hours, e.g. at
  night) or `unfilled` (nobody took it). Slot, visit and payment change in one transaction
  conditioned on that, and the reserve list moves the slot with conditional writes too, so
  exactly one of them wins, whatever order the two streams deliver in. Once an offer went out,
  the offer stands, and so does any later state: the payment is refunded through Stripe
  (idempotency key from the payment) and the patient is told, as when the visit was cancelled any
  other way or is over;
- a second session paid for a visit already paid is refunded.
A refund made by the clinic in Stripe's dashboard (`charge.refunded`) is recorded; the visit is
left as it is (the clinic decides about it), and a late event for that payment changes nothing.

A correctly signed event that is not a v1 event of the shape we read (no `data.object`, a v2 "thin"
event, fields of the wrong type) is refused as MalformedEvent (400): nothing is applied, nothing is
retried by us. Expanded objects (`payment_intent` as an object) are read by their id.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.transactions import TransactWrite

from odwolaj.adapters import stripe_api
from odwolaj.appointments import lifecycle as appointments
from odwolaj.appointments.views import event_data
from odwolaj.core.clock import iso, now, parse_iso
from odwolaj.core.errors import Conflict, InvalidInput, Unauthorized
from odwolaj.core.transactions import applied, conditionally
from odwolaj.data import events
from odwolaj.data.models import Appointment, FreedSlot, Payment
from odwolaj.data.outbox import queue_emails_for, queue_sms
from odwolaj.data.status import AWAITING_PAYMENT, BOOKED, CANCELLED, CONFIRMED
from odwolaj.payments.checkout import EXPIRED, PAID, PENDING, REFUNDED, get_payment
from odwolaj.reserve.offers import FREE, OFFERING, UNFILLED, fill_claimed_slot

logger = logging.getLogger(__name__)
SETTLEABLE = (AWAITING_PAYMENT, BOOKED, CONFIRMED)
SLOT_REINSTATED = "reinstated"
# Nobody holds the slot or was offered it (see the module's docstring): a late payment gets its visit
# back. Read as a condition by the transaction, and as a test on a slot read after it failed.
_UNTAKEN = FreedSlot.status.is_in(FREE, UNFILLED) | (
    (FreedSlot.status == OFFERING) & (FreedSlot.offers_made.does_not_exist() | (FreedSlot.offers_made == 0)))
ATTEMPTS = 3
SIGNATURE_TOLERANCE_SECONDS = 300  # Stripe's default: a replay older than this is refused
REFUNDED_LATE, REFUNDED_BY_CLINIC = "refunded_late", "refunded_by_clinic"
ALREADY_REFUNDED = "already_refunded"  # refund_id when Stripe said the charge was refunded (elsewhere) already
# Fields of a Checkout Session or Charge that may come expanded into objects: read by their id.
EXPANDABLE = ("payment_intent", "charge", "customer")
# What the handlers read, and the JSON types they may have (None: absent or null).
FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "id": (str,), "payment_status": (str, type(None)), "payment_intent": (str, type(None)),
    "client_reference_id": (str, type(None)), "metadata": (dict, type(None)),
    "amount_total": (int, type(None)), "amount_refunded": (int, type(None)), "refunded": (bool, type(None)),
}


class MalformedEvent(InvalidInput):
    """Signed by Stripe, but not an event this endpoint can read: refused with a 400."""

    code = "malformed_event"


def verified_event(body: str, signature: str | None, secret: str) -> dict:
    """The event, once its `Stripe-Signature` matches the body (and is at most 5 minutes old), with
    expanded objects read by their id. Fails closed: an empty secret is a configuration error,
    never a skipped check. MalformedEvent for a genuine event of a shape we do not read."""
    import stripe

    if not secret:
        raise RuntimeError("the Stripe webhook secret parameter is empty")
    try:
        stripe.WebhookSignature.verify_header(body, signature, secret, SIGNATURE_TOLERANCE_SECONDS)
    except (stripe.SignatureVerificationError, ValueError):
        raise Unauthorized("Stripe signature does not match") from None
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise MalformedEvent("the body is not JSON") from None
    return _readable(payload)


def _readable(payload: object) -> dict:
    """The event when it is a v1 event whose object we can read; MalformedEvent (naming only
    what is wrong, never a value) otherwise."""
    if not isinstance(payload, dict):
        raise MalformedEvent("the event is not a JSON object")
    if payload.get("object") == "v2.core.event":
        raise MalformedEvent("a v2 thin event: this endpoint takes v1 snapshot events")
    if not isinstance(payload.get("id"), str) or not isinstance(payload.get("type"), str):
        raise MalformedEvent("the event has no id or type")
    data = payload.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise MalformedEvent("the event has no data.object", field="data.object")
    obj = {key: value.get("id") if isinstance(value, dict) and key in EXPANDABLE else value
           for key, value in data["object"].items()}
    for key, types in FIELD_TYPES.items():
        if not isinstance(obj.get(key), types) or isinstance(obj.get(key), bool) and bool not in types:
            raise MalformedEvent(f"data.object.{key} is not what Stripe sends", field=f"data.object.{key}")
    return {**payload, "data": {**data, "object": obj}}


def apply_event(payload: dict) -> dict:
    """Apply one verified event; what it did, for the log (JSON, kept by the idempotency record)."""
    handler = HANDLERS.get(payload.get("type", ""))
    outcome = handler(payload["data"]["object"]) if handler else "ignored"
    return {"event_id": payload.get("id"), "type": payload.get("type"), "outcome": outcome}


def _payment_for(obj: dict) -> Payment | None:
    appointment_id = (obj.get("metadata") or {}).get("appointment_id") or obj.get("client_reference_id")
    return get_payment(appointment_id) if appointment_id else None


# ---------------------------------------------------------------------------------------------
# Checkout Session events


def session_completed(session: dict) -> str:
    if session.get("payment_status") == "unpaid":
        return _transfer_started(session)  # async_payment_succeeded / _failed will follow
    return settle(session)


def _transfer_started(session: dict) -> str:
    """A bank transfer is under way: remembered, so the pages and messages say "czekamy na
    potwierdzenie z banku" (before the deadline) or what its arrival will do (after it)."""
    payment = _payment_for(session)
    if payment is None or payment.status not in (PENDING, EXPIRED):
        return "awaiting_bank"
    conditionally(lambda: payment.update(
        actions=[Payment.transfer_started_at.set(iso(now())), Payment.updated_at.set(iso(now()))],
        condition=Payment.status.is_in(PENDING, EXPIRED)))
    return "awaiting_bank"


def transfer_failed(session: dict) -> str:
    """The bank declined the transfer: no transfer is under way any more; the session closes."""
    payment = _payment_for(session)
    if payment is not None and payment.transfer_started_at:
        conditionally(lambda: payment.update(actions=[Payment.transfer_started_at.remove()],
                                             condition=Payment.status.is_in(PENDING, EXPIRED)))
    return session_closed(session)


def session_closed(session: dict) -> str:
    """Expired or declined by the bank: forget the session so the link opens a new one."""
    payment = _payment_for(session)
    if payment is None or payment.status != PENDING or payment.session_id != session["id"]:
        return "stale"
    if not conditionally(lambda: payment.update(
            actions=[Payment.session_id.remove(), Payment.session_expires_at.remove(),
                     Payment.updated_at.set(iso(now()))],
            condition=(Payment.session_id == session["id"]) & (Payment.status == PENDING))):
        return "stale"
    return "session_closed"


def settle(session: dict) -> str:
    """A session's money arrived: confirm, reinstate or refund (see the module's docstring)."""
    for _ in range(ATTEMPTS):
        payment = _payment_for(session)
        if payment is None:
            logger.warning("paid session without a payment of ours", extra={"session_id": session["id"]})
            return "unknown"
        if payment.status in (PAID, REFUNDED):
            if payment.payment_intent and payment.payment_intent != session.get("payment_intent"):
                return _refund_duplicate(payment, session)
            if payment.status == REFUNDED and payment.outcome == REFUNDED_LATE and not payment.refund_id:
                return _issue_refund(payment)  # decided before, but Stripe failed: this is the retry
            return "already_settled"  # paid, or refunded (by us, or by the clinic in the dashboard)
        appointment = appointments.get(payment.appointment_id)
        at = now()
        upcoming = parse_iso(appointment.starts_at) > at
        try:
            if appointment.status in SETTLEABLE and upcoming:
                return _confirm(appointment, payment, session, at)
            if appointment.status == CANCELLED and upcoming and appointment.cancellation is not None \
                    and appointment.cancellation.channel == "payment_expired":
                try:
                    return _reinstate(appointment, payment, session, at)
                except _SlotTaken:
                    pass
            return _refund_late(appointment, payment, session, at)
        except _Raced:
            continue  # the visit or payment changed meanwhile: decide again from what is now
    raise Conflict("the visit kept changing while its payment was applied; Stripe will retry")


def _tell(transaction: TransactWrite, appointment: Appointment, kind: str, at: datetime, cause: str) -> None:
    """The patient's SMS, and the same by e-mail (the receipt) when the clinic gave the address."""
    transaction.save(queue_sms(appointment, kind, at, cause))
    for email in queue_emails_for(appointment, kind, at, cause):
        transaction.save(email)


class _Raced(Exception):
    pass


class _SlotTaken(Exception):
    pass


def _paid_actions(session: dict, at: datetime, outcome: str, status: str = PAID) -> list:
    return [Payment.status.set(status), Payment.outcome.set(outcome), Payment.paid_at.set(iso(at)),
            Payment.transfer_started_at.remove(),
            *([Payment.payment_intent.set(session["payment_intent"])] if session.get("payment_intent") else []),
            Payment.amount_paid.set(int(session.get("amount_total") or 0)), Payment.updated_at.set(iso(at))]


def _payment_event(kind: str, payment: Payment, appointment: Appointment, cause: str, outcome: str,
                   session: dict) -> events.DomainEvent:
    return events.DomainEvent(kind, payment.facility_id, f"{payment.appointment_id}:{cause}", {
        "appointment_id": payment.appointment_id, "external_id": payment.external_id,
        "amount": int(session.get("amount_total") or payment.amount), "currency": payment.currency,
        "outcome": outcome,
        # The visit paid for, so the outcome statistics count the money with its visit's day and service.
        "starts_at": appointment.starts_at, "service": appointment.service, "specialist": appointment.specialist,
    })


def _confirm(appointment: Appointment, payment: Payment, session: dict[str, Any], at: datetime) -> str:
    change = appointments.transition(appointment, CONFIRMED, event="paid", channel="stripe", at=at,
                                     detail=payment.kind)
    received = _payment_event(events.PAYMENT_RECEIVED, payment, appointment, "payment-received", "confirmed",
                              session)
    confirmed = events.DomainEvent(events.APPOINTMENT_CONFIRMED, appointment.facility_id,
                                   f"{appointment.appointment_id}:confirmed:{change.version}",
                                   event_data(change.after) | {"channel": "payment"})

    def write(transaction: TransactWrite) -> None:
        change.write(transaction)
        transaction.update(payment, actions=_paid_actions(session, at, "confirmed"),
                           condition=Payment.status.is_in(PENDING, EXPIRED))
        transaction.save(received.to_outbox(at))
        if appointment.status != CONFIRMED:
            transaction.save(confirmed.to_outbox(at))
        _tell(transaction, appointment, "payment_received", at, "payment-received")
        fill_claimed_slot(transaction, appointment, at)  # a reserve-list claim held for this payment

    if not applied(write):
        raise _Raced()
    return "confirmed"


def _reinstate(appointment: Appointment, payment: Payment, session: dict[str, Any], at: datetime) -> str:
    change = appointments.transition(appointment, CONFIRMED, event="reinstated", channel="stripe", at=at,
                                     detail="late payment, slot still free", cancellation=None)
    received = _payment_event(events.PAYMENT_RECEIVED, payment, appointment, "payment-received", "reinstated",
                              session)
    reinstated = events.DomainEvent(events.APPOINTMENT_REINSTATED, appointment.facility_id,
                                    f"{appointment.appointment_id}:reinstated", event_data(change.after))

    def write(transaction: TransactWrite) -> None:
        change.write(transaction)
        # The reserve list moves a slot on with a conditional write too: one of us wins. The timer's
        # index keys go, so a wave waiting for sending hours is never sent.
        transaction.update(FreedSlot(appointment.appointment_id), actions=[
            FreedSlot.status.set(SLOT_REINSTATED), FreedSlot.version.add(1), FreedSlot.offer_shard.remove(),
            FreedSlot.offer_due_at.remove()], condition=_UNTAKEN)
        transaction.update(payment, actions=_paid_actions(session, at, "reinstated"),
                           condition=Payment.status.is_in(PENDING, EXPIRED))
        transaction.save(received.to_outbox(at))
        transaction.save(reinstated.to_outbox(at))
        _tell(transaction, appointment, "payment_reinstated", at, "payment-reinstated")

    if applied(write):
        return "reinstated"
    if not _slot_is_untaken(appointment.appointment_id):
        raise _SlotTaken()
    raise _Raced()


def _slot_is_untaken(slot_id: str) -> bool:
    try:
        slot = FreedSlot.get(slot_id, consistent_read=True)
    except DoesNotExist:
        return False
    return slot.status in (FREE, UNFILLED) or (slot.status == OFFERING and not slot.offers_made)


def _refund_late(appointment: Appointment, payment: Payment, session: dict, at: datetime) -> str:
    """No visit to pay for any more: decide the refund (with the patient's message) in one
    transaction, then make it at Stripe. Should Stripe fail, the event fails and its retry finds
    the payment refunded without a refund id, and makes the refund then (same idempotency key)."""
    refunded = _payment_event(events.PAYMENT_REFUNDED, payment, appointment, "payment-refunded", REFUNDED_LATE,
                              session)

    def write(transaction: TransactWrite) -> None:
        transaction.update(payment, actions=[*_paid_actions(session, at, REFUNDED_LATE, status=REFUNDED),
                                             Payment.refunded_at.set(iso(at))],
                           condition=Payment.status.is_in(PENDING, EXPIRED))
        transaction.save(refunded.to_outbox(at))
        _tell(transaction, appointment, "payment_refunded", at, "payment-refunded")

    if not applied(write):
        raise _Raced()
    payment.payment_intent = session["payment_intent"]
    return _issue_refund(payment)


def _issue_refund(payment: Payment) -> str:
    refund = stripe_api.refund(payment.payment_intent, idempotency_key=f"odwolaj-refund-{payment.payment_intent}",
                               metadata={"appointment_id": payment.appointment_id, "reason": "no_visit"})
    payment.update(actions=[Payment.refund_id.set(refund.id if refund else ALREADY_REFUNDED)],
                   condition=Payment.status == REFUNDED)
    return "refunded"


def _refund_duplicate(payment: Payment, session: dict) -> str:
    """A second session paid for a visit already paid (or refunded): refund that one too."""
    intent = session["payment_intent"]
    stripe_api.refund(intent, idempotency_key=f"odwolaj-refund-{intent}",
                      metadata={"appointment_id": payment.appointment_id, "reason": "duplicate"})
    event = _payment_event(events.PAYMENT_REFUNDED, payment, appointments.get(payment.appointment_id),
                           f"payment-refunded:{intent}", "refunded_duplicate", session)
    event.to_outbox(now()).save_once()
    return "refunded_duplicate"


# ---------------------------------------------------------------------------------------------
# Charge events


def charge_refunded(charge: dict) -> str:
    """A refund made outside Odwołaj (the clinic, in Stripe's dashboard): recorded, visit kept."""
    payment = _payment_for(charge)
    if payment is None or payment.status != PAID or payment.payment_intent != charge.get("payment_intent"):
        return "stale"  # ours (already recorded), another payment's, or not ours at all
    if not charge.get("refunded"):
        return "partial_refund_ignored"
    at = now()
    event = _payment_event(events.PAYMENT_REFUNDED, payment, appointments.get(payment.appointment_id),
                           "payment-refunded", REFUNDED_BY_CLINIC, {"amount_total": charge.get("amount_refunded")})

    def write(transaction: TransactWrite) -> None:
        transaction.update(payment, actions=[Payment.status.set(REFUNDED), Payment.outcome.set(REFUNDED_BY_CLINIC),
                                             Payment.refunded_at.set(iso(at)), Payment.updated_at.set(iso(at))],
                           condition=Payment.status == PAID)
        transaction.save(event.to_outbox(at))

    return "refund_recorded" if applied(write) else "stale"


HANDLERS = {
    "checkout.session.completed": session_completed,
    "checkout.session.async_payment_succeeded": settle,
    "checkout.session.async_payment_failed": transfer_failed,
    "checkout.session.expired": session_closed,
    "charge.refunded": charge_refunded,
}
