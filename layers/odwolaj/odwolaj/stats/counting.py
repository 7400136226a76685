"""What each lifecycle event adds to a facility's daily counters: a pure function of the event.

Counters live in items keyed by (facility, `<scope>#<day>`): scope `all`, one service (`s:…`) or
one specialist (`p:…`), so a dashboard filtered by either reads its own days. A visit's figures
are counted on the visit's day (Europe/Warsaw), a freed slot's on the slot's day; what has no
visit (waiting-list entries, opt-outs) on the day it happened. Counters only ever add, and a move
of a visit subtracts from where the previous event added (the events carry the previous time,
service, specialist and status), so the order in which events arrive does not matter.

Each event yields Contributions, each counted at most once by its marker: the event's own id, and
for "distinct" figures (slots offered at least once) a marker naming the thing counted. A
waiting-list entry's changes go through its ledger (LedgerChange and `ledger_step`), which knows
whether the entry is still counted as waiting.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, Mapping
from urllib.parse import quote

from odwolaj.core.clock import WARSAW, parse_iso
from odwolaj.data import events

ALL = "all"
STANDING = "standing"  # the facility's figures of now (waiting by group) and its catalogue
CONFIRMED = "confirmed"
# Waiting-list groups in NFZ order: legally entitled out of order, then urgent, then stable.
GROUPS = ("entitled", "pilny", "stabilny")
SERVED_BY_STRIKE_OFF = "service_performed"  # struck off because the service was given

Number = int | float


# ---------------------------------------------------------------------------------------------
# Keys


def service_scope(service: str) -> str:
    return "s:" + quote(service, safe="")


def specialist_scope(specialist: str) -> str:
    return "p:" + quote(specialist, safe="")


def scopes(service: str | None, specialist: str | None) -> tuple[str, ...]:
    """The scopes a visit, slot or entry counts in: all of the facility, its service, its specialist."""
    found = [ALL]
    if service:
        found.append(service_scope(service))
    if specialist:
        found.append(specialist_scope(specialist))
    return tuple(found)


def day_key(scope: str, day: date) -> str:
    return f"{scope}#{day.isoformat()}"


def local_day(moment: str | datetime) -> date:
    at = parse_iso(moment) if isinstance(moment, str) else moment
    return at.astimezone(WARSAW).date()


def lead_bucket(minutes: Number) -> str:
    """Cancellation lead time: by the hour under 72 h (so any whole-hour late threshold up to 72 h
    can be summed at read time), then by the day up to a week, then one bucket."""
    hours = int(minutes // 60)
    if hours < 72:
        return f"h{hours:02d}"
    days = int(minutes // 1440)
    return f"d{days}" if days < 7 else "d7+"


LEAD_BANDS = ("under_24h", "1_3d", "3_7d", "over_7d")


def lead_band(minutes: Number) -> str:
    """How long before the visit a slot was freed: the bands fill rates are shown by."""
    if minutes < 24 * 60:
        return "under_24h"
    if minutes < 3 * 24 * 60:
        return "1_3d"
    if minutes < 7 * 24 * 60:
        return "3_7d"
    return "over_7d"


# ---------------------------------------------------------------------------------------------
# What an event adds


@dataclass(frozen=True)
class Delta:
    """Additions to one item: counters, values appended to lists, strings added to sets."""

    sk: str
    add: Mapping[str, Number] = field(default_factory=dict)
    append: Mapping[str, tuple[Number, ...]] = field(default_factory=dict)
    tags: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not (self.add or self.append or self.tags)


@dataclass(frozen=True)
class Contribution:
    marker: str  # counted at most once per facility and marker
    deltas: tuple[Delta, ...]


@dataclass(frozen=True)
class LedgerChange:
    """A waiting-list entry joined the list, or left it (`served`: because it got the visit)."""

    entry_id: str
    action: Literal["join", "leave"]
    at: datetime
    group: str | None = None
    service: str | None = None
    specialist: str | None = None
    entered_at: str | None = None
    served: bool = False


@dataclass(frozen=True)
class Counting:
    facility_id: str
    contributions: tuple[Contribution, ...] = ()
    ledger: LedgerChange | None = None


def merge(deltas: list[Delta]) -> tuple[Delta, ...]:
    """One delta per item, counters summed; additions that cancel out are dropped."""
    by_key: dict[str, dict[str, Any]] = {}
    for delta in deltas:
        into = by_key.setdefault(delta.sk, {"add": {}, "append": {}, "tags": {}})
        for name, value in delta.add.items():
            into["add"][name] = into["add"].get(name, 0) + value
        for name, values in delta.append.items():
            into["append"][name] = into["append"].get(name, ()) + tuple(values)
        for name, tags in delta.tags.items():
            into["tags"][name] = into["tags"].get(name, frozenset()) | tags
    merged = []
    for sk, parts in by_key.items():
        delta = Delta(sk, {k: v for k, v in parts["add"].items() if v != 0}, parts["append"], parts["tags"])
        if not delta.is_empty():
            merged.append(delta)
    return tuple(merged)


@dataclass(frozen=True)
class _Place:
    """Where a visit (or slot) is counted: its day and its scopes."""

    day: date
    service: str | None
    specialist: str | None

    def deltas(self, add: Mapping[str, Number], **extra: Any) -> list[Delta]:
        return [Delta(day_key(scope, self.day), dict(add), **extra) for scope in scopes(self.service, self.specialist)]


def _place(data: Mapping[str, Any], occurred_at: str) -> _Place:
    return _Place(local_day(data.get("starts_at") or occurred_at), data.get("service"), data.get("specialist"))


def _previous_place(data: Mapping[str, Any], occurred_at: str) -> _Place:
    return _Place(local_day(data.get("previous_starts_at") or data.get("starts_at") or occurred_at),
                  data["previous_service"] if "previous_service" in data else data.get("service"),
                  data["previous_specialist"] if "previous_specialist" in data else data.get("specialist"))


def _amount(data: Mapping[str, Any]) -> int:
    payment = data.get("payment") or {}
    return int(data.get("amount") or payment.get("amount") or 0)


def _visit(detail_type: str, data: Mapping[str, Any], occurred_at: str) -> list[Delta]:
    """A visit's counters, on its day."""
    here = _place(data, occurred_at)
    if detail_type == events.APPOINTMENT_BOOKED:
        deltas = here.deltas({"booked": 1})
        payment = data.get("payment") or {}
        if payment.get("mode") in ("mandatory", "optional"):
            deltas += here.deltas({"payments_requested": 1, "payments_requested_amount": _amount(data)})
        return deltas
    if detail_type in (events.APPOINTMENT_MOVED, events.APPOINTMENT_UPDATED):
        before = _previous_place(data, occurred_at)
        was_confirmed = data.get("previous_status") == CONFIRMED
        is_confirmed = data.get("status") == CONFIRMED
        return (before.deltas({"booked": -1, CONFIRMED: -1 if was_confirmed else 0})
                + here.deltas({"booked": 1, CONFIRMED: 1 if is_confirmed else 0}))
    if detail_type == events.APPOINTMENT_CONFIRMED:
        return here.deltas({CONFIRMED: 1})
    if detail_type == events.APPOINTMENT_CANCELLED:
        minutes = data.get("lead_time_minutes", 0)
        return here.deltas({"cancelled": 1, f"channel:{data.get('channel')}": 1,
                            f"reason:{data.get('reason', 'not_given')}": 1, f"lead:{lead_bucket(minutes)}": 1,
                            CONFIRMED: -1 if data.get("previous_status") == CONFIRMED else 0})
    if detail_type == events.APPOINTMENT_REINSTATED:  # a late payment brought it back, confirmed
        return here.deltas({"reinstated": 1, CONFIRMED: 1})
    if detail_type == events.APPOINTMENT_ATTENDED:
        return here.deltas({"attended": 1})
    if detail_type == events.APPOINTMENT_NO_SHOW:
        return here.deltas({"no_shows": 1})
    if detail_type == events.REMINDER_SENT:
        return here.deltas({"reminders_sent": 1})
    if detail_type == events.PAYMENT_RECEIVED:
        return here.deltas({"payments_paid": 1, "payments_paid_amount": _amount(data)})
    if detail_type == events.PAYMENT_REFUNDED:
        return here.deltas({"payments_refunded": 1, "payments_refunded_amount": _amount(data)})
    if detail_type == events.PAYMENT_EXPIRED:
        return here.deltas({"payments_expired": 1, "payments_expired_amount": _amount(data)})
    return []


