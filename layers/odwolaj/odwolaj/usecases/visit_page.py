"""The patient's visit page as use cases: open a link, act on the visit, find it by code and phone.

A link works until a day after the visit starts, so a patient can still see what it was; after
that it is expired. Opening a link only reads. Every form carries a token bound to the visit and
to the one action it performs, so another site cannot make a patient's browser act.
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta

from odwolaj.appointments import lifecycle as appointments
from odwolaj.core.clock import iso, now, parse_iso
from odwolaj.core.errors import InvalidInput, LinkExpired, RateLimited
from odwolaj.core.ids import CODE_ALPHABET, CODE_LENGTH, normalize_visit_code
from odwolaj.core.phone import normalize_phone
from odwolaj.data.models import Appointment
from odwolaj.data.outbox import queue_sms
from odwolaj.data.status import CANCELLED, OPEN
from odwolaj.payments import checkout
from odwolaj.reserve.entries import anyone_waiting
from odwolaj.security import ratelimit
from odwolaj.security.facilities import only_facility
from odwolaj.security.links import link_signer

LINK_LIFETIME_AFTER_START = timedelta(hours=24)
ACTIONS = ("cancel", "confirm", "rebook")
# Reasons a patient can pick; "not_given" is what an unanswered question records.
REASONS = {key: label for key, label in appointments.CANCEL_REASONS.items() if key not in ("not_given", "unpaid")}
PATIENT_CHANNELS = frozenset({"web", "sms", "email"})
VISIT_FORM_MAX_AGE = 24 * 3600  # a page left open over lunch still works; the link token guards it anyway
LOOKUP_FORM_MAX_AGE = 3600
LOOKUP_SCOPE = "lookup"
# Guessing a code needs both the code and the phone number; these limits make it hopeless.
LOOKUP_LIMIT_PER_IP = (10, 15 * 60)
LOOKUP_LIMIT_PER_CODE = (5, 3600)
LINK_BY_SMS = "visit_link"  # the message a lookup sends once a code's tries are used up


@dataclass(frozen=True)
class LookupAnswer:
    """What a lookup tells the person who typed: the visit page's token (code and phone belong
    together), or nothing; `by_sms` once the code's tries are used up, whatever was typed: the
    link then goes by SMS to the visit's own phone if, and only if, the typed phone is it."""

    token: str | None = None
    by_sms: bool = False


def open_link(token: str, purpose: str = "c") -> Appointment:
    """The visit a link (of this purpose) stands for; LinkInvalid (or NotFound) for anything else,
    LinkExpired late."""
    appointment = appointments.get(link_signer().resolve(purpose, token))
    if now() - parse_iso(appointment.starts_at) > LINK_LIFETIME_AFTER_START:
        raise LinkExpired("the visit is long over")
    return appointment


def stage(appointment: Appointment) -> str:
    """'open' (can still be confirmed or cancelled), 'cancelled', or 'over'."""
    if appointment.status == CANCELLED:
        return "cancelled"
    if appointment.status in OPEN and parse_iso(appointment.starts_at) > now():
        return "open"
    return "over"


@dataclass(frozen=True)
class PaymentFacts:
    amount: int  # grosze
    deadline: str  # UTC ISO-8601
    state: str  # checkout.payment_state: payable, in_progress, paid, transfer_late, …
    pay_href: str | None  # the payment page, while the visit can be paid


@dataclass(frozen=True)
class Facts:
    """What a visit's pages say besides the visit itself."""

    payment: PaymentFacts | None
    others_waiting: bool  # someone waits for this service: the freed visit may go to them


def facts(appointment: Appointment) -> Facts:
    """The prepayment (amount, deadline, state, the link to pay while it can be paid) and, for a
    cancelled visit, whether anyone waits for its service. Reads nothing for a visit without either."""
    payment = None
    if checkout.requires_payment(appointment):
        state = checkout.payment_state(appointment)
        payment = PaymentFacts(int(appointment.payment_amount), iso(checkout.deadline_of(appointment)), state,
                               f"/p/{link_signer().issue('p', appointment.appointment_id)}" if state == "payable"
                               else None)
    waiting = appointment.status == CANCELLED and anyone_waiting(appointment.facility_id, appointment.service)
    return Facts(payment, waiting)


