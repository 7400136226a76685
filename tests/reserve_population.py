"""A long waiting list written straight to the table (Given-state for ordering tests and the bench)."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from odwolaj.core.clock import iso
from odwolaj.data.models import FreedSlot, WaitingEntry
from odwolaj.reserve.entries import queue_of, queue_rank

SERVICE = "Poradnia kardiologiczna"


def populate(facility_id: str, size: int, at: datetime, seed: int = 7) -> list[WaitingEntry]:
    """`size` active entries: a few entitled, a fifth urgent, the rest stable; one in ten wants
    another specialist (so the head of the list holds some the slot does not suit)."""
    rng = random.Random(seed)
    written = []
    with WaitingEntry.batch_write() as batch:
        for number in range(1, size + 1):
            roll = rng.random()
            category = "pilny" if roll < 0.2 else "stabilny"
            entitlement = "combatant" if roll > 0.99 else None
            entered_at = iso(at - timedelta(minutes=rng.randint(1, 60 * 24 * 300)))
            entry = WaitingEntry(
                entry_id=f"{rng.getrandbits(64):016x}", facility_id=facility_id, list_number=number,
                entered_at=entered_at, referral=f"R{number}", patient_id=f"P{number}", phone="+48500000000",
                reason="-", category=category, entitlement=entitlement,
                planned_date=(at + timedelta(days=200)).date().isoformat(), entered_by="bench", consent=True,
                service=SERVICE, specialist="dr Jan Kowalski" if rng.random() < 0.1 else None, availability=[],
                status="active", version=1, position_at_entry=number, unanswered_offers=0,
                queue=queue_of(facility_id, SERVICE), queue_rank=queue_rank(category, entitlement, entered_at, number),
                created_at=iso(at), updated_at=iso(at))
            batch.save(entry)
            written.append(entry)
    return written


def slot(facility_id: str, starts_at: datetime, at: datetime) -> FreedSlot:
    return FreedSlot(slot_id="f" * 16, facility_id=facility_id, starts_at=iso(starts_at), duration_minutes=15,
                     service=SERVICE, specialist="dr Anna Nowak", source="cancellation", freed_at=iso(at))
