"""No double booking, ever: fifty patients say yes to one slot at the same moment."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from odwolaj.appointments import lifecycle as appointments
from odwolaj.core.clock import iso, now
from odwolaj.core.sharding import shard_of
from odwolaj.data.models import Appointment, FreedSlot, Offer, OutboxItem, WaitingEntry
from odwolaj.reserve import claims, entries, offers
from odwolaj.reserve.entries import EntryInput
from tests.reserve_helpers import entry_payload, set_now, warsaw

PATIENTS = 50


@pytest.fixture
def offered_to_fifty(facility, book, monkeypatch):
    """Given a freed slot offered to fifty waiting patients in one wave."""
    set_now(monkeypatch, warsaw(1, 11))
    facility_id = facility.facility.facility_id
    waiting = [entries.join(facility_id, EntryInput.from_payload(entry_payload(n))) for n in range(PATIENTS)]
    visit = book(starts_at=warsaw(3, 10).isoformat(), phone="600 999 999", patient_id="P-x")
    appointments.cancel(visit, channel="web")
    at = now()
    wave = [Offer(offer_id=offers.offer_key(visit.appointment_id, e.entry_id), slot_id=visit.appointment_id,
                  entry_id=e.entry_id, facility_id=facility_id, wave=1, status="open", offered_at=iso(at),
                  hold_until=iso(at.replace(microsecond=0) + (warsaw(2, 0) - warsaw(1, 0))), expires_at=0)
            for e in waiting]
    for offer in wave:
        offer.save()
    FreedSlot(visit.appointment_id).update(actions=[
        FreedSlot.status.set("offering"), FreedSlot.version.set(1), FreedSlot.offer_wave.set(1),
        FreedSlot.offers_made.set(PATIENTS), FreedSlot.wave_offers.set({o.offer_id for o in wave}),
        FreedSlot.offer_shard.set(shard_of(visit.appointment_id)), FreedSlot.offer_due_at.set(wave[0].hold_until)])
    return visit.appointment_id, wave


def accept_all_at_once(wave: list[Offer]) -> list[claims.Result]:
    start = threading.Barrier(len(wave))

    def accept(offer: Offer) -> claims.Result:
        start.wait()
        return claims.accept(offer, channel="sms")

    with ThreadPoolExecutor(max_workers=len(wave)) as pool:
        return list(pool.map(accept, wave))


def reserve_messages() -> list[str]:
    return sorted(i.message_kind for i in OutboxItem.scan() if i.kind == "sms" and i.entry_id)


def test_fifty_concurrent_acceptances_make_exactly_one_booking_and_repeats_change_nothing(offered_to_fifty):
    slot_id, wave = offered_to_fifty

    results = accept_all_at_once(wave)

    winners = [r for r in results if r.answer is claims.Answer.ACCEPTED]
    assert len(winners) == 1
    assert [r.answer for r in results].count(claims.Answer.TAKEN) == PATIENTS - 1
    bookings = [a for a in Appointment.scan() if a.waiting_entry_id]
    assert [a.appointment_id for a in bookings] == [winners[0].appointment_id]
    booked_sms = [i for i in OutboxItem.scan() if i.message_kind == "booked"
                  and i.appointment_id == winners[0].appointment_id]
    assert len(booked_sms) == 1  # the one winner message
    assert reserve_messages().count("offer_taken") == PATIENTS - 1
    assert FreedSlot.get(slot_id).filled_appointment_id == winners[0].appointment_id
    statuses = sorted(e.status for e in WaitingEntry.scan())
    assert statuses.count("served") == 1 and statuses.count("active") == PATIENTS - 1

    # Then every acceptance is delivered again (a provider retry, a double click): nothing more.
    before = sorted(i.outbox_id for i in OutboxItem.scan())
    again = accept_all_at_once([Offer.get(o.offer_id) for o in wave])

    assert [r.changed for r in again] == [False] * PATIENTS
    assert sorted(i.outbox_id for i in OutboxItem.scan()) == before
    assert len([a for a in Appointment.scan() if a.waiting_entry_id]) == 1
