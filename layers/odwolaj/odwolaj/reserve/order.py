"""Who is offered a freed slot first: the head of the list's index, filtered for eligibility.

The `by_queue` index holds only active entries, sorted by (priority class, entry time, number):
legally entitled patients first, then urgent (pilny), then stable (stabilny), each in order of
entry. Finding the first k eligible is a Query with a small Limit, continued page by page only
past ineligible entries and never beyond MAX_READ items, so its cost does not grow with the list.
A slot less than a day away goes first to the patients who said they can come at short notice
(in the same order), then to the others. That flag, and whether the patient replied STOP to an
offer, are not in the index (a deployed index's projection cannot change), so a page's candidates
are read again for them, in one BatchGetItem.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from odwolaj.core.clock import iso, parse_iso
from odwolaj.data.models import FreedSlot, WaitingEntry
from odwolaj.reserve.entries import ACTIVE, queue_of
from odwolaj.reserve.planned_dates import is_week, planned_day

MAX_READ = 200  # index items read per search at most: a list's head, however long the list


@dataclass
class Search:
    read: int = 0  # index items read
    pages: int = 0  # Query requests
    found: list[WaitingEntry] = field(default_factory=list)
    # The earliest moment a patient now cooling down (and otherwise eligible) may be asked:
    # when nobody is eligible, the slot waits for it.
    next_eligible_at: str | None = None


def fits_availability(entry: WaitingEntry, starts_at: datetime, timezone: str) -> bool:
    if not entry.availability:
        return True
    local = starts_at.astimezone(ZoneInfo(timezone))
    hour = f"{local:%H:%M}"
    return any(local.isoweekday() in [int(d) for d in window.days] and window.start <= hour < window.end
               for window in entry.availability)


def eligible_but_for_cooldown(entry: WaitingEntry, slot: FreedSlot, timezone: str = "Europe/Warsaw") -> bool:
    """Same list (the query), the specialist if the entry names one, a time the patient can come,
    not offered this slot already, and the slot is an improvement on the date the patient already
    holds (the planned date)."""
    starts_at = parse_iso(slot.starts_at)
    if entry.status != ACTIVE:
        return False
    if entry.specialist and entry.specialist != slot.specialist:
        return False
    if entry.entry_id in (slot.offered_entries or ()):
        return False
    held = planned_day(entry.planned_date)
    local_day = starts_at.astimezone(ZoneInfo(timezone)).date()
    if not is_week(entry.planned_date) and held <= local_day:
        return False  # their own date is no later than this slot: nothing to gain
    return fits_availability(entry, starts_at, timezone)


def cooling_down(entry: WaitingEntry, at: datetime) -> bool:
    """Resting after an unanswered offer (or holding one now)."""
    return bool(entry.offer_cooldown_until and entry.offer_cooldown_until > iso(at))


def eligible(entry: WaitingEntry, slot: FreedSlot, at: datetime, timezone: str = "Europe/Warsaw") -> bool:
    return eligible_but_for_cooldown(entry, slot, timezone) and not cooling_down(entry, at)


def first_eligible(slot: FreedSlot, count: int, at: datetime, timezone: str = "Europe/Warsaw", *,
                   short_notice: bool = False) -> Search:
    """The first `count` eligible entries for a slot, in list order; for a short-notice slot,
    those who can come at short notice first."""
    search = Search()
    others: list[WaitingEntry] = []
    page = max(10, 2 * count)
    start_key = None
    while len(search.found) < count and search.read < MAX_READ:
        result = WaitingEntry.by_queue.query(queue_of(slot.facility_id, slot.service), limit=page,
                                             last_evaluated_key=start_key)
        search.pages += 1
        candidates = []
        for entry in result:
            search.read += 1
            if not eligible_but_for_cooldown(entry, slot, timezone):
                continue
            if cooling_down(entry, at):
                search.next_eligible_at = min(search.next_eligible_at or entry.offer_cooldown_until,
                                              entry.offer_cooldown_until)
            else:
                candidates.append(entry)
        details = _details(candidates)
        for entry in candidates:
            read = details.get(entry.entry_id)
            if read is None or read.offers_stopped_at:
                continue  # replied STOP to an offer: keeps the place, is not asked
            if short_notice and not read.short_notice:
                others.append(entry)
                continue
            search.found.append(entry)
            if len(search.found) == count:
                return search
        start_key = result.last_evaluated_key
        if not start_key:
            break
    search.found += others[:count - len(search.found)]
    return search


def _details(entries: list[WaitingEntry]) -> dict[str, WaitingEntry]:
    keys = [entry.entry_id for entry in entries]
    return {e.entry_id: e for e in WaitingEntry.batch_get(
        keys, attributes_to_get=["entry_id", "short_notice", "offers_stopped_at"])} if keys else {}
