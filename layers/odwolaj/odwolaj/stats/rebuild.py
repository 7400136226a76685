"""The backfill: a facility's daily aggregates rebuilt from its records, for a period.

The events each record went through are derived again (`derived_events`: visits from their
history, whose n-th entry produced version n; freed slots with their offers; payments; waiting-list
entries), with the ids the live events had, and counted by the same function as live ones
(odwolaj.stats.counting) into a Tally in memory. The period's day items are then replaced by the
tally's (what no record keeps, reminders sent and opt-outs, is kept as the live consumer counted
it), a marker is written for every derived event, so a live event still on its way counts nothing
twice, and the standing figures and the entries' ledgers are recomputed from the entries.

A visit counts at the time, service and specialist it has now, which is where the live counts of
its moves end up too. Run it when no events for the period are being counted (e.g. after
restoring a failed-events queue), or run it again.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Iterable, Iterator, Mapping

from odwolaj.adapters import items
from odwolaj.core.clock import WARSAW, iso, now, parse_iso
from odwolaj.core.config import table_name
from odwolaj.data import events
from odwolaj.data.models import Appointment, FreedSlot, Offer, Payment, WaitingEntry
from odwolaj.data.status import CONFIRMED
from odwolaj.reserve.offers import offer_key
from odwolaj.stats.counting import (
    SERVED_BY_STRIKE_OFF,
    STANDING,
    Counting,
    Delta,
    LedgerState,
    count,
    day_key,
    group_of,
    ledger_step,
    local_day,
    scopes,
)
from odwolaj.stats.figures import Period
from odwolaj.stats.store import LEDGER, MARKER_RETENTION, ledger_key, marker_key

KEPT_FROM_LIVE = frozenset({"reminders_sent", "opt_outs", "opt_ins"})  # no record keeps these


# ---------------------------------------------------------------------------------------------
# Counting in memory


@dataclass
class Tally:
    """What a stream of events adds up to, in memory: day items, markers, entries' ledgers (unless
    `follow_ledgers` is off: the backfill counts waiting-list figures from the entries instead)."""

    follow_ledgers: bool = True
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    markers: set[str] = field(default_factory=set)
    ledgers: dict[str, LedgerState] = field(default_factory=dict)

    def add(self, detail_type: str, detail: Mapping[str, Any]) -> None:
        counting = count(detail_type, detail)
        if counting is not None:
            self.count(counting)

    def count(self, counting: Counting) -> None:
        for contribution in counting.contributions:
            if contribution.marker in self.markers:
                continue
            self.markers.add(contribution.marker)
            for delta in contribution.deltas:
                self.apply(delta)
        if counting.ledger is not None and self.follow_ledgers:
            step = ledger_step(self.ledgers.get(counting.ledger.entry_id), counting.ledger)
            if step.after is not None:
                self.ledgers[counting.ledger.entry_id] = step.after
                for delta in step.deltas:
                    self.apply(delta)

    def apply(self, delta: Delta) -> None:
        item = self.items.setdefault(delta.sk, {})
        for name, value in delta.add.items():
            item[name] = item.get(name, 0) + value
        for name, values in delta.append.items():
            item[name] = [*item.get(name, []), *values]
        for name, tags in delta.tags.items():
            item[name] = set(item.get(name, set())) | tags


# ---------------------------------------------------------------------------------------------
# Events derived from the records


Derived = tuple[str, dict[str, Any]]  # (detail-type, detail)


def _detail(facility_id: str, event_id: str, at: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"schema_version": events.SCHEMA_VERSION, "event_id": event_id, "occurred_at": at,
            "facility_id": facility_id, "data": data}


def _visit_data(a: Appointment) -> dict[str, Any]:
    data: dict[str, Any] = {"appointment_id": a.appointment_id, "starts_at": a.starts_at, "service": a.service,
                            "specialist": a.specialist}
    if a.payment_mode:
        data["payment"] = {"mode": a.payment_mode, "amount": int(a.payment_amount or 0)}
    return data


def _minutes(later: str, earlier: str) -> int:
    return int((parse_iso(later) - parse_iso(earlier)).total_seconds() // 60)


def visit_events(a: Appointment) -> Iterator[Derived]:
    """A visit's events from its history: the n-th entry made version n."""
    base, previous = _visit_data(a), "booked"
    for version, entry in enumerate(a.history or [], start=1):
        data = dict(base)
        kind = entry.event
        if version == 1:
            yield events.APPOINTMENT_BOOKED, _detail(a.facility_id, f"{a.appointment_id}:booked:1", entry.at,
                                                     data | {"status": previous})
            continue
        if kind in ("confirmed", "paid"):
            yield events.APPOINTMENT_CONFIRMED, _detail(a.facility_id, f"{a.appointment_id}:confirmed:{version}",
                                                        entry.at, data | {"status": CONFIRMED})
            previous = CONFIRMED
        elif kind in ("moved", "updated"):
            detail_type = events.APPOINTMENT_MOVED if kind == "moved" else events.APPOINTMENT_UPDATED
            status = "booked" if kind == "moved" and previous == CONFIRMED else previous
            yield detail_type, _detail(a.facility_id, f"{a.appointment_id}:{detail_type}:{version}", entry.at,
                                       data | {"status": status, "previous_status": previous})
            previous = status
        elif kind == "cancelled":
            reason = entry.detail or "not_given"
            data |= {"channel": entry.channel, "reason": reason, "previous_status": previous,
                     "lead_time_minutes": _minutes(a.starts_at, entry.at)}
            yield events.APPOINTMENT_CANCELLED, _detail(a.facility_id, f"{a.appointment_id}:cancelled", entry.at, data)
            if entry.channel == "payment_expired":
                yield events.PAYMENT_EXPIRED, _detail(a.facility_id, f"{a.appointment_id}:payment-expired",
                                                      entry.at, data)
            previous = "cancelled"
        elif kind in ("attended", "no_show"):
            detail_type = events.APPOINTMENT_ATTENDED if kind == "attended" else events.APPOINTMENT_NO_SHOW
            yield detail_type, _detail(a.facility_id, f"{a.appointment_id}:{kind}:{version}", entry.at, data)
        elif kind == "reinstated":
            yield events.APPOINTMENT_REINSTATED, _detail(a.facility_id, f"{a.appointment_id}:reinstated", entry.at,
                                                         data)
            previous = CONFIRMED


