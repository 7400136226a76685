"""Offering a freed slot to the reserve list: waves of offers until someone takes it or the
cut-off comes (odwolaj.reserve.claims takes the answers, odwolaj.reserve.timer moves slots on).

A slot moves free → offering → filled | claimed | unfilled, each step a transaction conditioned
on the slot's status and version, so the stream consumer, the timer and an answer racing each
other send each wave once. A wave writes, per patient, the offer, the patient's cool-down, the
offer SMS and an event, with the slot, in one transaction; the offer's id is derived from (slot,
entry), so a redelivered stream record writes nothing twice.

Nothing closes a slot before its cut-off: when nobody can be asked now (everyone cooling down,
nobody on the list yet, outside sending hours), it waits in the `offers_due` index for the first
moment someone can, looking again every RECHECK for new entries. At the cut-off it is reported
`SlotUnfilled` once, with the reason.
"""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from odwolaj.core.clock import iso, now, parse_iso
from odwolaj.core.errors import NotFound, PrepaymentRefused
from odwolaj.core.sharding import shard_of
from odwolaj.core.transactions import Write, applied, condition_failed, transact
from odwolaj.data import events
from odwolaj.data.models import Appointment, Facility, FreedSlot, Offer, WaitingEntry
from odwolaj.data.outbox import queue_entry_sms
from odwolaj.payments import rules as payment_rules
from odwolaj.reserve.entries import ACTIVE, SERVED, queue_of, queue_rank
from odwolaj.reserve.filling import CLAIMED, FILLED, PUBLISHED, minutes_since_freed, slot_data
from odwolaj.reserve.order import first_eligible
from odwolaj.reserve.settings import strategy_of
from odwolaj.reserve.strategy import Strategy, cutoff, plan_wave

FREE, OFFERING, UNFILLED = "free", "offering", "unfilled"
OPEN, EXPIRED, WAITING, ACCEPTED, DECLINED, LOST = "open", "expired", "waiting", "accepted", "declined", "lost"
ANSWERABLE = (OPEN, EXPIRED)  # a yes or a no still counts (while the slot is free)
# A no does not bind: a yes after it still counts while the slot is free (the patient changed their
# mind, or a bare NIE to two offers answered the other one than they meant).
YES_COUNTS = (OPEN, EXPIRED, DECLINED)
OFFER_RETENTION = timedelta(days=90)
RECHECK = timedelta(minutes=15)  # a slot waiting for patients looks again this often (new entries, changes)
# Why a slot was given up, at its cut-off (SlotUnfilled's reason).
TOO_CLOSE = "too_close"  # no sending time before the cut-off, nobody could be asked
NO_ELIGIBLE_PATIENT = "no_eligible_patient"  # there was time, but nobody on the list could be asked
NOT_TAKEN = "not_taken"  # offered, nobody said yes before the cut-off


def offer_key(slot_id: str, entry_id: str) -> str:
    return hashlib.sha256(f"offer|{slot_id}|{entry_id}".encode()).hexdigest()[:16]


