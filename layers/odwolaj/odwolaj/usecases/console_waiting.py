"""The console's waiting list (issue 15): reception and the manager read a service's list in the
order it is served, a page at a time, enter a patient, strike an entry off, move its planned date,
see the offers an entry received and resume the SMS offers a patient stopped. Every change goes
through the same domain functions as the clinic API's waiting-list routes and the SMS replies
(the same validation, consent, messages to the patient) and writes its audit entry in the same
transaction as the change."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.transactions import TransactWrite

from odwolaj.core.clock import now
from odwolaj.core.errors import InvalidInput
from odwolaj.core.transactions import Write, apply_or_conflict
from odwolaj.data import events
from odwolaj.data.models import AuditEntry, ConsoleSession, FreedSlot, Offer, OutboxItem, WaitingEntry
from odwolaj.reserve import entries, replies
from odwolaj.security import audit
from odwolaj.stats import report
from odwolaj.usecases.console import actor, require

LIST_LIMIT = 200  # as the API's page: a list longer than this is read a page at a time there
OFFERS_SHOWN = 50


def audited(session: ConsoleSession, action: str, *, subject: str, detail: dict[str, Any]) -> Write:
    """The step that writes the change's audit entry in the change's own transaction."""
    written = audit.entry(session.facility_id or "", actor(session), action, subject=subject, detail=detail)

    def write(transaction: TransactWrite) -> None:
        transaction.save(written, condition=AuditEntry.entry_key.does_not_exist())

    return write


def _about(entry: WaitingEntry) -> dict[str, Any]:
    """What an audit entry says of a waiting-list entry: references, no patient data."""
    return {"list_number": int(entry.list_number), "service": entry.service}


@dataclass(frozen=True)
class WaitingListPage:
    service: str
    services: tuple[str, ...]  # the lists the facility's events have named, for the chooser
    entries: list[WaitingEntry]  # active, in the order they are served (place = first_place + index)
    first_place: int = 1
    total: int = 0  # everyone waiting on the list now
    stale: bool = False  # the link's cursor was no rank: the start of the list is shown instead

    @property
    def next_after(self) -> str | None:
        """The cursor of the next page (the last rank shown), or None on the last page."""
        more = self.entries and self.first_place - 1 + len(self.entries) < self.total
        return self.entries[-1].queue_rank if more else None

    @property
    def previous_before(self) -> str | None:
        """The cursor of the previous page (the first rank shown); None when it is the start."""
        return self.entries[0].queue_rank if self.entries and self.first_place - 1 > LIST_LIMIT else None


def waiting_list(session: ConsoleSession, service: str, *, after: str = "", before: str = "") -> WaitingListPage:
    """A page of one service's active entries, NFZ order (entitled out of order, then urgent, then
    stable, each in order of entry): from the start, or after/before a rank taken from the page
    before. Whatever the page's depth: the list counted on its sparse index (in two parts, split
    at the cursor, past the first page), one Query of the page's keys on it and their BatchGet."""
    require(session, "waiting_list")
    facility_id = session.facility_id or ""
    services = report.catalogue(facility_id)[0]
    chosen = service.strip() or (services[0] if services else "")
    if len(chosen) > 120:
        raise InvalidInput("service is at most 120 characters", field="service")
    if not chosen:
        return WaitingListPage(chosen, services, [])
    cursor = after or before
    stale = bool(cursor) and not entries.is_rank(cursor)
    after, before = ("", "") if stale else (after, "" if after else before)
    found = entries.list_active(facility_id, chosen, LIST_LIMIT, after=after or None, before=before or None)
    # Places are counted now, not carried in the link as an offset: patients who joined ahead or
    # left since the last click would shift a carried offset; the count agrees with the entry
    # page's "place now", and a cursor whose own entry has left still pages from its rank.
    ahead, behind = entries.count_active(facility_id, chosen, split=after or before or None, split_ahead=bool(after))
    total = ahead + behind
    if before:
        ahead = max(0, ahead - len(found))  # the page is the entries just before the cursor
    return WaitingListPage(chosen, services, found, ahead + 1, total, stale)