def cancelled_by_patient(appointment: Appointment) -> bool:
    cancellation = appointment.cancellation
    return cancellation is not None and cancellation.channel in PATIENT_CHANNELS


def _seconds() -> int:
    return int(now().timestamp())


def _scope(appointment_id: str, action: str) -> str:
    return f"visit|{appointment_id}|{action}"


def form_tokens(appointment_id: str) -> dict[str, str]:
    signer, issued_at = link_signer(), _seconds()
    return {action: signer.form_token(_scope(appointment_id, action), issued_at) for action in ACTIONS}


def form_is_genuine(appointment_id: str, action: str, value: str | None) -> bool:
    return action in ACTIONS and link_signer().check_form_token(
        _scope(appointment_id, action), value or "", _seconds(), max_age=VISIT_FORM_MAX_AGE)


def act(appointment: Appointment, action: str, reason: str | None) -> appointments.Outcome:
    """What a button on the page does. Each is idempotent: a double click changes nothing twice."""
    if action == "cancel":
        if reason and reason not in REASONS:  # only what the page offers; "unpaid" is the sweep's own
            raise InvalidInput("not a reason the page offers", field="reason")
        return appointments.cancel(appointment, channel="web", reason=reason or "not_given")
    if action == "confirm":
        return appointments.confirm(appointment, channel="web")
    if action == "rebook":
        return appointments.request_rebook(appointment)
    raise InvalidInput("unknown action", field="action")


def lookup_form_token() -> str:
    return link_signer().form_token(LOOKUP_SCOPE, _seconds())


def lookup_form_is_genuine(value: str | None) -> bool:
    return link_signer().check_form_token(LOOKUP_SCOPE, value or "", _seconds(), max_age=LOOKUP_FORM_MAX_AGE)


def clinic_phone() -> str | None:
    """The phone a page that knows no visit can give: the clinic's, when the deployment serves one."""
    facility = only_facility()
    return facility.phone if facility is not None else None


def lookup(code_text: str, phone_text: str, source_ip: str) -> LookupAnswer:
    """Find a visit by code and phone. The answer is the same whether the code exists or not.
    InvalidInput for a phone that is not a number; RateLimited once the address has had too many
    tries. Guesses against one code never lock its owner out: after the code's tries, every answer
    is `by_sms` (so it tells a guesser nothing) and the owner's right phone gets the link by SMS."""
    if not ratelimit.hit("lookup-ip", source_ip, limit=LOOKUP_LIMIT_PER_IP[0], window_seconds=LOOKUP_LIMIT_PER_IP[1]):
        raise RateLimited("too many lookups from this address", retry_at=ratelimit.window_end(LOOKUP_LIMIT_PER_IP[1]))
    phone = normalize_phone(phone_text)
    code = normalize_visit_code(code_text or "")
    if len(code) != CODE_LENGTH or not set(code) <= set(CODE_ALPHABET):
        return LookupAnswer()  # cannot exist: no query, same answer
    within_limit = ratelimit.hit("lookup-code", code, limit=LOOKUP_LIMIT_PER_CODE[0],
                                 window_seconds=LOOKUP_LIMIT_PER_CODE[1])
    found = next((candidate for candidate in Appointment.by_code.query(code, limit=5)
                  if hmac.compare_digest(candidate.phone.encode(), phone.encode())), None)
    if within_limit:
        return LookupAnswer(link_signer().issue("c", found.appointment_id) if found else None)
    if found:  # once per visit and window: guesses cannot flood the owner's phone
        at = now()
        window = int(at.timestamp()) // LOOKUP_LIMIT_PER_CODE[1]
        queue_sms(found, LINK_BY_SMS, at, f"lookup:{window}").save_once()
    return LookupAnswer(by_sms=True)
