"""A facility's own texts of patient SMS (GET/PUT /api/v1/message-templates; the console's page goes
through odwolaj.usecases.clinic_settings): checked by odwolaj.language.message_overrides, kept in
`Facility.message_templates` (kind → text) and used by the senders from their next message on."""
from __future__ import annotations

from typing import Any

from odwolaj.campaigns.settings import sample_link
from odwolaj.core.errors import Conflict
from odwolaj.core.transactions import conditionally
from odwolaj.data.models import Facility
from odwolaj.language import message_overrides
from odwolaj.security.facilities import get_facility


def of(facility: Facility) -> dict[str, str]:
    return dict(facility.message_templates.as_dict()) if facility.message_templates else {}


def get(facility_id: str) -> dict[str, Any]:
    return message_overrides.view(of(get_facility(facility_id)))


def changed(facility: Facility, payload: object) -> tuple[dict[str, str], dict[str, str]]:
    """(the facility's texts now, with the payload's changes), or InvalidInput naming the kind."""
    before = of(facility)
    return before, message_overrides.changed(before, payload, sample_link())


def configure(facility_id: str, payload: object) -> dict[str, Any]:
    """PUT /api/v1/message-templates: the texts changed (null restores a kind's default), all or none."""
    facility = get_facility(facility_id)
    before, after = changed(facility, payload)
    # On the texts read: a change made meanwhile is not overwritten unseen.
    stored = (Facility.message_templates == before) if facility.message_templates else \
        Facility.message_templates.does_not_exist()
    if after != before and not conditionally(lambda: Facility(facility_id).update(
            actions=[Facility.message_templates.set(after)], condition=Facility.facility_id.exists() & stored)):
        raise Conflict("the message texts changed meanwhile; try again")
    return message_overrides.view(after)