def payment_events(a: Appointment, payment: Payment | None) -> Iterator[Derived]:
    if payment is None:
        return
    data = {"appointment_id": a.appointment_id, "starts_at": a.starts_at, "service": a.service,
            "specialist": a.specialist}
    if payment.paid_at:
        yield events.PAYMENT_RECEIVED, _detail(a.facility_id, f"{a.appointment_id}:payment-received", payment.paid_at,
                                               data | {"amount": int(payment.amount_paid or payment.amount)})
    if payment.refunded_at:
        yield events.PAYMENT_REFUNDED, _detail(a.facility_id, f"{a.appointment_id}:payment-refunded",
                                               payment.refunded_at,
                                               data | {"amount": int(payment.amount_paid or payment.amount)})


def _filled_at(slot: FreedSlot, bookings: Mapping[str, Appointment]) -> str:
    """When the slot was filled: the claim, or the payment a pay-to-claim booking waited for."""
    booking = bookings.get(slot.filled_appointment_id or "")
    paid = [e.at for e in (booking.history if booking else []) if e.event == "paid"]
    return paid[0] if paid else (slot.closed_at or slot.freed_at)


def slot_events(slot: FreedSlot, offers: list[Offer], bookings: Mapping[str, Appointment]) -> Iterator[Derived]:
    data = {"slot_id": slot.slot_id, "starts_at": slot.starts_at, "service": slot.service,
            "specialist": slot.specialist, "source": slot.source}
    facility = slot.facility_id
    yield events.SLOT_FREED, _detail(facility, f"{slot.slot_id}:slot-freed", slot.freed_at, dict(data))
    taker = None
    for offer in offers:
        yield events.SLOT_OFFERED, _detail(facility, f"{offer.offer_id}:offered", offer.offered_at, data | {
            "offer_id": offer.offer_id, "entry_id": offer.entry_id, "wave": int(offer.wave),
            "minutes_since_freed": round((parse_iso(offer.offered_at) - parse_iso(slot.freed_at)).total_seconds() / 60,
                                         2)})
        if offer.status == "accepted" and offer.answered_at:
            taker = offer
            yield events.OFFER_CLAIMED, _detail(facility, f"{offer.offer_id}:claimed", offer.answered_at,
                                                data | {"offer_id": offer.offer_id, "entry_id": offer.entry_id})
    if slot.status == "filled":
        at = _filled_at(slot, bookings)
        yield events.SLOT_FILLED, _detail(facility, f"{slot.slot_id}:filled", at, data | {
            "entry_id": taker.entry_id if taker else None, "offers_made": int(slot.offers_made or 0),
            "minutes_to_fill": round((parse_iso(at) - parse_iso(slot.freed_at)).total_seconds() / 60, 2)})
    elif slot.status == "unfilled" and slot.closed_at:
        yield events.SLOT_UNFILLED, _detail(facility, f"{slot.slot_id}:unfilled", slot.closed_at,
                                            data | {"reason": slot.unfilled_reason or "unknown"})


