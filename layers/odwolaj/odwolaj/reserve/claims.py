"""Answers to offers: a yes takes the slot while it is free; a no keeps the patient's place.

A yes counts whenever it comes, as long as nobody has taken the slot and its cut-off has not come:
the pace of the waves decides whom to ask next, never whether a yes counts. Even a no does not
bind: a yes after it takes the slot while it is free (a bare NIE to two open offers declines the
newer one, which may be the one the patient wanted; its page still takes it). Taking the slot is
one transaction conditioned on the slot still being offered, the offer not answered otherwise and
the entry still active: it books the appointment (appointments.booking), marks the entry served
and the slot filled. Exactly one yes wins; every other is told, once, that someone else took it
and they keep their place.

Fairness, in the queue's order (entitled out of order, then pilny, then stabilny, then time of
entry). The waves follow that order, so nobody is asked before an eligible patient ahead of them.
When a yes comes from a patient while a patient of a higher class was offered the slot too and
has not said no, the slot is held for a grace window (`grace_minutes`): the yeses that come in it
are collected, and at its end the best-ranked (class, then time of entry) takes the slot. Between
patients of one class the first yes wins at once: the earlier entry was asked no later.
"""
from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import datetime

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from odwolaj.appointments.inputs import AppointmentInput
from odwolaj.core.clock import iso, now, parse_iso
from odwolaj.core.errors import PrepaymentRefused
from odwolaj.core.sharding import shard_of
from odwolaj.core.transactions import applied, condition_failed, transact
from odwolaj.data import events
from odwolaj.data.models import FreedSlot, Offer, WaitingEntry
from odwolaj.data.outbox import queue_entry_sms
from odwolaj.reserve import filling
from odwolaj.reserve.entries import ACTIVE, SERVED, priority_class, queue_rank
from odwolaj.reserve.filling import CLAIMED, FILLED
from odwolaj.reserve.offers import (
    ACCEPTED,
    DECLINED,
    EXPIRED,
    LOST,
    OFFERING,
    OPEN,
    WAITING,
    YES_COUNTS,
    facility_settings,
    get_offer,
    get_slot,
    next_wave,
    slot_cutoff,
)
from odwolaj.reserve.strategy import Strategy

# A grace window's losers are told in its winner's transaction (DynamoDB allows 100 items; the
# claim itself takes about a dozen); any more (never seen) are told just after.
LOSERS_IN_CLAIM = 20


class Answer(enum.Enum):
    ACCEPTED = "accepted"  # this answer (or an earlier one) got the slot
    PENDING = "pending"  # a yes within a grace window: the result follows by SMS within minutes
    DECLINED = "declined"
    TAKEN = "taken"  # someone else took it: told, keeps the place
    EXPIRED = "expired"  # the cut-off passed (or no time to prepay): told, keeps the place


@dataclass(frozen=True)
class Result:
    answer: Answer
    changed: bool
    appointment_id: str | None = None


def booking_key(offer_id: str) -> str:
    return hashlib.sha256(f"booking|{offer_id}".encode()).hexdigest()[:16]


def _answered(entry_id: str) -> tuple[WaitingEntry, list[Action]]:
    """Update actions: an answer, even a late one or a no, ends the patient's cool-down: this
    patient does respond."""
    return WaitingEntry(entry_id), [WaitingEntry.offer_cooldown_until.remove(), WaitingEntry.unanswered_offers.set(0)]


def _rank(entry: WaitingEntry) -> str:
    return queue_rank(entry.category, entry.entitlement, entry.entered_at, int(entry.list_number))


# ---------------------------------------------------------------------------------------------
# Yes


def accept(offer: Offer, *, channel: str) -> Result:
    """The patient says yes. While the slot is free it is theirs, at once or at the end of a
    grace window (the fairness rule); a repeat is the same answer; too late, they are told once."""
    return _accept(offer, channel, now(), attempts=3)