def get_offer(offer_id: str) -> Offer:
    try:
        return Offer.get(offer_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("offer not found") from None


def get_slot(slot_id: str) -> FreedSlot:
    return FreedSlot.get(slot_id, consistent_read=True)


def slot_unchanged(slot: FreedSlot) -> Condition:
    version = (FreedSlot.version == slot.version) if slot.version is not None else FreedSlot.version.does_not_exist()
    unchanged: Condition = (FreedSlot.status == slot.status) & version
    return unchanged


def facility_settings(facility_id: str) -> tuple[Strategy, str]:
    facility = Facility.get(facility_id)
    return strategy_of(facility), facility.timezone or "Europe/Warsaw"


def requirement(entry: WaitingEntry, slot: FreedSlot, at: datetime) -> payment_rules.PaymentRequirement | None:
    """The payment this patient's yes would need (payments.rules); PrepaymentRefused when the rules
    leave no time to pay."""
    return payment_rules.requirement_for(slot.facility_id, patient_id=entry.patient_id, specialist=slot.specialist,
                                         starts_at=parse_iso(slot.starts_at), booked_at=at)


def prepayment_for(entry: WaitingEntry, slot: FreedSlot, at: datetime) -> payment_rules.PaymentRequirement | None:
    """What this patient would have to pay at once on taking this slot (pay-to-claim), so the offer
    can say so; None when nothing (or only an optional payment) is asked."""
    try:
        found = requirement(entry, slot, at)
    except PrepaymentRefused:
        return None  # the yes would be refused anyway (no time to pay): nothing to announce
    return found if found is not None and found.mode == payment_rules.MANDATORY else None


def claim_minutes(facility_id: str) -> int:
    """How long a yes that needs payment holds the slot for that payment."""
    strategy, _timezone = facility_settings(facility_id)
    return int(strategy.claim_window.total_seconds() // 60)


def slot_cutoff(slot: FreedSlot, strategy: Strategy) -> datetime:
    return cutoff(parse_iso(slot.starts_at), strategy)


def priority_mark(entry: WaitingEntry, offer_id: str) -> str | None:
    """The slot's record of an offer to an entitled (0) or urgent (1) patient, for the fairness
    rule, or None. The class leads the entry's queue rank (the index carries it)."""
    rank = int(entry.queue_rank.split("#", 1)[0])
    return f"{rank}:{offer_id}" if rank < 2 else None


def apply(slot: FreedSlot, write: Write, status: str) -> str:
    """Run a slot transition; losing the race to another (a redelivery, the timer, an answer) is
    no error: the slot's status afterwards is returned."""
    try:
        transact(write)
    except TransactWriteError as error:
        if not condition_failed(error):
            raise
        return get_slot(slot.slot_id).status
    return status


# ---------------------------------------------------------------------------------------------
# Offering


def offer_freed_slot(slot_id: str) -> str:
    """A slot was freed (the Slots stream's INSERT): send the first wave. A redelivery finds the
    slot no longer free and does nothing. Returns the slot's status afterwards."""
    slot = get_slot(slot_id)
    if slot.status != FREE or slot.source == PUBLISHED:  # the clinic's published slots are for its campaigns' pages
        return slot.status
    if slot.source == "payment_expired":
        _reinstate_claimant(slot)
    return next_wave(slot, now())


def _reinstate_claimant(slot: FreedSlot) -> None:
    """A reserve-list patient who took a slot but did not pay in time goes back to their place on
    the list (not offered this same slot again). The freed slot's id is the expired booking's."""
    try:
        booking = Appointment.get(slot.slot_id, consistent_read=True)
    except DoesNotExist:
        return
    if not booking.waiting_entry_id:
        return
    entry = WaitingEntry.get(booking.waiting_entry_id, consistent_read=True)
    if entry.status != SERVED or entry.served_appointment_id != booking.appointment_id:
        return
    try:
        entry.update(actions=[
            WaitingEntry.status.set(ACTIVE), WaitingEntry.version.set(entry.version + 1),
            WaitingEntry.served_appointment_id.remove(), WaitingEntry.updated_at.set(iso(now())),
            WaitingEntry.queue.set(queue_of(entry.facility_id, entry.service)),
            WaitingEntry.queue_rank.set(queue_rank(entry.category, entry.entitlement, entry.entered_at,
                                                   int(entry.list_number))),
        ], condition=(WaitingEntry.status == SERVED) & (WaitingEntry.version == entry.version))
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return
    slot.offered_entries = {entry.entry_id}
    FreedSlot(slot.slot_id).update(actions=[FreedSlot.offered_entries.add({entry.entry_id})])


def next_wave(slot: FreedSlot, at: datetime, *, attempts: int = 3) -> str:
    """Send the slot's next wave; or wait (for sending hours, for a patient to become eligible);
    or, at the cut-off, report it unfilled. When the wave lost its race to a patient's change (an
    entry struck off or offered meanwhile) rather than to the slot's, it is chosen again."""
    if slot.claim_until:
        return slot.status  # a grace window is open: its end (the timer) decides what comes next
    strategy, timezone = facility_settings(slot.facility_id)
    end = slot_cutoff(slot, strategy)
    made = int(slot.offers_made or 0)
    if at >= end:
        return close_unfilled(slot, NOT_TAKEN if made else NO_ELIGIBLE_PATIENT, at)
    wave = plan_wave(strategy, parse_iso(slot.starts_at), at, int(slot.offer_wave or 0), made, timezone)
    if wave is None:  # no sending time left before the cut-off
        return wait(slot, end) if made else close_unfilled(slot, TOO_CLOSE, at)
    if wave.send_at > at:
        return wait(slot, wave.send_at)
    search = first_eligible(slot, wave.size, at, timezone, short_notice=wave.short_notice)
    if not search.found:  # everyone cooling down or unsuited: look again when that may change
        cooled = parse_iso(search.next_eligible_at) if search.next_eligible_at else end
        return wait(slot, min(cooled, at + RECHECK, end))
    list_size = int(slot.list_size) if slot.list_size is not None else \
        WaitingEntry.by_queue.count(queue_of(slot.facility_id, slot.service))
    number = int(slot.offer_wave or 0) + 1
    hold_until = iso(wave.hold_until)
    offers = [Offer(offer_id=offer_key(slot.slot_id, entry.entry_id), slot_id=slot.slot_id, entry_id=entry.entry_id,
                    facility_id=slot.facility_id, wave=number, status=OPEN, offered_at=iso(at), hold_until=hold_until,
                    expires_at=int((at + OFFER_RETENTION).timestamp()))
              for entry in search.found]
    marks = {mark for entry, offer in zip(search.found, offers) if (mark := priority_mark(entry, offer.offer_id))}
    local_hour = at.astimezone(ZoneInfo(timezone)).hour

    def write(transaction: TransactWrite) -> None:
        actions: list[Action] = [
            FreedSlot.status.set(OFFERING), FreedSlot.version.set(int(slot.version or 0) + 1),
            FreedSlot.offer_wave.set(number), FreedSlot.offers_made.set(made + len(offers)),
            FreedSlot.wave_offers.set({o.offer_id for o in offers}),
            FreedSlot.offered_entries.add({o.entry_id for o in offers}), FreedSlot.list_size.set(list_size),
            FreedSlot.offer_shard.set(shard_of(slot.slot_id)), FreedSlot.offer_due_at.set(hold_until),
        ]
        if marks:
            actions.append(FreedSlot.priority_offers.add(marks))
        transaction.update(slot, actions=actions, condition=slot_unchanged(slot))
        for entry, offer in zip(search.found, offers):
            unanswered = int(entry.unanswered_offers or 0) + 1
            transaction.save(offer, condition=Offer.offer_id.does_not_exist())
            transaction.update(WaitingEntry(entry.entry_id), actions=[
                WaitingEntry.unanswered_offers.set(unanswered),
                WaitingEntry.offer_cooldown_until.set(iso(wave.hold_until + strategy.cooldown(unanswered, list_size))),
            ], condition=WaitingEntry.status == ACTIVE)
            transaction.save(queue_entry_sms(entry, "offer", at, f"offer:{offer.offer_id}", offer.offer_id))
            transaction.save(events.DomainEvent(events.SLOT_OFFERED, slot.facility_id, f"{offer.offer_id}:offered", {
                **slot_data(slot), "offer_id": offer.offer_id, "entry_id": entry.entry_id, "wave": number,
                "wave_size": len(offers), "hold_until": hold_until, "local_hour": local_hour,
                "minutes_since_freed": minutes_since_freed(slot, at), "short_notice": wave.short_notice,
            }).to_outbox(at))

    status = apply(slot, write, OFFERING)
    current = get_slot(slot.slot_id)
    if attempts > 1 and current.status == slot.status and current.version == slot.version:
        return next_wave(current, at, attempts=attempts - 1)
    return status


def wait(slot: FreedSlot, due: datetime) -> str:
    """Nothing to send now: the timer comes back to the slot at `due`. Offers already out stay
    answerable meanwhile."""
    def write(transaction: TransactWrite) -> None:
        transaction.update(slot, actions=[
            FreedSlot.status.set(OFFERING), FreedSlot.version.set(int(slot.version or 0) + 1),
            FreedSlot.offer_shard.set(shard_of(slot.slot_id)), FreedSlot.offer_due_at.set(iso(due)),
        ], condition=slot_unchanged(slot))

    return apply(slot, write, OFFERING)


def close_unfilled(slot: FreedSlot, reason: str, at: datetime) -> str:
    """The cut-off came and nobody took it (or nobody could be asked): the clinic gets one event
    and may fill it its own way."""
    event = events.DomainEvent(events.SLOT_UNFILLED, slot.facility_id, f"{slot.slot_id}:unfilled", {
        **slot_data(slot), "reason": reason, "offers_made": int(slot.offers_made or 0),
        "waves": int(slot.offer_wave or 0)})

    def write(transaction: TransactWrite) -> None:
        transaction.update(slot, actions=[
            FreedSlot.status.set(UNFILLED), FreedSlot.version.set(int(slot.version or 0) + 1),
            FreedSlot.unfilled_reason.set(reason), FreedSlot.closed_at.set(iso(at)),
            FreedSlot.offer_shard.remove(), FreedSlot.offer_due_at.remove(),
        ], condition=slot_unchanged(slot))
        transaction.save(event.to_outbox(at))

    return apply(slot, write, UNFILLED)


def expire_wave(slot: FreedSlot, at: datetime) -> int:
    """The wave's pace passed: its unanswered offers are marked expired (a yes still counts while
    the slot is free). Returns how many."""
    expired = 0
    for offer in Offer.batch_get(sorted(slot.wave_offers or ())):
        if offer.status == OPEN and _expire(offer, at):
            expired += 1
    return expired


def _expire(offer: Offer, at: datetime) -> bool:
    event = events.DomainEvent(events.OFFER_EXPIRED, offer.facility_id, f"{offer.offer_id}:expired",
                               {"offer_id": offer.offer_id, "slot_id": offer.slot_id, "entry_id": offer.entry_id,
                                "wave": int(offer.wave)})

    def write(transaction: TransactWrite) -> None:
        transaction.update(offer, actions=[Offer.status.set(EXPIRED)], condition=Offer.status == OPEN)
        transaction.save(event.to_outbox(at))

    return applied(write)


def fill_claimed_slot(transaction: TransactWrite, booking: Appointment, at: datetime) -> None:
    """A pay-to-claim booking was paid: inside the payment's transaction, the slot it holds as
    `claimed` becomes `filled`, and SlotFilled goes to the clinic. Nothing for other bookings."""
    if not booking.reserve_slot_id:
        return
    slot = get_slot(booking.reserve_slot_id)
    if slot.status != CLAIMED or slot.filled_appointment_id != booking.appointment_id:
        return
    details = {**slot_data(slot), "offer_id": slot.filled_offer_id, "entry_id": booking.waiting_entry_id,
               "appointment_id": booking.appointment_id, "channel": "payment",
               "offers_made": int(slot.offers_made or 0), "minutes_to_fill": minutes_since_freed(slot, at)}
    transaction.update(slot, actions=[FreedSlot.status.set(FILLED), FreedSlot.version.set(int(slot.version or 0) + 1)],
                       condition=(FreedSlot.status == CLAIMED) & (FreedSlot.version == slot.version))
    transaction.save(events.DomainEvent(events.SLOT_FILLED, slot.facility_id, f"{slot.slot_id}:filled",
                                        details).to_outbox(at))