def _minutes_before(data: Mapping[str, Any], freed_at: datetime) -> float:
    return (parse_iso(data["starts_at"]) - freed_at).total_seconds() / 60


def _slot(detail_type: str, data: Mapping[str, Any], occurred: datetime) -> list[Delta]:
    """A freed slot's counters, on the slot's day; the band is how long before the visit it was freed."""
    here = _place(data, occurred.isoformat())
    if detail_type == events.SLOT_FREED:
        return here.deltas({"slots_freed": 1, f"freed:{lead_band(_minutes_before(data, occurred))}": 1})
    if detail_type == events.SLOT_OFFERED:
        return here.deltas({"offers_sent": 1})
    if detail_type == events.OFFER_CLAIMED:
        return here.deltas({"offers_accepted": 1})
    if detail_type == events.SLOT_FILLED:
        minutes = float(data.get("minutes_to_fill") or 0)
        freed_at = occurred.timestamp() - minutes * 60
        band = lead_band((parse_iso(data["starts_at"]).timestamp() - freed_at) / 60)
        add: dict[str, Number] = {"slots_filled": 1, f"filled:{band}": 1,
                                  "fill_offers": int(data.get("offers_made") or 0)}
        if data.get("service"):
            add[f"filled_service:{data['service']}"] = 1
        return here.deltas(add, append={"fill_minutes": (round(minutes, 2),)})
    if detail_type == events.SLOT_UNFILLED:
        return here.deltas({"slots_unfilled": 1, f"unfilled:{data.get('reason', 'unknown')}": 1})
    return []


