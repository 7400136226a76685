"""Offers of freed slots to the reserve list, from the freeing to a booking (or to the clinic).

A slot moves free → offering → filled | unfilled, each step a transaction conditioned on the
slot's status and version, so the stream consumer, the timer and a decline racing each other
send each wave once. A wave writes, per patient, the offer, the patient's cool-down, the offer
SMS and an event, with the slot, in one transaction; the offer's id is derived from (slot,
entry), so a redelivered stream record writes nothing twice.

Acceptance is one transaction conditioned on the slot still offering this very offer's wave, the
offer still open and the entry still active: it books the appointment (appointments.booking), marks
the entry served and the slot filled. Every other answer loses that condition and is told, once,
that the slot was taken (or the offer expired), keeping the patient's place.
"""
from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pynamodb.exceptions import DoesNotExist, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from odwolaj.appointments.inputs import AppointmentInput
from odwolaj.core.clock import iso, now, parse_iso
from odwolaj.core.errors import NotFound, PrepaymentRefused
from odwolaj.core.sharding import SHARDS, shard_of
from odwolaj.core.transactions import Write, applied, condition_failed, transact
from odwolaj.data import events
from odwolaj.data.models import Appointment, Facility, FreedSlot, Offer, WaitingEntry
from odwolaj.data.outbox import queue_entry_sms
from odwolaj.reserve import filling
from odwolaj.reserve.entries import ACTIVE, SERVED, queue_of, queue_rank
from odwolaj.reserve.filling import CLAIMED, FILLED, PUBLISHED, minutes_since_freed, slot_data
from odwolaj.reserve.order import first_eligible
from odwolaj.reserve.settings import strategy_of
from odwolaj.reserve.strategy import Strategy, plan_wave

FREE, OFFERING, UNFILLED = "free", "offering", "unfilled"
OPEN, ACCEPTED, DECLINED, EXPIRED, LOST = "open", "accepted", "declined", "expired", "lost"
OFFER_RETENTION = timedelta(days=90)
CHANNELS = ("sms", "web")


class Answer(enum.Enum):
    ACCEPTED = "accepted"  # this answer (or an earlier one) got the slot
    DECLINED = "declined"
    TAKEN = "taken"  # someone else was first: told, keeps the place
    EXPIRED = "expired"  # the hold had passed: told, keeps the place


@dataclass(frozen=True)
class Result:
    answer: Answer
    changed: bool
    appointment_id: str | None = None


def offer_key(slot_id: str, entry_id: str) -> str:
    return hashlib.sha256(f"offer|{slot_id}|{entry_id}".encode()).hexdigest()[:16]


def booking_key(offer_id: str) -> str:
    return hashlib.sha256(f"booking|{offer_id}".encode()).hexdigest()[:16]


