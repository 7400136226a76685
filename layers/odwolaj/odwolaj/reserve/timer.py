"""Every minute: slots whose next step is due move on. Reads only the sparse `offers_due` index.

A slot is due when its wave's pace has passed (its unanswered offers are marked expired, and the
next wave goes), when sending hours begin, when a grace window ends (the best-ranked yes takes
it), when a patient may have become eligible again, or at its cut-off (SlotUnfilled).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from odwolaj.clock import iso, now
from odwolaj.models import FreedSlot
from odwolaj.reminders import SHARDS
from odwolaj.reserve.claims import close_window
from odwolaj.reserve.offers import OFFERING, expire_wave, get_slot, next_wave


@dataclass
class SweepReport:
    read: int = 0  # index items read
    expired: int = 0  # offers whose wave's pace passed unanswered
    moved: int = 0  # slots moved on (a wave, a wait, a window closed, the cut-off)


def sweep(at: datetime | None = None) -> SweepReport:
    at = at or now()
    report = SweepReport()
    for shard in range(SHARDS):
        for due in FreedSlot.offers_due.query(f"r{shard:02d}", FreedSlot.offer_due_at <= iso(at)):
            report.read += 1
            slot = get_slot(due.slot_id)
            if slot.status != OFFERING or not slot.offer_due_at or slot.offer_due_at > iso(at):
                continue  # moved on since the index was written
            report.moved += 1
            if slot.claim_until:
                if close_window(slot, at):
                    continue
                slot = get_slot(slot.slot_id)
            report.expired += expire_wave(slot, at)
            next_wave(slot, at)
    return report