def _offered_once(data: Mapping[str, Any], occurred: datetime) -> Contribution:
    """A slot counts as offered once, whatever the number of offers: marked by the slot."""
    freed_at = occurred.timestamp() - float(data.get("minutes_since_freed") or 0) * 60
    band = lead_band((parse_iso(data["starts_at"]).timestamp() - freed_at) / 60)
    here = _place(data, occurred.isoformat())
    return Contribution(f"slot-offered:{data['slot_id']}",
                        merge(here.deltas({"slots_offered": 1, f"offered:{band}": 1})))


def _catalogue(data: Mapping[str, Any]) -> list[Delta]:
    """The services and specialists a facility has, for the dashboard's filter (standing item)."""
    tags = {}
    if data.get("service"):
        tags["services"] = frozenset({data["service"]})
    if data.get("specialist"):
        tags["specialists"] = frozenset({data["specialist"]})
    return [Delta(STANDING, tags=tags)] if tags else []


def group_of(data: Mapping[str, Any]) -> str:
    return "entitled" if data.get("out_of_order") else str(data.get("category") or "stabilny")


def _on_event_day(data: Mapping[str, Any], occurred: datetime, add: Mapping[str, Number], *,
                  with_scopes: bool = True) -> list[Delta]:
    place = _Place(local_day(occurred), data.get("service") if with_scopes else None,
                   data.get("specialist") if with_scopes else None)
    return place.deltas(add)


