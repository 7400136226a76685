"""The console's board for the reception desk (issue 15): today's and tomorrow's visits with their
status, the freed slots of the coming week with the offers in flight, and attendance recorded
through the same domain function as the clinic API's outcome route (a no-show at a visit from the
list strikes its entry off), audited in the same transaction.

Reads, whatever the size of the facility: one Query of the visits of two Polish days (the
appointments' by_facility_start index), one Query of the week's freed slots (the slots'
by_facility_start index), one BatchGet of the current waves' offers and one of their entries."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from odwolaj.appointments import store
from odwolaj.core.clock import WARSAW, iso, now, parse_iso
from odwolaj.core.errors import InvalidInput, NotFound
from odwolaj.data.models import Appointment, ConsoleSession, FreedSlot, Offer, WaitingEntry
from odwolaj.data.status import ATTENDED, NO_SHOW
from odwolaj.reserve.offers import FREE, OFFERING
from odwolaj.usecases import reception
from odwolaj.usecases.console import require
from odwolaj.usecases.console_waiting import audited

SLOTS_AHEAD = timedelta(days=7)  # a freed slot is offered until shortly before it: the week covers those in flight
OUTCOMES = (ATTENDED, NO_SHOW)
AUDIT_ACTIONS = {ATTENDED: "visit_attended", NO_SHOW: "visit_no_show"}


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), WARSAW)


@dataclass(frozen=True)
class SlotInFlight:
    slot: FreedSlot
    offers: list[tuple[Offer, WaitingEntry | None]]  # the current wave's, with the entry each went to


@dataclass(frozen=True)
class Board:
    days: list[tuple[date, list[Appointment]]]  # today, tomorrow: their visits in time order
    slots: list[SlotInFlight]  # freed slots from today on, in time order
    now: datetime


def board(session: ConsoleSession) -> Board:
    require(session, "today")
    facility_id = session.facility_id or ""
    at = now()
    today = at.astimezone(WARSAW).date()
    days = (today, today + timedelta(days=1))
    visits = list(Appointment.by_facility_start.query(
        facility_id, Appointment.starts_at.between(iso(_start_of(days[0])), iso(_start_of(days[1] + timedelta(1))))))
    by_day = [(day, [v for v in visits if parse_iso(v.starts_at).astimezone(WARSAW).date() == day]) for day in days]
    slots = list(FreedSlot.by_facility_start.query(
        facility_id, FreedSlot.starts_at.between(iso(_start_of(today)), iso(_start_of(today) + SLOTS_AHEAD))))
    wave = {offer_id for s in slots if s.status in (FREE, OFFERING) for offer_id in (s.wave_offers or ())}
    offers = list(Offer.batch_get(wave)) if wave else []
    shown = ["entry_id", "list_number", "category", "entitlement", "service"]
    waiting = ({e.entry_id: e for e in WaitingEntry.batch_get({o.entry_id for o in offers}, attributes_to_get=shown)}
               if offers else {})
    in_flight = [SlotInFlight(s, sorted(((o, waiting.get(o.entry_id)) for o in offers if o.slot_id == s.slot_id),
                                        key=lambda pair: pair[0].offered_at)) for s in slots]
    return Board(by_day, in_flight, at)


def record_outcome(session: ConsoleSession, appointment_id: str, outcome: str) -> Appointment:
    """Mark a visit of the facility attended or a no-show (the API's POST …/outcome, through the
    same function); a repeated click changes nothing and writes no second audit entry."""
    require(session, "today")
    if outcome not in OUTCOMES:
        raise InvalidInput(f"outcome must be one of: {', '.join(OUTCOMES)}", field="outcome")
    appointment = store.get(appointment_id)
    if appointment.facility_id != session.facility_id:
        raise NotFound("appointment not found")
    also = audited(session, AUDIT_ACTIONS[outcome], subject=appointment.appointment_id,
                   detail={"external_id": appointment.external_id, "service": appointment.service,
                           "starts_at": appointment.starts_at})
    return reception.record_visit_outcome(appointment, outcome, also=also).appointment