def entry_events(entry: WaitingEntry) -> Iterator[Derived]:
    data = {"entry_id": entry.entry_id, "service": entry.service, "specialist": entry.specialist,
            "category": entry.category, "out_of_order": bool(entry.entitlement), "entered_at": entry.entered_at}
    yield events.WAITING_LIST_JOINED, _detail(entry.facility_id, f"{entry.entry_id}:joined", entry.created_at, data)
    if entry.strike_off is not None:
        yield events.WAITING_LIST_STRUCK_OFF, _detail(entry.facility_id, f"{entry.entry_id}:struck-off",
                                                      entry.strike_off.at, data | {"reason": entry.strike_off.reason})


def _bounds(period: Period) -> tuple[str, str]:
    start = datetime.combine(period.first, time(), WARSAW)
    end = datetime.combine(period.last + timedelta(days=1), time(), WARSAW) - timedelta(seconds=1)
    return iso(start), iso(end)


def _in_period(moment: str, period: Period) -> bool:
    return period.first <= parse_iso(moment).astimezone(WARSAW).date() <= period.last


def derived_events(facility_id: str, period: Period, entries: list[WaitingEntry]) -> list[Derived]:
    """Every event the period's visits, slots and payments, and the entries' changes in the period,
    went through, oldest first."""
    start, end = _bounds(period)
    visits = list(Appointment.by_facility_start.query(facility_id, Appointment.starts_at.between(start, end)))
    found: list[Derived] = []
    payments = {p.appointment_id: p for p in Payment.batch_get([a.appointment_id for a in visits if a.payment_mode])}
    for visit in visits:
        found += visit_events(visit)
        found += payment_events(visit, payments.get(visit.appointment_id))
    slots = list(FreedSlot.by_facility_start.query(facility_id, FreedSlot.starts_at.between(start, end)))
    bookings = _appointments(s.filled_appointment_id for s in slots)
    for slot in slots:
        offered = sorted(Offer.batch_get(sorted(offer_key(slot.slot_id, e) for e in slot.offered_entries or ())),
                         key=lambda o: o.offered_at)
        found += slot_events(slot, offered, bookings)
    for entry in entries:
        found += [(kind, detail) for kind, detail in entry_events(entry) if _in_period(detail["occurred_at"], period)]
    return sorted(found, key=lambda event: (event[1]["occurred_at"], event[1]["event_id"]))


def _appointments(ids: Iterable[str | None]) -> dict[str, Appointment]:
    return {a.appointment_id: a for a in Appointment.batch_get(sorted({i for i in ids if i}))}


def served(entries: list[WaitingEntry], period: Period) -> list[Delta]:
    """Entries that got their visit in the period (the slot they took filled, or struck off as
    service performed while waiting), with the days they waited: on that day, in their scopes."""
    bookings = _appointments(e.served_appointment_id for e in entries)
    deltas = []
    for entry in entries:
        booking = bookings.get(entry.served_appointment_id or "")
        if booking is not None:
            paid = [e.at for e in booking.history or [] if e.event == "paid"]
            at = paid[0] if paid else booking.history[0].at if booking.history else booking.created_at
        elif entry.strike_off is not None and entry.strike_off.reason == SERVED_BY_STRIKE_OFF:
            at = entry.strike_off.at
        else:
            continue
        if not _in_period(at, period):
            continue
        days = max(0.0, round((parse_iso(at) - parse_iso(entry.entered_at)).total_seconds() / 86400, 2))
        deltas += [Delta(day_key(scope, local_day(at)), {"wl_served": 1, "wl_waited": 1, "wl_wait_days": days})
                   for scope in scopes(entry.service, entry.specialist)]
    return deltas


