"""Inbound SMS: what a patient's reply means, and which visit it answers.

A reply applies to the visits whose last message asked for TAK/NIE (the conversation of that
number). One such open visit: the reply confirms or cancels it. Several: a short clarifying
answer with each visit's link. An unclear reply gets one helpful answer a day, never a loop.
An unknown number gets nothing, so nobody can learn whether a number belongs to a patient.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist

from odwolaj.appointments import lifecycle as appointments
from odwolaj.campaigns import replies as campaign_replies
from odwolaj.core.clock import iso, now, parse_iso
from odwolaj.core.errors import DomainError, InvalidInput
from odwolaj.core.phone import normalize_phone
from odwolaj.data import events
from odwolaj.data.models import Appointment, Conversation
from odwolaj.data.outbox import queue_sms
from odwolaj.data.status import OPEN
from odwolaj.language.replies import Intent, parse
from odwolaj.reserve import replies as reserve_replies
from odwolaj.reserve.offers import Answer
from odwolaj.security.links import visit_link


class Outcome(enum.Enum):
    IGNORED = "ignored"  # unknown number, or nothing awaiting a reply
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    HELPED = "helped"
    CLARIFIED = "clarified"
    OPTED_OUT = "opted_out"
    OPTED_IN = "opted_in"
    OFFER_ACCEPTED = "offer_accepted"
    OFFER_DECLINED = "offer_declined"
    OFFER_TAKEN = "offer_taken"  # too late: the slot was taken or the offer expired (the patient is told)
    CAMPAIGN_REPLY = "campaign_reply"  # answered a campaign message (odwolaj.campaigns.replies)


@dataclass(frozen=True)
class InboundSms:
    sender: str  # as the provider wrote it
    text: str
    message_id: str  # the provider's id: duplicates of one message share it


def handle(sms: InboundSms) -> Outcome:
    try:
        phone = normalize_phone(sms.sender)
        conversation = Conversation.get(phone, consistent_read=True)
    except (InvalidInput, DoesNotExist):
        return Outcome.IGNORED
    if campaign_replies.answer(conversation, sms.text, sms.message_id) is not None:
        return Outcome.CAMPAIGN_REPLY
    intent = parse(sms.text)
    if intent in (Intent.STOP, Intent.START):
        return _opt(conversation, intent is Intent.STOP, sms)
    if reserve_replies.asked_last(conversation):
        return _answer_offer(conversation, intent)
    waiting = _awaiting(conversation)
    if not waiting:
        return _answer_offer(conversation, intent) if reserve_replies.pending(conversation) else Outcome.IGNORED
    if len(waiting) > 1:
        links = " ".join(visit_link(a.appointment_id) for a in waiting[:3])
        _answer(waiting[0], "clarify", sms, links=links)
        return Outcome.CLARIFIED
    [appointment] = waiting
    if intent is Intent.UNKNOWN:
        _answer(appointment, "help", sms, once_per_day=True)
        return Outcome.HELPED
    try:
        if intent is Intent.CONFIRM:
            appointments.confirm(appointment, channel="sms")
            return Outcome.CONFIRMED
        appointments.cancel(appointment, channel="sms")
        return Outcome.CANCELLED
    except DomainError:
        return Outcome.IGNORED  # e.g. the visit started meanwhile; the clinic handles it
    finally:
        _settle(conversation, appointment.appointment_id)


_OFFER_OUTCOMES = {Answer.ACCEPTED: Outcome.OFFER_ACCEPTED, Answer.DECLINED: Outcome.OFFER_DECLINED,
                   Answer.TAKEN: Outcome.OFFER_TAKEN, Answer.EXPIRED: Outcome.OFFER_TAKEN}


def _answer_offer(conversation: Conversation, intent: Intent) -> Outcome:
    result = reserve_replies.answer(conversation, intent)
    return Outcome.IGNORED if result is None else _OFFER_OUTCOMES[result.answer]


def handle_payload(payload: dict) -> dict:
    """handle() for a JSON-able payload, as the idempotency wrapper stores it."""
    return {"outcome": handle(InboundSms(**payload)).value}


def _awaiting(conversation: Conversation) -> list[Appointment]:
    moment = now()
    found = [appointments.get(appointment_id) for appointment_id in sorted(conversation.awaiting or ())]
    open_ = [a for a in found if a.status in OPEN and parse_iso(a.starts_at) > moment]
    stale = {a.appointment_id for a in found} - {a.appointment_id for a in open_}
    if stale:
        # Visits cancelled elsewhere or already over: forget them, so a number's later replies do
        # not read its whole history.
        conversation.update(actions=[Conversation.awaiting.delete(stale)])
    return sorted(open_, key=lambda a: a.starts_at)


def _settle(conversation: Conversation, appointment_id: str) -> None:
    conversation.update(actions=[Conversation.awaiting.delete({appointment_id}),
                                 Conversation.updated_at.set(iso(now()))])


def _opt(conversation: Conversation, out: bool, sms: InboundSms) -> Outcome:
    if conversation.opted_out != out:
        conversation.update(actions=[Conversation.opted_out.set(out), Conversation.updated_at.set(iso(now()))])
        if conversation.last_appointment_id:
            last = appointments.get(conversation.last_appointment_id)
            _answer(last, "stopped" if out else "started", sms)
            # For the clinic's records and the opt-out metric: which facility, never which number.
            events.DomainEvent(events.PATIENT_OPTED_OUT if out else events.PATIENT_OPTED_IN, last.facility_id,
                               f"opt:{sms.message_id}", {"channel": "sms", "patient_id": last.patient_id},
                               ).to_outbox(now()).save_once()
    return Outcome.OPTED_OUT if out else Outcome.OPTED_IN


def _answer(appointment: Appointment, kind: str, sms: InboundSms, *, links: str | None = None,
            once_per_day: bool = False) -> None:
    """Queue an answer; its cause is the inbound message (or the day), so it is sent once."""
    at = now()
    cause = f"{kind}:{at:%Y-%m-%d}" if once_per_day else f"{kind}:{sms.message_id}"
    item = queue_sms(appointment, kind, at, cause)
    item.links = links
    item.save_once()