def count(detail_type: str, detail: Mapping[str, Any]) -> Counting | None:
    """What the event adds, or None when it adds nothing to the statistics."""
    facility_id = detail.get("facility_id")
    event_id, occurred_at = detail.get("event_id"), detail.get("occurred_at")
    if not facility_id or not event_id or not occurred_at or facility_id == "unassigned":
        return None
    data: Mapping[str, Any] = detail.get("data") or {}
    occurred = parse_iso(occurred_at)
    deltas = _visit(detail_type, data, occurred_at) + _slot(detail_type, data, occurred)
    extra: list[Contribution] = []
    ledger = None
    if detail_type == events.APPOINTMENT_BOOKED:
        deltas += _catalogue(data)
    elif detail_type == events.SLOT_OFFERED:
        extra.append(_offered_once(data, occurred))
    elif detail_type == events.SLOT_FILLED and data.get("entry_id"):
        ledger = LedgerChange(str(data["entry_id"]), "leave", occurred, served=True)
    elif detail_type == events.PATIENT_OPTED_OUT:
        deltas += _on_event_day(data, occurred, {"opt_outs": 1}, with_scopes=False)
    elif detail_type == events.PATIENT_OPTED_IN:
        deltas += _on_event_day(data, occurred, {"opt_ins": 1}, with_scopes=False)
    elif detail_type == events.WAITING_LIST_JOINED:
        deltas += _on_event_day(data, occurred, {f"wl_joined:{group_of(data)}": 1}) + _catalogue(data)
        ledger = LedgerChange(str(data["entry_id"]), "join", occurred, group=group_of(data),
                              service=data.get("service"), specialist=data.get("specialist"),
                              entered_at=data.get("entered_at") or occurred_at)
    elif detail_type == events.WAITING_LIST_STRUCK_OFF:
        deltas += _on_event_day(data, occurred, {f"wl_struck_off:{data.get('reason')}": 1})
        ledger = LedgerChange(str(data["entry_id"]), "leave", occurred, entered_at=data.get("entered_at"),
                              served=data.get("reason") == SERVED_BY_STRIKE_OFF)
    contributions = tuple(extra)
    merged = merge(deltas)
    if merged:
        contributions = (Contribution(str(event_id), merged), *contributions)
    if not contributions and ledger is None:
        return None
    return Counting(str(facility_id), contributions, ledger)


# ---------------------------------------------------------------------------------------------
# The waiting-list ledger


@dataclass(frozen=True)
class LedgerState:
    state: Literal["waiting", "left"]
    group: str | None = None
    service: str | None = None
    specialist: str | None = None
    entered_at: str | None = None


@dataclass(frozen=True)
class LedgerStep:
    after: LedgerState | None  # None: nothing changes
    deltas: tuple[Delta, ...] = ()


def _wait_days(entered_at: str | None, at: datetime) -> float | None:
    if not entered_at:
        return None
    return max(0.0, round((at - parse_iso(entered_at)).total_seconds() / 86400, 2))


def ledger_step(before: LedgerState | None, change: LedgerChange) -> LedgerStep:
    """How the entry's record moves, and what that adds: `waiting` counts in the standing figures
    (by group and scope); leaving with the visit counts on that day, with the days waited. An entry
    never goes back to waiting, and one that left before it joined (events out of order) is never
    counted as waiting."""
    if change.action == "join":
        if before is not None:
            return LedgerStep(None)
        after = LedgerState("waiting", change.group, change.service, change.specialist, change.entered_at)
        return LedgerStep(after, merge(_standing(after, +1)))
    if before is not None and before.state == "left":
        return LedgerStep(None)
    known = before or LedgerState("left", entered_at=change.entered_at)
    after = LedgerState("left", known.group, known.service, known.specialist, known.entered_at or change.entered_at)
    deltas = _standing(known, -1) if before is not None else []
    waited = _wait_days(after.entered_at, change.at)
    if change.served:
        place = _Place(local_day(change.at), after.service, after.specialist)
        add: dict[str, Number] = {"wl_served": 1}
        if waited is not None:
            add |= {"wl_waited": 1, "wl_wait_days": waited}
        deltas += place.deltas(add)
    return LedgerStep(after, merge(deltas))


def _standing(state: LedgerState, sign: int) -> list[Delta]:
    return [Delta(STANDING, {f"waiting:{scope}:{state.group}": sign})
            for scope in scopes(state.service, state.specialist)]