def _accept(offer: Offer, channel: str, at: datetime, *, attempts: int) -> Result:
    if offer.status == ACCEPTED:
        return Result(Answer.ACCEPTED, changed=False, appointment_id=offer.appointment_id)
    if offer.status == WAITING:
        return Result(Answer.PENDING, changed=False)
    slot = get_slot(offer.slot_id)
    entry = WaitingEntry.get(offer.entry_id, consistent_read=True)
    strategy, _timezone = facility_settings(slot.facility_id)
    if offer.status not in YES_COUNTS or slot.status != OFFERING or entry.status != ACTIVE \
            or at >= slot_cutoff(slot, strategy):
        return _too_late(offer, at, slot=slot, entry=entry, channel=channel)
    if slot.claim_until:
        return _wait_in_window(slot, offer, channel, at, attempts)
    if _higher_class_may_answer(slot, entry, offer):
        return _open_window(slot, offer, channel, at, strategy, attempts)
    taken = _claim(slot, offer, entry, channel, at, strategy, window=False)
    if taken is not None:
        return taken
    # Lost the slot's condition: someone took it, or a grace window opened meanwhile.
    current, slot = get_offer(offer.offer_id), get_slot(offer.slot_id)
    if current.status == ACCEPTED:  # a duplicate of this very acceptance got there first
        return Result(Answer.ACCEPTED, changed=False, appointment_id=current.appointment_id)
    if slot.status == OFFERING and slot.claim_until and current.status in YES_COUNTS:
        return _wait_in_window(slot, current, channel, at, attempts)
    return _too_late(current, at, slot=slot, channel=channel)


def _claim(slot: FreedSlot, offer: Offer, entry: WaitingEntry, channel: str, at: datetime, strategy: Strategy, *,
           window: bool, losers: tuple[tuple[Offer, WaitingEntry], ...] = ()) -> Result | None:
    """The one transaction that gives the slot to this patient; None when a condition failed (the
    slot taken or changed meanwhile). Outside a grace window it needs none to be open; at a
    window's end it needs the slot unchanged since its claimants were read, and the window's other
    yeses (`losers`) are lost and told in the same transaction, so none is left waiting."""
    data = AppointmentInput(patient_id=entry.patient_id, phone=entry.phone, starts_at=parse_iso(slot.starts_at),
                            service=slot.service, duration_minutes=int(slot.duration_minutes),
                            specialist=slot.specialist, location=slot.location, email=entry.email, pesel=entry.pesel)
    # Pay-to-claim: when this patient must prepay (first visit, blacklist…), the booking only holds
    # the slot for a short window; unpaid, the deadline sweep cancels it and the slot is offered again.
    unchanged = (FreedSlot.version == slot.version) if window else FreedSlot.claim_until.does_not_exist()
    try:
        taking = filling.claim(slot, data, at, external_id=f"reserve-{offer.offer_id}",
                               appointment_id=booking_key(offer.offer_id), channel="reserve_list",
                               condition=(FreedSlot.status == OFFERING) & unchanged,
                               claim_window=strategy.claim_window, waiting_entry_id=entry.entry_id,
                               details={"offer_id": offer.offer_id, "entry_id": entry.entry_id, "wave": int(offer.wave),
                                        "channel": channel, "after_hold": offer.hold_until < iso(at),
                                        "grace_window": window})
    except PrepaymentRefused:  # this patient must prepay and the rules leave no time for it
        return _too_late(offer, at, slot=slot, entry=entry, expired=True, channel=channel)
    appointment = taking.appointment
    cooldown_entry, cooldown_cleared = _answered(entry.entry_id)

    def write(transaction: TransactWrite) -> None:
        taking.write(transaction)  # the slot, the booking, SlotFilled
        transaction.update(offer, actions=[
            Offer.status.set(ACCEPTED), Offer.answered_at.set(Offer.answered_at | iso(at)), Offer.channel.set(channel),
            Offer.appointment_id.set(appointment.appointment_id),
        ], condition=Offer.status.is_in(*YES_COUNTS, WAITING))
        transaction.update(entry, actions=[
            WaitingEntry.status.set(SERVED), WaitingEntry.version.set(entry.version + 1),
            WaitingEntry.served_appointment_id.set(appointment.appointment_id), WaitingEntry.updated_at.set(iso(at)),
            WaitingEntry.queue.remove(), WaitingEntry.queue_rank.remove(), *cooldown_cleared,
        ], condition=(WaitingEntry.status == ACTIVE) & (WaitingEntry.version == entry.version))
        for other, other_entry in losers:
            transaction.update(other, actions=[Offer.status.set(LOST)], condition=Offer.status == WAITING)
            if other_entry.status == ACTIVE:
                transaction.save(queue_entry_sms(other_entry, "offer_taken", at, f"answer:{other.offer_id}",
                                                 other.offer_id))
        transaction.save(events.DomainEvent(events.OFFER_CLAIMED, slot.facility_id, f"{offer.offer_id}:claimed",
                                            taking.details).to_outbox(at))

    try:
        transact(write)
    except TransactWriteError as error:
        if not condition_failed(error):
            raise
        return None
    _close_rest_of_wave(slot, offer.offer_id)
    return Result(Answer.ACCEPTED, changed=True, appointment_id=appointment.appointment_id)


