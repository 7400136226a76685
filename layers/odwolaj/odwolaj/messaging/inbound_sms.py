"""Inbound SMS: what a patient's reply means, and which visit (or offer) it answers.

Every number with a visit to come is answered; a number with none and no pending offer gets
nothing, so nobody can learn whether a number belongs to a patient. The reply is read against
the message it answers (odwolaj.messaging.conversations): a reserve-list offer that asked last, a
message that asked TAK/NIE about a visit, or one that asked nothing.

- STOP and START (odwolaj.language.replies knows their many forms) always apply and are
  acknowledged once, when they change something. In reply to an offer they stop (resume) offers
  only; otherwise reminders, and a START also resumes the offers the number stopped, offer or not.
- A reply that says clearly the patient will not come cancels the visit, after any message about
  it, when it can only mean that visit; a TAK, or a "będę", confirms it. A bare NIE cancels only
  what asked for it.
- A bare NIE to a message that asked nothing, or a reply that could mean several visits, gets one
  short question that binds the next TAK/NIE to one visit (the latest messaged, else the nearest).
- An unclear reply gets one helpful answer a day (the link and the clinic's phone), which asks
  the same question; to an offer, one per offer (what to reply, by when, the link).

Each decision is written in one transaction with its effect and the conversation, conditioned on
the conversation's version; a lost race is decided again, any other failure leaves everything for
the provider's retry, and a retried message id gets the outcome it had.
"""
from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from odwolaj.appointments import lifecycle as appointments
from odwolaj.campaigns import replies as campaign_replies
from odwolaj.core.clock import WARSAW, iso, now
from odwolaj.core.errors import Conflict, InvalidInput, InvalidTransition
from odwolaj.core.phone import normalize_phone
from odwolaj.core.transactions import Write
from odwolaj.data import events
from odwolaj.data.models import Appointment, Conversation, OutboxItem
from odwolaj.data.outbox import queue_entry_sms, queue_sms
from odwolaj.data.status import OPEN
from odwolaj.language.replies import Context, Intent, parse
from odwolaj.messaging import conversations
from odwolaj.reserve import replies as reserve_replies
from odwolaj.reserve.claims import Answer
from odwolaj.security.links import visit_link

ATTEMPTS = 3  # a reply that keeps losing races to other replies is left to the provider's retry
VISITS_READ = 10  # a number's visits to come, nearest first
CLARIFY_LINKS = 2  # the other visits' pages a clarifying question lists (two SMS segments)


class Outcome(enum.Enum):
    IGNORED = "ignored"  # no visit to come and no offer, or nothing more to say today
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    HELPED = "helped"  # the unclear reply's answer (once a day)
    ASKED = "asked"  # a bare NIE to a message that asked nothing: "Przyjdziesz na wizytę …?"
    CLARIFIED = "clarified"  # could mean several visits: asked about one
    OPTED_OUT = "opted_out"
    OPTED_IN = "opted_in"
    OFFERS_STOPPED = "offers_stopped"  # STOP to an offer: no more offers, the place kept
    OFFERS_STARTED = "offers_started"
    OFFER_ACCEPTED = "offer_accepted"
    OFFER_DECLINED = "offer_declined"
    OFFER_PENDING = "offer_pending"  # a yes within a grace window: the result follows by SMS
    OFFER_TAKEN = "offer_taken"  # too late: the slot was taken or its cut-off passed (the patient is told)
    OFFER_HELPED = "offer_helped"
    CAMPAIGN_REPLY = "campaign_reply"  # answered a campaign message (odwolaj.campaigns.replies)


@dataclass(frozen=True)
class InboundSms:
    sender: str  # as the provider wrote it
    text: str
    message_id: str  # the provider's id: duplicates of one message share it


def handle_payload(payload: dict) -> dict:
    """handle() for a JSON-able payload, as the idempotency wrapper stores it."""
    return {"outcome": handle(InboundSms(**payload)).value}


def handle(sms: InboundSms) -> Outcome:
    try:
        phone = normalize_phone(sms.sender)
    except InvalidInput:
        return Outcome.IGNORED
    attempt = 1
    while True:
        try:
            return _Reply(sms, phone).answer()
        except Conflict as lost:  # another reply, or a message being sent, changed the conversation
            if isinstance(lost, InvalidTransition) or attempt == ATTEMPTS:
                raise  # the provider retries later
            attempt += 1


