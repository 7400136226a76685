"""The console's demo: a manager (with TOTP set up) and a reception account for the demo facility,
and six weeks of made-up history (and the same weeks a year before) so the dashboard has something
to show at once.

The history is a stream of events shaped like the live ones (odwolaj.data.events), counted by the
statistics' own code (odwolaj.stats.rebuild.Tally) and written as day items: it exists only in the
statistics, with no visits behind it. The demo's real visits, in the coming days, are counted live.
"""
from __future__ import annotations

import random
import secrets
from datetime import date, datetime, time, timedelta
from typing import Any

from odwolaj.adapters import cognito as idp
from odwolaj.core.clock import WARSAW, iso
from odwolaj.data import events
from odwolaj.security import audit, staff
from odwolaj.security.signin import otpauth_uri
from odwolaj.stats.rebuild import Tally, write_tally
from odwolaj_local.cognito import totp_code

MANAGER_EMAIL = "kierownik@demo.odwolaj.local"
RECEPTION_EMAIL = "rejestracja@demo.odwolaj.local"
HISTORY_WEEKS = 6


def _password() -> str:
    return f"Demo-{secrets.token_hex(5)}"  # upper and lower case and digits, 15 characters


def seed_staff(facility_id: str) -> dict[str, Any]:
    """Both accounts with permanent passwords; the manager's TOTP already set up (its secret printed)."""
    system = audit.Actor(audit.SYSTEM)
    manager = staff.invite(facility_id, MANAGER_EMAIL, staff.MANAGER, by=system).member
    reception = staff.invite(facility_id, RECEPTION_EMAIL, staff.RECEPTION, by=system).member
    passwords = {MANAGER_EMAIL: _password(), RECEPTION_EMAIL: _password()}
    for person in (manager, reception):
        idp.set_password(person.sub, passwords[person.email], permanent=True)
    token = idp.sign_in(MANAGER_EMAIL, passwords[MANAGER_EMAIL]).access_token or ""
    secret = idp.associate_software_token(token)
    idp.verify_software_token(token, totp_code(secret))
    idp.prefer_totp(manager.sub)
    staff.signed_in(idp.get_user(manager.sub))
    return {"manager": {"email": MANAGER_EMAIL, "password": passwords[MANAGER_EMAIL], "totp_secret": secret,
                        "otpauth_uri": otpauth_uri(secret, MANAGER_EMAIL)},
            "reception": {"email": RECEPTION_EMAIL, "password": passwords[RECEPTION_EMAIL]}}


# ---------------------------------------------------------------------------------------------
# History

CHANNELS = (("web", 35), ("sms", 30), ("email", 5), ("clinic_api", 10), ("reception", 20))
REASONS = (("cannot_attend", 40), ("feel_better", 15), ("treated_elsewhere", 10), ("need_other_date", 20),
           ("not_given", 15))
LEADS_HOURS = ((1, 8), (6, 15), (20, 20), (40, 20), (100, 20), (200, 17))  # (hours ahead, weight)
STRIKE_OFFS = ("no_show", "service_performed", "provider_stopped", "patient_resigned")


