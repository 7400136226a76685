"""Waiting-list entries (NFZ: lista oczekujących): joining, reading, changing, striking off.

An entry records what the NFZ rules ask for: its number on the list, the date and time of entry,
the patient's identity (PESEL, or a document number without one), contact, diagnosis or reason,
medical category, any legal out-of-order entitlement, the planned date, who made the entry and the
patient's consent (refused without). One referral, one list: the entry's id is derived from the
facility and the referral, and it is written with a conditional put. Struck-off entries are kept.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from odwolaj.core import validation
from odwolaj.core.clock import WARSAW, iso, now, parse_iso
from odwolaj.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from odwolaj.core.pesel import validate_pesel
from odwolaj.core.phone import normalize_phone
from odwolaj.core.transactions import Write, apply_or_conflict
from odwolaj.data import events
from odwolaj.data.models import Availability, StrikeOff, WaitingEntry, WaitingList
from odwolaj.data.outbox import queue_entry_sms
from odwolaj.reserve import notices
from odwolaj.reserve.planned_dates import DAY, WEEK, is_week, planned_day

ACTIVE, SERVED, STRUCK_OFF = "active", "served", "struck_off"
CATEGORIES = ("pilny", "stabilny")
# Out of order by law (ustawa o świadczeniach, art. 47c and related): honorary blood or transplant
# donors, war and military invalids, combatants and the repressed, soldiers and employees injured abroad.
ENTITLEMENTS = ("honorary_blood_donor", "honorary_transplant_donor", "war_or_military_invalid", "combatant",
                "soldier_injured_abroad", "other_statutory")
STRIKE_OFF_REASONS = {
    "no_show": "did not come without notice",
    "service_performed": "the service was performed (here or elsewhere)",
    "provider_stopped": "the provider stopped the service",
    "patient_resigned": "the patient resigned",
}
WEEK_PRECISION_AFTER = timedelta(days=183)  # waits over six months may be planned to the week
_HOUR = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
_RANK = re.compile(r"[0-2]#[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z#[0-9]{9}")


class DuplicateReferral(Conflict):
    code = "duplicate_referral"


DUPLICATE = "this referral is already on a waiting list (one referral, one list)"


def entry_key(facility_id: str, referral: str) -> str:
    return hashlib.sha256(f"{facility_id}|{referral.strip().upper()}".encode()).hexdigest()[:16]


def queue_of(facility_id: str, service: str) -> str:
    return f"{facility_id}#{service}"


def priority_class(category: str, entitlement: str | None) -> int:
    """0: legally entitled out of order, 1: urgent (pilny), 2: stable (stabilny)."""
    if entitlement:
        return 0
    return 1 if category == "pilny" else 2


def queue_rank(category: str, entitlement: str | None, entered_at: str, list_number: int) -> str:
    """Sorts as the list must be served: class, then order of entry (the number breaks ties)."""
    return f"{priority_class(category, entitlement)}#{entered_at}#{list_number:09d}"


# ---------------------------------------------------------------------------------------------
# Input


def _planned_date(value: object, entered_at: datetime) -> str:
    if not isinstance(value, str):
        raise InvalidInput("planned_date is required: YYYY-MM-DD, or YYYY-Www for waits over six months",
                           field="planned_date")
    try:
        day = planned_day(value) if (WEEK.match(value) or DAY.fullmatch(value)) else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidInput("planned_date must be YYYY-MM-DD or YYYY-Www", field="planned_date")
    if day < entered_at.astimezone(WARSAW).date():
        raise InvalidInput("planned_date is before the entry", field="planned_date")
    if is_week(value) and day - entered_at.astimezone(WARSAW).date() <= WEEK_PRECISION_AFTER:
        raise InvalidInput("a week as planned date is allowed only for waits over six months; give the day",
                           field="planned_date")
    return value


def _availability(value: object) -> list[Availability]:
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > 14:
        raise InvalidInput("availability must be a list of at most 14 {days, from, to} objects", field="availability")
    windows = []
    for item in value:
        if not isinstance(item, dict) or set(item) - {"days", "from", "to"}:
            raise InvalidInput("each availability item is {days, from, to}", field="availability")
        days = item.get("days")
        if (not isinstance(days, list) or not days
                or not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 7 for d in days)):
            raise InvalidInput("availability days are ISO weekdays 1 (Monday) to 7", field="availability")
        start, end = item.get("from"), item.get("to")
        if not (isinstance(start, str) and isinstance(end, str) and _HOUR.match(start) and _HOUR.match(end)
                and start < end):
            raise InvalidInput("availability from/to are HH:MM, from before to", field="availability")
        windows.append(Availability(days=sorted(set(days)), start=start, end=end))
    return windows


@dataclass(frozen=True)
class EntryInput:
    referral: str
    patient_id: str
    phone: str
    reason: str
    category: str
    planned_date: str
    entered_by: str
    service: str
    entered_at: datetime
    pesel: str | None = None
    document_number: str | None = None
    email: str | None = None
    address: str | None = None
    entitlement: str | None = None
    specialist: str | None = None
    availability: list[Availability] = field(default_factory=list)
    short_notice: bool = False  # can come at a day's notice or less

    FIELDS = frozenset({"referral", "patient", "reason", "category", "entitlement", "planned_date", "entered_by",
                        "consent", "service", "specialist", "availability", "short_notice", "entered_at"})

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> "EntryInput":
        validation.reject_unknown(payload, cls.FIELDS)
        if payload.get("consent") is not True:
            raise InvalidInput("the patient's consent is required to enter them on a waiting list (consent: true)",
                               field="consent")
        patient = payload.get("patient")
        if not isinstance(patient, dict):
            raise InvalidInput("patient must be an object with id, phone and pesel or document_number",
                               field="patient")
        validation.reject_unknown(patient, ("id", "phone", "email", "pesel", "document_number", "address"),
                                  prefix="patient.", field="patient")
        pesel, document = patient.get("pesel"), patient.get("document_number")
        if (pesel is None) == (document is None):
            raise InvalidInput("give the patient's pesel, or document_number when they have none (not both)",
                               field="patient.pesel")
        at = now()
        entered_at = validation.moment(payload["entered_at"], "entered_at") if "entered_at" in payload else at
        if entered_at > at + timedelta(minutes=5):
            raise InvalidInput("entered_at is in the future", field="entered_at")
        entitlement = payload.get("entitlement")
        return cls(
            referral=validation.text(payload.get("referral"), "referral", max_len=64).upper(),
            patient_id=validation.text(patient.get("id"), "patient.id", max_len=64),
            phone=normalize_phone(patient.get("phone"), field="patient.phone"),
            email=validation.email(patient.get("email")),
            pesel=validate_pesel(pesel, field="patient.pesel") if pesel is not None else None,
            document_number=validation.optional_text(document, "patient.document_number", 32),
            address=validation.optional_text(patient.get("address"), "patient.address", 200),
            reason=validation.text(payload.get("reason"), "reason", max_len=500),
            category=validation.choice(payload.get("category"), "category", CATEGORIES),
            entitlement=None if entitlement is None else validation.choice(entitlement, "entitlement", ENTITLEMENTS),
            planned_date=_planned_date(payload.get("planned_date"), entered_at),
            entered_by=validation.text(payload.get("entered_by"), "entered_by", max_len=120),
            service=validation.text(payload.get("service"), "service", max_len=120),
            specialist=validation.optional_text(payload.get("specialist"), "specialist", 120),
            availability=_availability(payload.get("availability")),
            short_notice=validation.flag(payload.get("short_notice", False), "short_notice"),
            entered_at=entered_at,
        )


# ---------------------------------------------------------------------------------------------
# Reading


def get(facility_id: str, entry_id: str) -> WaitingEntry:
    try:
        entry = WaitingEntry.get(entry_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("no waiting-list entry with this id in your facility") from None
    if entry.facility_id != facility_id:
        raise NotFound("no waiting-list entry with this id in your facility")
    return entry


def list_active(facility_id: str, service: str, limit: int = 200, *, after: str | None = None,
                before: str | None = None) -> list[WaitingEntry]:
    """The active entries of one list in the order they are served (read from the index): from the
    start, the `limit` ranked after the rank `after`, or the `limit` ranked just before `before`."""
    backwards = after is None and before is not None
    condition = (WaitingEntry.queue_rank > after if after is not None
                 else WaitingEntry.queue_rank < before if backwards else None)
    keys = [e.entry_id for e in WaitingEntry.by_queue.query(queue_of(facility_id, service), condition, limit=limit,
                                                             scan_index_forward=not backwards)]
    if backwards:
        keys.reverse()
    found = {e.entry_id: e for e in WaitingEntry.batch_get(keys)}
    return [found[key] for key in keys if key in found]


def count_active(facility_id: str, service: str, *, split: str | None = None,
                 split_ahead: bool = True) -> tuple[int, int]:
    """How many wait on one list: (ranked before `split`, ranked from it on), `split` itself counted
    ahead when `split_ahead`; without `split`, (0, everyone). COUNTs on the index, which return no
    item but read up to 1 MB of it a request: the two parts together read the list once, so the
    place of any rank costs what counting the whole list costs, however deep the rank."""
    queue = queue_of(facility_id, service)
    if split is None:
        return 0, WaitingEntry.by_queue.count(queue)
    rank = WaitingEntry.queue_rank
    ahead = WaitingEntry.by_queue.count(queue, rank <= split if split_ahead else rank < split)
    return ahead, WaitingEntry.by_queue.count(queue, rank > split if split_ahead else rank >= split)


def is_rank(text: str) -> bool:
    """Whether `text` has the shape `queue_rank` makes (a list page's cursor comes from a link)."""
    return _RANK.fullmatch(text) is not None


def anyone_waiting(facility_id: str, service: str) -> bool:
    """Whether someone is on this service's list: a visit freed now may go to them. One item read."""
    return any(True for _ in WaitingEntry.by_queue.query(queue_of(facility_id, service), limit=1))


def position(entry: WaitingEntry) -> int:
    """1 + the active entries ahead of this one (a count on the index, never the items)."""
    return 1 + WaitingEntry.by_queue.count(entry.queue, WaitingEntry.queue_rank < entry.queue_rank)


# ---------------------------------------------------------------------------------------------
# Changes


def event_data(entry: WaitingEntry) -> dict[str, Any]:
    """References only: no identity or contact data leaves in events."""
    return {"entry_id": entry.entry_id, "list_number": entry.list_number, "service": entry.service,
            "specialist": entry.specialist, "category": entry.category, "out_of_order": bool(entry.entitlement),
            "status": entry.status, "planned_date": entry.planned_date, "entered_at": entry.entered_at}


def _change(entry: WaitingEntry, write: Write) -> WaitingEntry:
    """Apply a change decided from `entry` as read; another change in between is a Conflict."""
    apply_or_conflict(write, "the entry changed while this request was processed; retry")
    return get(entry.facility_id, entry.entry_id)


def join(facility_id: str, data: EntryInput, *, also: Write | None = None) -> WaitingEntry:
    """Enter a patient on the list of a service; they get an SMS with their place and the planned date.
    `also` adds the caller's steps (the console's audit entry) to the same transaction, as below."""
    entry_id = entry_key(facility_id, data.referral)
    try:
        WaitingEntry.get(entry_id, consistent_read=True, attributes_to_get=["entry_id"])
        raise DuplicateReferral(DUPLICATE, field="referral")
    except DoesNotExist:
        pass
    list_id = queue_of(facility_id, data.service)
    # Numbers are taken before the entry is written: a refused write leaves a gap, never a duplicate.
    counter = WaitingList(list_id)
    counter.update(actions=[WaitingList.last_number.add(1)])
    number = int(counter.last_number)
    at = now()
    entered_at = iso(data.entered_at)
    rank = queue_rank(data.category, data.entitlement, entered_at, number)
    entry = WaitingEntry(
        entry_id=entry_id, facility_id=facility_id, list_number=number, entered_at=entered_at,
        referral=data.referral, patient_id=data.patient_id, pesel=data.pesel, document_number=data.document_number,
        phone=data.phone, email=data.email, address=data.address, reason=data.reason, category=data.category,
        entitlement=data.entitlement, planned_date=data.planned_date, entered_by=data.entered_by, consent=True,
        service=data.service, specialist=data.specialist, availability=data.availability,
        short_notice=data.short_notice, status=ACTIVE, version=1,
        queue=list_id, queue_rank=rank, position_at_entry=0, unanswered_offers=0,
        created_at=iso(at), updated_at=iso(at),
    )
    entry.position_at_entry = position(entry)
    event = events.DomainEvent(events.WAITING_LIST_JOINED, facility_id, f"{entry_id}:joined",
                               event_data(entry) | {"position": entry.position_at_entry})

    def write(transaction: TransactWrite) -> None:
        transaction.save(entry, condition=WaitingEntry.entry_id.does_not_exist())
        transaction.save(event.to_outbox(at))
        transaction.save(queue_entry_sms(entry, "waitlist_joined", at, "joined"))
        if also is not None:
            also(transaction)

    apply_or_conflict(write, DUPLICATE, conflict=DuplicateReferral, field="referral")
    return entry


def strike_off(entry: WaitingEntry, reason: str, *, by: str | None = None, also: Write | None = None) -> WaitingEntry:
    """Strike an entry off with its reason; it stays for the record. Repeating it changes nothing."""
    if reason not in STRIKE_OFF_REASONS:
        raise InvalidInput(f"reason must be one of: {', '.join(STRIKE_OFF_REASONS)}", field="reason")
    if entry.status == STRUCK_OFF:
        if entry.strike_off.reason == reason:
            return entry
        raise InvalidTransition("the entry is already struck off with another reason", current_status=STRUCK_OFF)
    at = now()
    record = StrikeOff(reason=reason, at=iso(at), by=by)
    version = entry.version + 1
    event = events.DomainEvent(events.WAITING_LIST_STRUCK_OFF, entry.facility_id, f"{entry.entry_id}:struck-off",
                               event_data(entry) | {"status": STRUCK_OFF, "reason": reason, "struck_off_at": iso(at)})

    def write(transaction: TransactWrite) -> None:
        transaction.update(entry, actions=[
            WaitingEntry.status.set(STRUCK_OFF), WaitingEntry.strike_off.set(record),
            WaitingEntry.version.set(version), WaitingEntry.updated_at.set(iso(at)),
            WaitingEntry.queue.remove(), WaitingEntry.queue_rank.remove(),
        ], condition=(WaitingEntry.version == entry.version) & (WaitingEntry.status == entry.status))
        transaction.save(event.to_outbox(at))
        if also is not None:
            also(transaction)

    return _change(entry, write)


def update(entry: WaitingEntry, payload: dict[str, Any], *, also: Write | None = None) -> WaitingEntry:
    """The clinic changes the planned date (the patient is told) or the patient's availability
    (days and hours, and whether they can come at short notice)."""
    validation.reject_unknown(payload, ("planned_date", "availability", "short_notice"))
    if entry.status != ACTIVE:
        raise InvalidTransition(f"the entry is {entry.status}", current_status=entry.status)
    at = now()
    actions: list[Action] = []
    moved, exact, too_late = False, False, False
    if "planned_date" in payload:
        planned = _planned_date(payload["planned_date"], parse_iso(entry.entered_at))
        if planned != entry.planned_date:
            moved = True
            actions.append(WaitingEntry.planned_date.set(planned))
            # A planned week becomes a day: the exact date must reach the patient 14 days ahead.
            exact = is_week(entry.planned_date) and not is_week(planned)
            if exact:
                day = planned_day(planned)
                too_late = notices.check_due(day) < at
                if not too_late:
                    actions += notices.notice_actions(entry, day, at)
    if "availability" in payload:
        actions.append(WaitingEntry.availability.set(_availability(payload["availability"])))
    if "short_notice" in payload:
        short_notice = validation.flag(payload["short_notice"], "short_notice")
        if short_notice != bool(entry.short_notice):
            actions.append(WaitingEntry.short_notice.set(short_notice))
    if not actions:
        return entry
    version = entry.version + 1
    actions += [WaitingEntry.version.set(version), WaitingEntry.updated_at.set(iso(at))]

    def write(transaction: TransactWrite) -> None:
        transaction.update(entry, actions=actions,
                           condition=(WaitingEntry.version == entry.version) & (WaitingEntry.status == ACTIVE))
        if moved:
            data = event_data(entry) | {"planned_date": planned, "previous_planned_date": entry.planned_date}
            transaction.save(events.DomainEvent(events.PLANNED_DATE_CHANGED, entry.facility_id,
                                                f"{entry.entry_id}:planned:{version}", data).to_outbox(at))
            # NFZ: a patient whose planned date moves, earlier or later, must be told.
            transaction.save(queue_entry_sms(entry, "exact_date" if exact else "planned_date_moved", at,
                                             f"planned:{version}"))
        if too_late:
            transaction.save(events.DomainEvent(
                events.EXACT_DATE_UNCONFIRMED, entry.facility_id, f"{entry.entry_id}:exact-date:{planned}",
                event_data(entry) | {"planned_date": planned, "reason": "less_than_14_days"}).to_outbox(at))
        if also is not None:
            also(transaction)

    return _change(entry, write)