class _Reply:
    """One reply, decided from the conversation and the number's visits as read now."""

    def __init__(self, sms: InboundSms, phone: str):
        self.sms = sms
        self.conversation = conversations.load(phone)
        self.visits = _visits_to_come(phone)
        self.open_ids = {v.appointment_id for v in self.visits}

    def answer(self) -> Outcome:
        seen = conversations.handled_outcome(self.conversation, self.sms.message_id)
        if seen is not None:
            return Outcome(seen)
        if campaign_replies.answer(self.conversation, self.sms.text, self.sms.message_id) is not None:
            return Outcome.CAMPAIGN_REPLY
        offers = reserve_replies.pending(self.conversation)
        if not self.visits and not offers and not self.conversation.offers_stopped_entries:
            return Outcome.IGNORED
        if not self.visits or reserve_replies.asked_last(self.conversation):
            context, candidates = Context.OFFER, []
        elif conversations.asked_last(self.conversation) and (
                asked := [v for v in self.visits if v.appointment_id in (self.conversation.awaiting or ())]):
            context, candidates = Context.REMINDER, asked
        else:
            context, candidates = Context.BOOKING, self.visits
        intent = parse(self.sms.text, context)
        if intent in (Intent.STOP, Intent.START):
            if context is Context.OFFER:
                return self._opt_offers(intent is Intent.STOP)
            return self._opt(intent is Intent.STOP)
        if context is Context.OFFER:
            return self._offer(intent)
        return self._visit(intent, context, candidates)

    # -- visits -----------------------------------------------------------------------------

    def _visit(self, intent: Intent, context: Context, candidates: list[Appointment]) -> Outcome:
        latest = self.conversation.last_appointment_id
        preferred = next((v for v in candidates if v.appointment_id == latest), candidates[0])
        if intent is Intent.UNKNOWN:
            return self._help(preferred)
        if len(candidates) > 1:
            others = " ".join([visit_link(v.appointment_id) for v in candidates if v is not preferred][:CLARIFY_LINKS])
            return self._ask(preferred, Outcome.CLARIFIED, "clarify", links=others)
        [visit] = candidates
        try:
            if intent is Intent.CONFIRM:
                return self._change(visit, Outcome.CONFIRMED, appointments.confirm)
            if intent is Intent.CANCEL or (intent is Intent.DECLINE and context is Context.REMINDER):
                return self._change(visit, Outcome.CANCELLED, appointments.cancel)
        except InvalidTransition:
            return self._help(visit)  # e.g. a TAK to a visit that awaits its payment
        return self._ask(visit, Outcome.ASKED, "question")

    def _change(self, visit: Appointment, outcome: Outcome, change: Callable[..., appointments.Outcome]) -> Outcome:
        record = self._step(outcome, conversations.settle(self.conversation, visit.appointment_id, self.open_ids))
        result = change(visit, channel="sms", also=record)
        if not result.changed:
            conversations.apply(record)  # already so (a click on the page): only the reply is recorded
        return outcome

    def _ask(self, visit: Appointment, outcome: Outcome, kind: str, *, links: str | None = None) -> Outcome:
        """One short question that binds the next TAK/NIE to `visit`."""
        question = queue_sms(visit, kind, now(), f"{kind}:{self.sms.message_id}")
        question.links = links
        conversations.apply(self._save(question), self._step(outcome, self._binding(visit)))
        return outcome

    def _help(self, visit: Appointment) -> Outcome:
        """One helpful answer a day per number; it asks TAK/NIE about `visit`, so it binds it too."""
        today = f"{now().astimezone(WARSAW):%Y-%m-%d}"
        if self.conversation.helped_on == today:
            conversations.apply(self._step(Outcome.IGNORED))
            return Outcome.IGNORED
        answer = queue_sms(visit, "help", now(), f"help:{today}")
        conversations.apply(self._save(answer), self._step(Outcome.HELPED, [
            *self._binding(visit), Conversation.helped_on.set(today)]))
        return Outcome.HELPED

    @staticmethod
    def _binding(visit: Appointment) -> list[Action]:
        return conversations.bind(visit.appointment_id)  # replaces the awaiting set, stale visits too

    # -- STOP and START ---------------------------------------------------------------------

    def _opt(self, out: bool) -> Outcome:
        """STOP (START) about a visit: reminders. START also resumes the offers this number stopped
        (their own acknowledgement), with no offer outstanding. Each acknowledged once, when it
        changed."""
        outcome = Outcome.OPTED_OUT if out else Outcome.OPTED_IN
        at = now()
        writes: list[Write] = []
        actions: list[Action] = []
        if bool(self.conversation.opted_out) != out:
            kind = "stopped" if out else "started"
            latest = self.conversation.last_appointment_id  # not in an offer's context: a visit to come
            visit = next((v for v in self.visits if v.appointment_id == latest), self.visits[0])
            writes += self._opted(out, queue_sms(visit, kind, at, f"{kind}:{self.sms.message_id}"), at,
                                  visit.facility_id, visit.patient_id, "reminders")
            actions.append(Conversation.opted_out.set(out))
        if not out:
            resumed, noted = self._switch_offers(False, at)
            if resumed and not writes:
                outcome = Outcome.OFFERS_STARTED
            writes += resumed
            actions += noted
        conversations.apply(*writes, self._step(outcome, actions))
        return outcome

    def _opt_offers(self, out: bool) -> Outcome:
        """STOP (START) in reply to an offer: about offers only. The patient keeps their place and
        their visits' reminders; acknowledged once, when it changed something."""
        outcome = Outcome.OFFERS_STOPPED if out else Outcome.OFFERS_STARTED
        writes, actions = self._switch_offers(out, now())
        conversations.apply(*writes, self._step(outcome, actions))
        return outcome

    def _switch_offers(self, out: bool, at: datetime) -> tuple[list[Write], list[Action]]:
        changing, noted = reserve_replies.to_switch(self.conversation, stop=out)
        if not changing:
            return [], noted
        kind = "offers_stopped" if out else "offers_started"
        told = queue_entry_sms(changing[0], kind, at, f"{kind}:{self.sms.message_id}")
        return [*self._opted(out, told, at, changing[0].facility_id, changing[0].patient_id, "offers"),
                reserve_replies.switch_offers(changing, out, at)], noted

    def _opted(self, out: bool, told: OutboxItem, at: datetime, facility_id: str, patient_id: str,
               scope: str) -> list[Write]:
        # For the clinic's records and the opt-out metric: which facility, never which number. One
        # event per scope a reply changed (a START may resume reminders and offers).
        event = events.DomainEvent(events.PATIENT_OPTED_OUT if out else events.PATIENT_OPTED_IN, facility_id,
                                   f"opt:{self.sms.message_id}" + ("" if scope == "reminders" else f":{scope}"),
                                   {"channel": "sms", "patient_id": patient_id, "scope": scope})
        return [self._save(told), self._save(event.to_outbox(at))]

    # -- reserve-list offers ----------------------------------------------------------------

    def _offer(self, intent: Intent) -> Outcome:
        actions: list[Action] = []
        if intent is Intent.UNKNOWN:
            helped = reserve_replies.explain(self.conversation)
            outcome = Outcome.OFFER_HELPED if helped else Outcome.IGNORED
        else:
            answered = reserve_replies.answer(self.conversation, intent)
            outcome = Outcome.IGNORED if answered is None else _OFFER_OUTCOMES[answered[0].answer]
            if answered is not None:
                # The offer's answer is idempotent (a repeated yes is the same success), so the
                # offer stops awaiting a reply only here: if this write fails, the retry answers again.
                actions += answered[1]
        conversations.apply(self._step(outcome, actions))
        return outcome

    # -- writes -----------------------------------------------------------------------------

    def _step(self, outcome: Outcome, actions: list[Action] | None = None) -> Write:
        return conversations.step(self.conversation, self.sms.message_id, outcome.value, actions)

    @staticmethod
    def _save(item: OutboxItem) -> Write:
        def write(transaction: TransactWrite) -> None:
            transaction.save(item, condition=OutboxItem.outbox_id.does_not_exist())

        return write


_OFFER_OUTCOMES = {Answer.ACCEPTED: Outcome.OFFER_ACCEPTED, Answer.PENDING: Outcome.OFFER_PENDING,
                   Answer.DECLINED: Outcome.OFFER_DECLINED, Answer.TAKEN: Outcome.OFFER_TAKEN,
                   Answer.EXPIRED: Outcome.OFFER_TAKEN}


def _visits_to_come(phone: str) -> list[Appointment]:
    """The number's open visits that have not started, nearest first (read again consistently:
    the index may lag a change by a moment)."""
    moment = iso(now())
    found = Appointment.by_phone.query(phone, Appointment.starts_at > moment, limit=VISITS_READ)
    ids = [hit.appointment_id for hit in found if hit.status in OPEN]
    visits = [appointments.get(appointment_id) for appointment_id in ids]
    return sorted((v for v in visits if v.status in OPEN and v.starts_at > moment), key=lambda v: v.starts_at)