class _History:
    def __init__(self, facility_id: str, services: list[tuple[str, str]], seed: int):
        self.facility_id, self.services = facility_id, services
        self.random = random.Random(seed)
        self.tally = Tally()
        self.number = 0

    def _pick(self, weighted: tuple[tuple[Any, int], ...]) -> Any:
        return self.random.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]

    def emit(self, kind: str, at: datetime, data: dict[str, Any]) -> None:
        self.number += 1
        self.tally.add(kind, {"schema_version": 1, "event_id": f"demo-history:{self.number}", "occurred_at": iso(at),
                              "facility_id": self.facility_id, "data": data})

    def day(self, day: date, no_show_rate: float, fill_rate: float) -> None:
        visits = 0 if day.weekday() == 6 else 4 if day.weekday() == 5 else 14
        for _ in range(visits):
            self.visit(day, no_show_rate, fill_rate)
        if self.random.random() < 0.4:
            self.emit(events.WAITING_LIST_JOINED, self._moment(day, 9), self._entry(day))
        if self.random.random() < 0.15:
            self.emit(events.PATIENT_OPTED_OUT, self._moment(day, 12), {"channel": "sms"})

    def _moment(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), WARSAW)

    def _entry(self, day: date, *, strike: bool = True) -> dict[str, Any]:
        service, specialist = self.random.choice(self.services)
        self.number += 1
        data = {"entry_id": f"demo-entry-{self.number}", "service": service, "specialist": None,
                "category": "pilny" if self.random.random() < 0.3 else "stabilny",
                "out_of_order": self.random.random() < 0.05, "entered_at": iso(self._moment(day, 9))}
        if strike and self.random.random() < 0.25:
            later = day + timedelta(days=self.random.randint(3, 30))
            self.emit(events.WAITING_LIST_STRUCK_OFF, self._moment(later, 11),
                      data | {"reason": self.random.choice(STRIKE_OFFS)})
        return data

    def visit(self, day: date, no_show_rate: float, fill_rate: float) -> None:
        service, specialist = self.random.choice(self.services)
        starts = self._moment(day, self.random.randint(8, 17), self.random.choice((0, 20, 40)))
        booked = starts - timedelta(days=self.random.randint(1, 21), hours=self.random.randint(0, 8))
        data = {"starts_at": iso(starts), "service": service, "specialist": specialist, "status": "booked"}
        self.emit(events.APPOINTMENT_BOOKED, booked, data)
        if (starts - booked).days >= 7:
            self.emit(events.REMINDER_SENT, starts - timedelta(days=7), data)
        self.emit(events.REMINDER_SENT, starts - timedelta(days=1), data)
        if self.random.random() < 0.14:
            self.cancel(starts, data, fill_rate)
            return
        if self.random.random() < 0.55:
            self.emit(events.APPOINTMENT_CONFIRMED, starts - timedelta(hours=20), data | {"status": "confirmed"})
        kind = events.APPOINTMENT_NO_SHOW if self.random.random() < no_show_rate else events.APPOINTMENT_ATTENDED
        self.emit(kind, starts + timedelta(minutes=20), data)

    def cancel(self, starts: datetime, data: dict[str, Any], fill_rate: float) -> None:
        hours = self._pick(LEADS_HOURS) * self.random.uniform(0.6, 1.4)
        at = starts - timedelta(hours=hours)
        self.emit(events.APPOINTMENT_CANCELLED, at, data | {
            "status": "cancelled", "channel": self._pick(CHANNELS), "reason": self._pick(REASONS),
            "lead_time_minutes": int(hours * 60)})
        self.number += 1
        slot = {"slot_id": f"demo-slot-{self.number}", "starts_at": data["starts_at"], "service": data["service"],
                "specialist": data["specialist"], "source": "cancellation"}
        self.emit(events.SLOT_FREED, at, slot)
        if hours < 2:
            self.emit(events.SLOT_UNFILLED, at + timedelta(minutes=5), slot | {"reason": "too_close"})
            return
        offers = self.random.randint(1, 6)
        minutes = round(self.random.lognormvariate(3.2, 0.7), 1)
        for n in range(offers):
            self.emit(events.SLOT_OFFERED, at + timedelta(minutes=2 + n * minutes / offers),
                      slot | {"offer_id": f"{slot['slot_id']}-{n}", "minutes_since_freed": 2 + n * minutes / offers})
        if self.random.random() < (fill_rate if hours >= 24 else fill_rate * 0.6):
            entered = at.date() - timedelta(days=self.random.randint(14, 120))
            entry = self._entry(entered, strike=False)
            self.emit(events.WAITING_LIST_JOINED, self._moment(entered, 9), entry)
            # the last offer's patient said yes, as the live system claims before it fills
            self.emit(events.OFFER_CLAIMED, at + timedelta(minutes=minutes), slot | {
                "offer_id": f"{slot['slot_id']}-{offers - 1}", "entry_id": entry["entry_id"]})
            self.emit(events.SLOT_FILLED, at + timedelta(minutes=minutes),
                      slot | {"entry_id": entry["entry_id"], "offers_made": offers, "minutes_to_fill": minutes})
        else:
            self.emit(events.SLOT_UNFILLED, at + timedelta(hours=hours - 1.5), slot | {"reason": "no_eligible_patient"})


def seed_history(facility_id: str, services: list[tuple[str, str]], today: date) -> int:
    """Six weeks up to yesterday, and the same weeks a year before (worse: that is the point of the
    product); returns the events counted."""
    history = _History(facility_id, services, seed=14)
    first = today - timedelta(weeks=HISTORY_WEEKS)
    for offset in range(HISTORY_WEEKS * 7):
        history.day(first + timedelta(days=offset), no_show_rate=0.035, fill_rate=0.8)
        history.day(first - timedelta(days=365) + timedelta(days=offset), no_show_rate=0.07, fill_rate=0.3)
    write_tally(facility_id, history.tally)
    return history.number