def _higher_class_may_answer(slot: FreedSlot, entry: WaitingEntry, offer: Offer) -> bool:
    """A patient of a higher class (entitled over pilny over stabilny) was offered this slot and
    could still say yes: not said no, still on the list."""
    mine = priority_class(entry.category, entry.entitlement)
    ahead = sorted({mark.split(":", 1)[1] for mark in slot.priority_offers or ()
                    if int(mark.split(":", 1)[0]) < mine} - {offer.offer_id})
    live = [o for o in Offer.batch_get(ahead) if o.status in (OPEN, EXPIRED, WAITING)] if ahead else []
    return bool(live) and any(e.status == ACTIVE for e in WaitingEntry.batch_get(sorted({o.entry_id for o in live})))


def _open_window(slot: FreedSlot, offer: Offer, channel: str, at: datetime, strategy: Strategy,
                 attempts: int) -> Result:
    """The first yes while a higher class may still answer: the slot is held `grace_minutes` (not
    past the cut-off), and the timer gives it to the best-ranked yes at the end."""
    until = iso(min(at + strategy.grace, slot_cutoff(slot, strategy)))
    return _record_yes(slot, offer, channel, at, [
        FreedSlot.claim_until.set(until), FreedSlot.claimants.set({offer.offer_id}),
        FreedSlot.offer_shard.set(shard_of(slot.slot_id)), FreedSlot.offer_due_at.set(until),
    ], (FreedSlot.status == OFFERING) & FreedSlot.claim_until.does_not_exist(), attempts)


def _wait_in_window(slot: FreedSlot, offer: Offer, channel: str, at: datetime, attempts: int) -> Result:
    """A yes while a grace window is open: it joins the yeses the window's end will rank."""
    return _record_yes(slot, offer, channel, at, [FreedSlot.claimants.add({offer.offer_id})],
                       (FreedSlot.status == OFFERING) & FreedSlot.claim_until.exists(), attempts)


def _record_yes(slot: FreedSlot, offer: Offer, channel: str, at: datetime, slot_actions: list[Action],
                slot_condition: Condition, attempts: int) -> Result:
    cooldown_entry, cooldown_cleared = _answered(offer.entry_id)

    def write(transaction: TransactWrite) -> None:
        transaction.update(slot, actions=[FreedSlot.version.set(int(slot.version or 0) + 1), *slot_actions],
                           condition=slot_condition)
        transaction.update(offer, actions=[Offer.status.set(WAITING), Offer.answered_at.set(iso(at)),
                                           Offer.channel.set(channel)], condition=Offer.status.is_in(*YES_COUNTS))
        transaction.update(cooldown_entry, actions=cooldown_cleared, condition=WaitingEntry.entry_id.exists())

    try:
        transact(write)
    except TransactWriteError as error:
        if not condition_failed(error) or attempts <= 1:
            raise
        # The window opened or closed meanwhile, or the slot was taken: decide again.
        return _accept(get_offer(offer.offer_id), channel, at, attempts=attempts - 1)
    return Result(Answer.PENDING, changed=True)


