"""The rebook nudge: a patient who cancelled for a reason that means they still need care
(`need_other_date`, `cannot_attend`) and booked nothing within N days (7 by default) gets one care
message with a link to ask for a new date (the campaign page).

Each facility has one standing campaign of kind `rebook`; every such cancellation becomes a member
of it, its cancelled visit the member's subject, started at the cancellation. While the nudge is on
the member waits for its message (due N days later, at the next sending window); while it is off
it joins the baseline, never messaged, which the nudged are compared with: rebooked within 30 days
(odwolaj.campaigns.results). At send time a booking since the cancellation, a visit booked ahead, a
withdrawn care consent or the number's STOP stop the message (odwolaj.campaigns.sending).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from odwolaj.campaigns.drafts import REBOOK, SENDING
from odwolaj.campaigns.launch import BASELINE, MESSAGE, new_member
from odwolaj.campaigns.segments import REBOOK_BAND
from odwolaj.campaigns.settings import CampaignSettings, changed, get as facility_settings, save
from odwolaj.core.clock import iso, parse_iso
from odwolaj.core.transactions import conditionally
from odwolaj.core.workdays import next_window_start
from odwolaj.data.models import Appointment, Campaign, CampaignMember

REASONS = frozenset({"need_other_date", "cannot_attend"})
NAME = "Nowy termin po odwołaniu wizyty"


def campaign_id(facility_id: str) -> str:
    return f"rebook_{facility_id}"


def standing(facility_id: str, at: datetime, *, active: bool) -> Campaign:
    """The facility's rebook campaign (created on first need); `active` while the nudge is on."""
    created = Campaign(campaign_id(facility_id), facility_id=facility_id, kind=REBOOK, name=NAME, purpose="care",
                       holdout_percent=0, follow_up=False, status=SENDING, version=1, created_at=iso(at),
                       updated_at=iso(at), launched_at=iso(at), active="1" if active else None)
    if conditionally(lambda: created.save(condition=Campaign.campaign_id.does_not_exist())):
        return created
    return Campaign.get(campaign_id(facility_id), consistent_read=True)


def switch(facility_id: str, on: bool, at: datetime) -> None:
    """The nudge turned on or off: the dispatcher reads the campaign only while it is on."""
    campaign = standing(facility_id, at, active=on)
    campaign.update(actions=[Campaign.active.set("1") if on else Campaign.active.remove(),
                             Campaign.updated_at.set(iso(at))])


def on_cancellation(appointment: Appointment, at: datetime) -> CampaignMember | None:
    """A case for the nudge (or its baseline); None for other reasons. Idempotent per visit."""
    cancellation = appointment.cancellation
    if cancellation is None or cancellation.reason not in REASONS:
        return None
    settings: CampaignSettings = facility_settings(appointment.facility_id)
    campaign = standing(appointment.facility_id, at, active=settings.nudge_enabled)
    cancelled_at = parse_iso(cancellation.cancelled_at)
    member = new_member(campaign, appointment.patient_id, REBOOK_BAND, cancellation.cancelled_at,
                        subject=appointment.appointment_id, appointment_id=appointment.appointment_id,
                        arm=MESSAGE if settings.nudge_enabled else BASELINE,
                        due=next_window_start(cancelled_at + timedelta(days=settings.nudge_days)))
    saved = conditionally(lambda: member.save(condition=CampaignMember.member_id.does_not_exist()))
    return member if saved else None


def configure(facility_id: str, payload: object, at: datetime) -> CampaignSettings:
    """PUT /api/v1/campaign-settings: the settings changed, and the nudge switched with them."""
    current = facility_settings(facility_id)
    updated = save(facility_id, changed(current, payload))
    if updated.nudge_enabled != current.nudge_enabled:
        switch(facility_id, updated.nudge_enabled, at)
    return updated