# ---------------------------------------------------------------------------------------------
# Writing


@dataclass(frozen=True)
class Rebuilt:
    events: int
    day_items: int
    removed: int
    markers: int
    entries: int
    requests: int


def _standing(entries: Iterable[WaitingEntry], previous: Mapping[str, Any], tally: Tally) -> dict[str, Any]:
    """Waiting now, by group and scope, from the entries themselves; the catalogue kept and grown."""
    standing: dict[str, Any] = {"pk": "", "sk": STANDING}
    for entry in entries:
        if entry.status != "active":
            continue
        group = group_of({"category": entry.category, "out_of_order": bool(entry.entitlement)})
        for scope in scopes(entry.service, entry.specialist):
            name = f"waiting:{scope}:{group}"
            standing[name] = standing.get(name, 0) + 1
    for name in ("services", "specialists"):
        merged = set(previous.get(name) or ()) | set(tally.items.get(STANDING, {}).get(name, set()))
        if merged:
            standing[name] = merged
    return standing


def _entries_of(facility_id: str) -> list[WaitingEntry]:
    # No index lists a facility's entries at all (struck-off and served ones leave by_queue): a
    # batch job may scan.
    return list(WaitingEntry.scan(WaitingEntry.facility_id == facility_id))


def _in_days(sk: str, period: Period) -> bool:
    return sk != STANDING and period.first.isoformat() <= sk.rsplit("#", 1)[-1] <= period.last.isoformat()


def rebuild(facility_id: str, period: Period) -> Rebuilt:
    """Replace the facility's day items of the period by what its records say (see the module)."""
    entries = _entries_of(facility_id)
    derived = derived_events(facility_id, period, entries)
    tally = Tally(follow_ledgers=False)
    for detail_type, detail in derived:
        tally.add(detail_type, detail)
    for delta in served(entries, period):
        tally.apply(delta)
    table = table_name("STATS_TABLE")
    existing = items.partition(table, "pk", facility_id)
    live = {item["sk"]: {k: v for k, v in item.items() if k in KEPT_FROM_LIVE}
            for item in existing if _in_days(item["sk"], period)}
    days = {sk: counters for sk, counters in tally.items.items() if _in_days(sk, period)}
    puts = [{**days.get(sk, {}), **live.get(sk, {}), "pk": facility_id, "sk": sk}
            for sk in sorted(set(days) | {sk for sk, kept in live.items() if kept})]
    deletes = [{"pk": facility_id, "sk": sk} for sk, kept in live.items() if sk not in days and not kept]
    previous_standing = next((item for item in existing if item["sk"] == STANDING), {})
    standing = {**_standing(entries, previous_standing, tally), "pk": facility_id}
    expires = int((now() + MARKER_RETENTION).timestamp())
    markers = [{"pk": marker_key(facility_id, marker), "sk": "-", "expires_at": expires} for marker in tally.markers]
    ledgers = [{"pk": ledger_key(facility_id, e.entry_id), "sk": LEDGER,
                "state": "waiting" if e.status == "active" else "left",
                "group": group_of({"category": e.category, "out_of_order": bool(e.entitlement)}),
                "service": e.service, "specialist": e.specialist, "entered_at": e.entered_at,
                "updated_at": iso(now())} for e in entries]
    requests = items.write_many(table, [*puts, standing, *markers, *ledgers], deletes)
    return Rebuilt(len(derived), len(puts), len(deletes), len(markers), len(entries), requests)


def write_tally(facility_id: str, tally: Tally) -> int:
    """Add a tally's day items to the facility's (the demo's synthetic history: nothing live to
    replace); requests made."""
    puts = [{**counters, "pk": facility_id, "sk": sk} for sk, counters in tally.items.items() if sk != STANDING]
    return items.write_many(table_name("STATS_TABLE"), puts)