def close_window(slot: FreedSlot, at: datetime) -> bool:
    """A grace window's end (the timer): the best-ranked yes in it takes the slot, the others are
    told. True when the slot no longer waits for anyone (taken, or changed hands meanwhile);
    False when no yes could take it and offering goes on."""
    strategy, _timezone = facility_settings(slot.facility_id)
    for _attempt in range(5):
        waiting = [o for o in Offer.batch_get(sorted(slot.claimants or ())) if o.status == WAITING]
        entries = {e.entry_id: e for e in WaitingEntry.batch_get(sorted({o.entry_id for o in waiting}))}
        ranked = sorted((o for o in waiting if entries[o.entry_id].status == ACTIVE),
                        key=lambda o: _rank(entries[o.entry_id]))
        for offer in ranked:
            others = [o for o in waiting if o.offer_id != offer.offer_id]
            losers = tuple((o, entries[o.entry_id]) for o in others[:LOSERS_IN_CLAIM])
            taken = _claim(slot, offer, entries[offer.entry_id], offer.channel or "sms", at, strategy, window=True,
                           losers=losers)
            if taken is not None and taken.answer is Answer.ACCEPTED:
                for other in others[LOSERS_IN_CLAIM:]:
                    _too_late(get_offer(other.offer_id), at)
                return True
            if taken is None:  # the slot changed (a yes joined, an answer): read it again
                break
            waiting = others  # this one could not take it (no time left to prepay): told already
        else:  # nobody in the window can take it: offering goes on
            for other in waiting:
                _too_late(get_offer(other.offer_id), at)
            if _reopen(slot):
                return False
        slot = get_slot(slot.slot_id)
        if slot.status != OFFERING or not slot.claim_until:
            return True
    return True


def _reopen(slot: FreedSlot) -> bool:
    try:
        slot.update(actions=[FreedSlot.claim_until.remove(), FreedSlot.claimants.remove(),
                             FreedSlot.version.set(int(slot.version or 0) + 1)],
                    condition=(FreedSlot.status == OFFERING) & (FreedSlot.version == slot.version))
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


def _close_rest_of_wave(slot: FreedSlot, winner: str) -> None:
    """The wave's other unanswered offers are lost (their SMS, if not yet sent, is not; their
    patients are told if they answer). Those patients had no fair time to answer: the cool-down
    this offer gave them is lifted, so the next freed slot may go to them."""
    for other in Offer.batch_get(sorted((slot.wave_offers or set()) - {winner})):
        def write(transaction: TransactWrite, offer: Offer = other) -> None:
            transaction.update(offer, actions=[Offer.status.set(LOST)], condition=Offer.status == OPEN)
            transaction.update(WaitingEntry(offer.entry_id), actions=[
                WaitingEntry.offer_cooldown_until.remove(), WaitingEntry.unanswered_offers.add(-1),
            ], condition=WaitingEntry.unanswered_offers > 0)

        if other.status == OPEN and not applied(write):
            # Answered meanwhile (no cool-down left to lift): the offer alone is closed.
            try:
                Offer(other.offer_id).update(actions=[Offer.status.set(LOST)], condition=Offer.status == OPEN)
            except UpdateError as error:
                if error.cause_response_code != "ConditionalCheckFailedException":
                    raise


