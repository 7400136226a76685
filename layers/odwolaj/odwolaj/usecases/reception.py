"""Reception's record of a visit (POST /api/v1/appointments/{id}/outcome): attended, no-show or
cancelled, and what it means for the waiting list. NFZ: a patient who does not come, without
notice, to a visit obtained from the list is struck off it."""
from __future__ import annotations

from odwolaj.appointments import lifecycle
from odwolaj.core.transactions import Write
from odwolaj.data.models import Appointment
from odwolaj.data.status import NO_SHOW
from odwolaj.reserve import entries


def record_visit_outcome(appointment: Appointment, outcome: str, *, reason: str = "not_given",
                         also: Write | None = None) -> lifecycle.Outcome:
    """Record the outcome; a no-show at a visit from the list strikes its entry off. A repeated record
    repeats nothing (`also`, the caller's steps in the same transaction, included)."""
    result = lifecycle.record_outcome(appointment, outcome, reason=reason, also=also)
    entry_id = result.appointment.waiting_entry_id
    if result.appointment.status == NO_SHOW and entry_id:
        entry = entries.get(result.appointment.facility_id, entry_id)
        if entry.status != entries.STRUCK_OFF:
            entries.strike_off(entry, "no_show", by="reception")
    return result
