"""Every minute: slots whose next step is due move on. Reads only the sparse `offers_due` index.

A slot is due when its wave's pace has passed (its unanswered offers are marked expired, and the
next wave goes), when sending hours begin, when a grace window ends (the best-ranked yes takes
it), when a patient may have become eligible again, or at its cut-off (SlotUnfilled).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from odwolaj.core.budget import Stop, never
from odwolaj.core.clock import iso, now
from odwolaj.core.sharding import SHARDS
from odwolaj.data.models import FreedSlot
from odwolaj.reserve.claims import close_window
from odwolaj.reserve.offers import OFFERING, expire_wave, get_slot, next_wave

log = logging.getLogger(__name__)


@dataclass
class SweepReport:
    read: int = 0  # index items read
    expired: int = 0  # offers whose wave's pace passed unanswered
    moved: int = 0  # slots moved on (a wave, a wait, a window closed, the cut-off)
    failed: int = 0  # slots whose step failed (throttled…): still due, tried again next minute
    stopped: bool = False  # out of time: the next run goes on


class SweepIncomplete(Exception):
    """Some slots could not be moved on; the others were. The run fails so it shows (errors,
    alarms); the next run tries those again."""

    def __init__(self, report: SweepReport):
        super().__init__(f"{report.failed} slot(s) failed")
        self.report = report


def sweep(at: datetime | None = None, *, stop: Stop = never) -> SweepReport:
    """Shard by shard; stops between two slots when `stop()` says the time is up
    (odwolaj.core.budget): the slots left are still due and the next run goes on."""
    at = at or now()
    report = SweepReport()
    for shard in range(SHARDS):
        for due in FreedSlot.offers_due.query(f"r{shard:02d}", FreedSlot.offer_due_at <= iso(at)):
            if stop():
                report.stopped = True
                break
            report.read += 1
            try:
                _move_on(due.slot_id, at, report)
            except Exception as error:  # one slot's failure must not hold up every other slot
                report.failed += 1
                log.warning("slot %s not moved on: %s", due.slot_id, type(error).__name__)
        if report.stopped:
            break
    if report.failed:
        raise SweepIncomplete(report)
    return report


def _move_on(slot_id: str, at: datetime, report: SweepReport) -> None:
    slot = get_slot(slot_id)
    if slot.status != OFFERING or not slot.offer_due_at or slot.offer_due_at > iso(at):
        return  # moved on since the index was written
    if slot.claim_until and slot.claim_until > iso(at):
        return  # a grace window is due at its end: not yet
    report.moved += 1
    if slot.claim_until:
        if close_window(slot, at):
            return
        slot = get_slot(slot.slot_id)
    report.expired += expire_wave(slot, at)
    next_wave(slot, at)