def _too_late(offer: Offer, at: datetime, *, slot: FreedSlot | None = None, entry: WaitingEntry | None = None,
              expired: bool = False, channel: str | None = None) -> Result:
    """The slot went to someone else (or its cut-off passed): one kind message per offer, and the
    patient keeps their place. A patient no longer on the list (served, struck off) gets none."""
    if offer.status == ACCEPTED:
        return Result(Answer.ACCEPTED, changed=False)
    slot = slot or get_slot(offer.slot_id)
    expired = expired or slot.status not in (FILLED, CLAIMED)
    answer = Answer.EXPIRED if expired else Answer.TAKEN
    kind = "offer_expired" if expired else "offer_taken"
    entry = entry or WaitingEntry.get(offer.entry_id, consistent_read=True)
    if offer.status == DECLINED:
        # A yes after their no came too late: the no stands. The page says so on screen; a TAK by
        # SMS is answered by SMS, once per offer (its no was thanked under another id).
        if channel != "sms" or entry.status != ACTIVE:
            return Result(answer, changed=False)
        told = queue_entry_sms(entry, kind, at, f"reconsidered:{offer.offer_id}", offer.offer_id)
        return Result(answer, changed=told.save_once())
    if offer.status in (OPEN, EXPIRED, WAITING):
        try:
            Offer(offer.offer_id).update(
                actions=[Offer.status.set(LOST), Offer.answered_at.set(Offer.answered_at | iso(at))],
                condition=Offer.status.is_in(OPEN, EXPIRED, WAITING))
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
    if entry.status != ACTIVE:
        return Result(answer, changed=False)
    cooldown_entry, cooldown_cleared = _answered(entry.entry_id)
    cooldown_entry.update(actions=cooldown_cleared, condition=WaitingEntry.entry_id.exists())
    told = queue_entry_sms(entry, kind, at, f"answer:{offer.offer_id}", offer.offer_id)
    return Result(answer, changed=told.save_once())


# ---------------------------------------------------------------------------------------------
# No


def decline(offer: Offer, *, channel: str) -> Result:
    """The patient says no: they keep their place; when the whole wave has answered, the next goes."""
    at = now()
    if offer.status == LOST:  # the slot went to another meanwhile: thanked all the same, once
        told = queue_entry_sms(WaitingEntry(offer.entry_id), "offer_declined", at, f"answer:{offer.offer_id}",
                               offer.offer_id).save_once()
        return Result(Answer.DECLINED, changed=told)
    if offer.status not in (OPEN, EXPIRED, WAITING):
        return Result(Answer.DECLINED, changed=False)
    event = events.DomainEvent(events.OFFER_DECLINED, offer.facility_id, f"{offer.offer_id}:declined",
                               {"offer_id": offer.offer_id, "slot_id": offer.slot_id, "entry_id": offer.entry_id,
                                "wave": int(offer.wave), "channel": channel})
    cooldown_entry, cooldown_cleared = _answered(offer.entry_id)

    def write(transaction: TransactWrite) -> None:
        transaction.update(offer, actions=[Offer.status.set(DECLINED), Offer.answered_at.set(iso(at)),
                                           Offer.channel.set(channel)],
                           condition=Offer.status.is_in(OPEN, EXPIRED, WAITING))
        transaction.update(cooldown_entry, actions=cooldown_cleared, condition=WaitingEntry.entry_id.exists())
        transaction.save(event.to_outbox(at))
        transaction.save(queue_entry_sms(WaitingEntry(offer.entry_id), "offer_declined", at,
                                         f"answer:{offer.offer_id}", offer.offer_id))

    try:
        transact(write)
    except TransactWriteError as error:
        if condition_failed(error):
            return decline(get_offer(offer.offer_id), channel=channel)
        raise
    slot = get_slot(offer.slot_id)
    if slot.status == OFFERING and not slot.claim_until and offer.offer_id in (slot.wave_offers or ()) \
            and _wave_answered(slot):
        next_wave(slot, at)
    return Result(Answer.DECLINED, changed=True)


def _wave_answered(slot: FreedSlot) -> bool:
    return all(o.status != OPEN for o in Offer.batch_get(sorted(slot.wave_offers or ())))