def get_offer(offer_id: str) -> Offer:
    try:
        return Offer.get(offer_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("offer not found") from None


def _slot_unchanged(slot: FreedSlot) -> Condition:
    version = (FreedSlot.version == slot.version) if slot.version is not None else FreedSlot.version.does_not_exist()
    unchanged: Condition = (FreedSlot.status == slot.status) & version
    return unchanged


def _facility_settings(facility_id: str) -> tuple[Strategy, str]:
    facility = Facility.get(facility_id)
    return strategy_of(facility), facility.timezone or "Europe/Warsaw"


# ---------------------------------------------------------------------------------------------
# Offering


def offer_freed_slot(slot_id: str) -> str:
    """A slot was freed (the Slots stream's INSERT): send the first wave. A redelivery finds the
    slot no longer free and does nothing. Returns the slot's status afterwards."""
    slot = FreedSlot.get(slot_id, consistent_read=True)
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
    """Send the slot's next wave, wait for sending hours, or report it unfilled. When the wave lost
    its race to a patient's change (an entry struck off or offered meanwhile) rather than to the
    slot's, it is chosen again."""
    strategy, timezone = _facility_settings(slot.facility_id)
    wave = plan_wave(strategy, parse_iso(slot.starts_at), at, int(slot.offers_made or 0), timezone)
    if wave is None:
        return _close_unfilled(slot, "too_close", at)
    if wave.send_at > at:
        return _wait(slot, wave.send_at)
    search = first_eligible(slot, wave.size, at, timezone)
    if not search.found:
        return _close_unfilled(slot, "no_eligible_patient", at)
    number = int(slot.offer_wave or 0) + 1
    hold_until = iso(wave.hold_until)
    offers = [Offer(offer_id=offer_key(slot.slot_id, entry.entry_id), slot_id=slot.slot_id, entry_id=entry.entry_id,
                    facility_id=slot.facility_id, wave=number, status=OPEN, offered_at=iso(at), hold_until=hold_until,
                    expires_at=int((at + OFFER_RETENTION).timestamp()))
              for entry in search.found]
    ids = {offer.offer_id for offer in offers}
    local_hour = at.astimezone(ZoneInfo(timezone)).hour

    def write(transaction: TransactWrite) -> None:
        transaction.update(slot, actions=[
            FreedSlot.status.set(OFFERING), FreedSlot.version.set(int(slot.version or 0) + 1),
            FreedSlot.offer_wave.set(number), FreedSlot.offers_made.set(int(slot.offers_made or 0) + len(offers)),
            FreedSlot.wave_offers.set(ids), FreedSlot.offered_entries.add({o.entry_id for o in offers}),
            FreedSlot.offer_shard.set(shard_of(slot.slot_id)), FreedSlot.offer_due_at.set(hold_until),
        ], condition=_slot_unchanged(slot))
        for entry, offer in zip(search.found, offers):
            unanswered = int(entry.unanswered_offers or 0) + 1
            transaction.save(offer, condition=Offer.offer_id.does_not_exist())
            transaction.update(WaitingEntry(entry.entry_id), actions=[
                WaitingEntry.unanswered_offers.set(unanswered),
                WaitingEntry.offer_cooldown_until.set(iso(wave.hold_until + strategy.cooldown(unanswered))),
            ], condition=WaitingEntry.status == ACTIVE)
            transaction.save(queue_entry_sms(entry, "offer", at, f"offer:{offer.offer_id}", offer.offer_id))
            transaction.save(events.DomainEvent(events.SLOT_OFFERED, slot.facility_id, f"{offer.offer_id}:offered", {
                **slot_data(slot), "offer_id": offer.offer_id, "entry_id": entry.entry_id, "wave": number,
                "wave_size": len(offers), "hold_until": hold_until, "local_hour": local_hour,
                "minutes_since_freed": minutes_since_freed(slot, at),
            }).to_outbox(at))

    status = _apply(slot, write, OFFERING)
    current = FreedSlot.get(slot.slot_id, consistent_read=True)
    if attempts > 1 and current.status == slot.status and current.version == slot.version:
        return next_wave(current, at, attempts=attempts - 1)
    return status


def _apply(slot: FreedSlot, write: Write, status: str) -> str:
    """Run a slot transition; losing the race to another (a redelivery, the timer) is no error."""
    try:
        transact(write)
    except TransactWriteError as error:
        if not condition_failed(error):
            raise
        return FreedSlot.get(slot.slot_id, consistent_read=True).status
    return status


def _wait(slot: FreedSlot, due: datetime) -> str:
    """Outside sending hours: the timer sends the wave when they begin."""
    def write(transaction: TransactWrite) -> None:
        transaction.update(slot, actions=[
            FreedSlot.status.set(OFFERING), FreedSlot.version.set(int(slot.version or 0) + 1),
            FreedSlot.wave_offers.remove(),
            FreedSlot.offer_shard.set(shard_of(slot.slot_id)), FreedSlot.offer_due_at.set(iso(due)),
        ], condition=_slot_unchanged(slot))

    return _apply(slot, write, OFFERING)


def _close_unfilled(slot: FreedSlot, reason: str, at: datetime) -> str:
    """Nobody took it (or nobody can): the clinic gets an event and may fill it its own way."""
    event = events.DomainEvent(events.SLOT_UNFILLED, slot.facility_id, f"{slot.slot_id}:unfilled", {
        **slot_data(slot), "reason": reason, "offers_made": int(slot.offers_made or 0),
        "waves": int(slot.offer_wave or 0)})

    def write(transaction: TransactWrite) -> None:
        transaction.update(slot, actions=[
            FreedSlot.status.set(UNFILLED), FreedSlot.version.set(int(slot.version or 0) + 1),
            FreedSlot.unfilled_reason.set(reason), FreedSlot.closed_at.set(iso(at)),
            FreedSlot.offer_shard.remove(), FreedSlot.offer_due_at.remove(),
        ], condition=_slot_unchanged(slot))
        transaction.save(event.to_outbox(at))

    return _apply(slot, write, UNFILLED)


# ---------------------------------------------------------------------------------------------
# The timer


@dataclass
class SweepReport:
    read: int = 0  # index items read
    expired: int = 0  # offers whose hold passed unanswered
    waves: int = 0  # slots moved on (next wave, or closed)


def sweep(at: datetime | None = None) -> SweepReport:
    """Every minute: slots whose wave's hold passed (or whose sending hours began) move on.
    Reads only the sparse `offers_due` index, shard by shard."""
    at = at or now()
    report = SweepReport()
    for shard in range(SHARDS):
        for due in FreedSlot.offers_due.query(f"r{shard:02d}", FreedSlot.offer_due_at <= iso(at)):
            report.read += 1
            slot = FreedSlot.get(due.slot_id, consistent_read=True)
            if slot.status != OFFERING or not slot.offer_due_at or slot.offer_due_at > iso(at):
                continue  # moved on since the index was written
            report.expired += _expire_wave(slot, at)
            next_wave(slot, at)
            report.waves += 1
    return report


def _expire_wave(slot: FreedSlot, at: datetime) -> int:
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


# ---------------------------------------------------------------------------------------------
# Answers


def accept(offer: Offer, *, channel: str) -> Result:
    """The patient says yes. Exactly one acceptance per slot wins; a repeat of the winning one
    is the same success; every other is told once that the slot is gone."""
    at = now()
    if offer.status == ACCEPTED:
        return Result(Answer.ACCEPTED, changed=False, appointment_id=offer.appointment_id)
    if offer.status != OPEN or offer.hold_until < iso(at):
        return _too_late(offer, at)
    slot = FreedSlot.get(offer.slot_id, consistent_read=True)
    entry = WaitingEntry.get(offer.entry_id, consistent_read=True)
    if slot.status != OFFERING or offer.offer_id not in (slot.wave_offers or ()) or entry.status != ACTIVE:
        return _too_late(offer, at)
    data = AppointmentInput(patient_id=entry.patient_id, phone=entry.phone, starts_at=parse_iso(slot.starts_at),
                            service=slot.service, duration_minutes=int(slot.duration_minutes),
                            specialist=slot.specialist, location=slot.location, email=entry.email, pesel=entry.pesel)
    strategy, _timezone = _facility_settings(slot.facility_id)
    # Pay-to-claim: when this patient must prepay (first visit, blacklist…), the booking only holds
    # the slot for a short window; unpaid, the deadline sweep cancels it and the slot is offered again.
    try:
        still_offered = (FreedSlot.status == OFFERING) & FreedSlot.wave_offers.contains(offer.offer_id)
        taking = filling.claim(slot, data, at, external_id=f"reserve-{offer.offer_id}",
                               appointment_id=booking_key(offer.offer_id), channel="reserve_list",
                               condition=still_offered,
                               claim_window=strategy.claim_window, waiting_entry_id=entry.entry_id,
                               details={"offer_id": offer.offer_id, "entry_id": entry.entry_id,
                                        "wave": int(offer.wave), "channel": channel})
    except PrepaymentRefused:  # this patient must prepay and the rules leave no time for it
        return _too_late(offer, at, expired=True)
    appointment = taking.appointment

    def write(transaction: TransactWrite) -> None:
        taking.write(transaction)
        transaction.update(offer, actions=[
            Offer.status.set(ACCEPTED), Offer.answered_at.set(iso(at)), Offer.channel.set(channel),
            Offer.appointment_id.set(appointment.appointment_id),
        ], condition=Offer.status == OPEN)
        transaction.update(entry, actions=[
            WaitingEntry.status.set(SERVED), WaitingEntry.version.set(entry.version + 1),
            WaitingEntry.served_appointment_id.set(appointment.appointment_id), WaitingEntry.updated_at.set(iso(at)),
            WaitingEntry.queue.remove(), WaitingEntry.queue_rank.remove(), WaitingEntry.offer_cooldown_until.remove(),
            WaitingEntry.unanswered_offers.set(0),
        ], condition=(WaitingEntry.status == ACTIVE) & (WaitingEntry.version == entry.version))
        transaction.save(events.DomainEvent(events.OFFER_CLAIMED, slot.facility_id, f"{offer.offer_id}:claimed",
                                            taking.details).to_outbox(at))

    try:
        transact(write)
    except TransactWriteError as error:
        if not condition_failed(error):
            raise
        current = get_offer(offer.offer_id)
        if current.status == ACCEPTED:  # a duplicate of this very acceptance got there first
            return Result(Answer.ACCEPTED, changed=False, appointment_id=current.appointment_id)
        return _too_late(current, at)
    _close_rest_of_wave(slot, offer.offer_id)
    return Result(Answer.ACCEPTED, changed=True, appointment_id=appointment.appointment_id)


def fill_claimed_slot(transaction: TransactWrite, booking: Appointment, at: datetime) -> None:
    """A pay-to-claim booking was paid: inside the payment's transaction, the slot it holds as
    `claimed` becomes `filled`, and SlotFilled goes to the clinic. Nothing for other bookings."""
    if not booking.reserve_slot_id:
        return
    slot = FreedSlot.get(booking.reserve_slot_id, consistent_read=True)
    if slot.status != CLAIMED or slot.filled_appointment_id != booking.appointment_id:
        return
    details = {**slot_data(slot), "offer_id": slot.filled_offer_id, "entry_id": booking.waiting_entry_id,
               "appointment_id": booking.appointment_id, "channel": "payment",
               "offers_made": int(slot.offers_made or 0), "minutes_to_fill": minutes_since_freed(slot, at)}
    transaction.update(slot, actions=[FreedSlot.status.set(FILLED), FreedSlot.version.set(int(slot.version or 0) + 1)],
                       condition=(FreedSlot.status == CLAIMED) & (FreedSlot.version == slot.version))
    transaction.save(events.DomainEvent(events.SLOT_FILLED, slot.facility_id, f"{slot.slot_id}:filled",
                                        details).to_outbox(at))


def _close_rest_of_wave(slot: FreedSlot, winner: str) -> None:
    """Tidy: the wave's other open offers are lost (their patients are told if they answer)."""
    for other in sorted((slot.wave_offers or set()) - {winner}):
        try:
            Offer(other).update(actions=[Offer.status.set(LOST)], condition=Offer.status == OPEN)
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise


def _too_late(offer: Offer, at: datetime, *, expired: bool = False) -> Result:
    """The slot went to someone else, or the hold passed: one polite message per offer."""
    expired = expired or offer.status == EXPIRED or (offer.status == OPEN and offer.hold_until < iso(at)
                                                     and not _slot_taken(offer))
    if offer.status == OPEN:
        try:
            Offer(offer.offer_id).update(actions=[Offer.status.set(EXPIRED if expired else LOST),
                                                  Offer.answered_at.set(iso(at))],
                                         condition=Offer.status == OPEN)
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
    if offer.status in (DECLINED, ACCEPTED):
        return Result(Answer.DECLINED if offer.status == DECLINED else Answer.ACCEPTED, changed=False)
    _answered(offer.entry_id)
    kind = "offer_expired" if expired else "offer_taken"
    told = queue_entry_sms(WaitingEntry(offer.entry_id), kind, at, f"answer:{offer.offer_id}", offer.offer_id)
    return Result(Answer.EXPIRED if expired else Answer.TAKEN, changed=told.save_once())


def _answered(entry_id: str) -> None:
    """An answer, even a late one, ends the patient's cool-down: this patient does respond."""
    WaitingEntry(entry_id).update(actions=[WaitingEntry.offer_cooldown_until.remove(),
                                           WaitingEntry.unanswered_offers.set(0)],
                                  condition=WaitingEntry.entry_id.exists())


def _slot_taken(offer: Offer) -> bool:
    try:
        return FreedSlot.get(offer.slot_id, consistent_read=True).status == FILLED
    except DoesNotExist:
        return False


def decline(offer: Offer, *, channel: str) -> Result:
    """The patient says no: they keep their place; when the whole wave has answered, the next goes."""
    at = now()
    if offer.status != OPEN:
        if offer.status in (LOST, EXPIRED):
            queue_entry_sms(WaitingEntry(offer.entry_id), "offer_declined", at, f"answer:{offer.offer_id}",
                            offer.offer_id).save_once()
        return Result(Answer.DECLINED, changed=False)
    event = events.DomainEvent(events.OFFER_DECLINED, offer.facility_id, f"{offer.offer_id}:declined",
                               {"offer_id": offer.offer_id, "slot_id": offer.slot_id, "entry_id": offer.entry_id,
                                "wave": int(offer.wave), "channel": channel})

    def write(transaction: TransactWrite) -> None:
        transaction.update(offer, actions=[Offer.status.set(DECLINED), Offer.answered_at.set(iso(at)),
                                           Offer.channel.set(channel)], condition=Offer.status == OPEN)
        # An answer, even a no, ends the cool-down: this patient does respond.
        transaction.update(WaitingEntry(offer.entry_id), actions=[
            WaitingEntry.offer_cooldown_until.remove(), WaitingEntry.unanswered_offers.set(0)],
            condition=WaitingEntry.entry_id.exists())
        transaction.save(event.to_outbox(at))
        transaction.save(queue_entry_sms(WaitingEntry(offer.entry_id), "offer_declined", at,
                                         f"answer:{offer.offer_id}", offer.offer_id))

    try:
        transact(write)
    except TransactWriteError as error:
        if condition_failed(error):
            return decline(get_offer(offer.offer_id), channel=channel)
        raise
    slot = FreedSlot.get(offer.slot_id, consistent_read=True)
    if slot.status == OFFERING and offer.offer_id in (slot.wave_offers or ()) and _wave_answered(slot):
        next_wave(slot, at)
    return Result(Answer.DECLINED, changed=True)


def _wave_answered(slot: FreedSlot) -> bool:
    return all(o.status != OPEN for o in Offer.batch_get(sorted(slot.wave_offers or ())))