def add_entry(session: ConsoleSession, payload: dict[str, Any]) -> WaitingEntry:
    """Enter a patient: the payload is the API's (POST /api/v1/waiting-list), validated by the same
    parser, consent included; the patient gets the same SMS."""
    require(session, "waiting_list")
    data = entries.EntryInput.from_payload(payload)
    facility_id = session.facility_id or ""
    # The entry's id is known before it is written (one referral, one list): the audit names it.
    subject = entries.entry_key(facility_id, data.referral)
    also = audited(session, "waiting_entry_added", subject=subject,
                   detail={"service": data.service, "category": data.category, "entitlement": data.entitlement})
    return entries.join(facility_id, data, also=also)


@dataclass(frozen=True)
class EntryPage:
    entry: WaitingEntry
    position: int | None  # in the queue now; None when no longer waiting
    offers: list[tuple[Offer, FreedSlot | None]]  # newest first, with the slot each offered


def entry_page(session: ConsoleSession, entry_id: str) -> EntryPage:
    require(session, "waiting_list")
    entry = entries.get(session.facility_id or "", entry_id)
    offers = list(Offer.by_entry.query(entry.entry_id, scan_index_forward=False, limit=OFFERS_SHOWN))
    slots = {s.slot_id: s for s in FreedSlot.batch_get({o.slot_id for o in offers})} if offers else {}
    return EntryPage(entry, entries.position(entry) if entry.queue else None,
                     [(offer, slots.get(offer.slot_id)) for offer in offers])


def strike_off(session: ConsoleSession, entry_id: str, reason: str) -> WaitingEntry:
    """Strike off with one of the four statutory reasons (as POST …/strike-off); repeating it
    with the same reason changes nothing and writes no second audit entry."""
    require(session, "waiting_list")
    entry = entries.get(session.facility_id or "", entry_id)
    also = audited(session, "waiting_entry_struck_off", subject=entry.entry_id, detail=_about(entry) | {
        "reason": reason})
    return entries.strike_off(entry, reason, by=session.email, also=also)


def change_planned_date(session: ConsoleSession, entry_id: str, planned_date: str) -> WaitingEntry:
    """Move the planned date (as PATCH …/waiting-list/{id}): the patient is told by SMS, a planned
    week made exact starts the 14-day notice. The same date again changes nothing."""
    require(session, "waiting_list")
    entry = entries.get(session.facility_id or "", entry_id)
    also = audited(session, "planned_date_changed", subject=entry.entry_id, detail=_about(entry) | {
        "from": entry.planned_date, "to": planned_date.strip()})
    return entries.update(entry, {"planned_date": planned_date.strip()}, also=also)


def resume_offers(session: ConsoleSession, entry_id: str) -> WaitingEntry:
    """Offers again to a patient who replied STOP and now asks reception (by phone, in person), as
    their START reply would: the same change and the same `PatientOptedIn` (scope offers, channel
    console), in the audit entry's transaction. No SMS: the patient said STOP by SMS and is told by
    reception; the next message is an offer (docs/reserve.md, "Replies"). Nothing to resume
    (already resumed, no longer waiting) changes nothing and writes no audit entry nor event."""
    require(session, "waiting_list")
    entry = entries.get(session.facility_id or "", entry_id)
    if not entry.offers_stopped_at or entry.status != entries.ACTIVE:
        return entry
    at = now()
    resume = replies.switch_offers([entry], stop=False, at=at)
    also = audited(session, "offers_resumed", subject=entry.entry_id, detail=_about(entry) | {
        "stopped_at": entry.offers_stopped_at})
    # Its id names the stop it undoes: a repeated request finds nothing stopped and adds nothing.
    event = events.DomainEvent(events.PATIENT_OPTED_IN, entry.facility_id,
                               f"opt:console:{entry.entry_id}:{entry.offers_stopped_at}",
                               {"channel": "console", "patient_id": entry.patient_id, "scope": "offers"})

    def write(transaction: TransactWrite) -> None:
        resume(transaction)
        also(transaction)
        transaction.save(event.to_outbox(at), condition=OutboxItem.outbox_id.does_not_exist())

    apply_or_conflict(write, "the entry changed while this request was processed; retry")
    return entries.get(entry.facility_id, entry.entry_id)
