"""Given-steps shared by the reserve-list integration modules: a clock inside sending hours,
waiting patients, a freed slot."""
from __future__ import annotations

import pytest

from odwolaj.appointments import lifecycle as appointments
from odwolaj.data.models import FreedSlot, WaitingEntry
from odwolaj.reserve import entries, offers
from odwolaj.reserve.entries import EntryInput
from tests.reserve_helpers import entry_payload, set_now, warsaw


@pytest.fixture
def at_noon(monkeypatch, aws):
    """Given 'now' is tomorrow 11:00 in Warsaw (inside sending hours)."""
    moment = warsaw(1, 11)
    set_now(monkeypatch, moment)
    return moment


@pytest.fixture
def join(facility, at_noon):
    def _join(number: int, **changes) -> WaitingEntry:
        return entries.join(facility.facility.facility_id, EntryInput.from_payload(entry_payload(number, **changes)))
    return _join


@pytest.fixture
def freed(book, at_noon):
    """Given a booked visit two days ahead, cancelled by its patient: returns the freed slot after
    the stream consumer ran."""
    def _free(days: int = 2, hour: int = 10, specialist: str = "dr Anna Nowak", external_id: str = "HIS-1"):
        appointment = book(external_id=external_id, starts_at=warsaw(1 + days, hour).isoformat(),
                           specialist=specialist, phone="600 999 999", patient_id="P-cancel")
        appointments.cancel(appointment, channel="web", reason="cannot_attend")
        offers.offer_freed_slot(appointment.appointment_id)
        return FreedSlot.get(appointment.appointment_id)
    return _free
