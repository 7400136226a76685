"""Launching a campaign: the manager confirms the numbers, then the members are selected.

`POST …/launch` without a confirmation answers with the preview's numbers and a token bound to
them (15 minutes); with the token, and only if the numbers are still the same, the campaign moves
from draft to selecting. Selection then runs as jobs on a queue, one chain per index shard: each
job reads a page of lapsed patients, writes a member for every eligible one (the control group
too, decided by the deterministic hash) and hands the rest of its shard to the next job, so a
campaign of any size is selected without a function timing out. When every shard is done the
campaign is sending (the dispatcher releases its messages).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError

from odwolaj.adapters import queues
from odwolaj.campaigns import segments
from odwolaj.campaigns.drafts import DRAFT, SELECTING, SENDING
from odwolaj.campaigns.settings import get as facility_settings
from odwolaj.core.clock import WARSAW, iso, now, parse_iso
from odwolaj.core.errors import ConfirmationRequired, InvalidTransition
from odwolaj.core.sharding import SHARDS
from odwolaj.core.transactions import conditionally
from odwolaj.data.models import Campaign, CampaignMember, Patient
from odwolaj.security.links import link_signer

CONFIRMATION_MAX_AGE = timedelta(minutes=15)
LAUNCH_QUEUE = "CAMPAIGN_LAUNCH_QUEUE_URL"
MESSAGE, CONTROL, BASELINE = "message", "control", "baseline"
PAGE = 500  # patients read per page of a shard
SELECTION_MARGIN_SECONDS = 30.0  # a job hands over while this much of its time is left


def member_key(campaign_id: str, subject: str) -> str:
    """A member's id from (campaign, patient) or, for a rebook nudge, (campaign, cancelled visit)."""
    return hashlib.sha256(f"member|{campaign_id}|{subject}".encode()).hexdigest()[:16]


def order_key(member_id: str) -> str:
    """A random-looking but fixed place in the release order: bands and shards are interleaved."""
    return hashlib.sha256(f"order|{member_id}".encode()).hexdigest()[:12]


def send_key(due: datetime, member_id: str) -> str:
    return f"{iso(due)}#{order_key(member_id)}"


# ---------------------------------------------------------------------------------------------
# The confirmation


def _digest(numbers: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(numbers, sort_keys=True).encode()).hexdigest()[:16]


def _scope(campaign: Campaign, numbers: dict[str, Any]) -> str:
    return f"launch|{campaign.campaign_id}|{campaign.version}|{_digest(numbers)}"


def confirmation(campaign: Campaign, numbers: dict[str, Any], at: datetime) -> dict[str, Any]:
    """What the manager confirms: the numbers, an estimate, and the token to launch with."""
    rate = facility_settings(campaign.facility_id).rate_per_minute
    messages = int(numbers["to_message"])
    issued = int(at.timestamp())
    return {
        "token": link_signer().form_token(_scope(campaign, numbers), issued),
        "expires_at": iso(at + CONFIRMATION_MAX_AGE),
        "numbers": numbers,
        "estimate": {
            "first_messages": messages,
            "follow_ups_at_most": messages if campaign.follow_up else 0,
            "rate_per_minute": rate,
            # Sending time inside the windows (9:00-19:00 on working days), not wall time.
            "sending_minutes": -(-messages // rate),
        },
    }


def launch(campaign: Campaign, token: str | None, *, by: str, at: datetime | None = None) -> Campaign:
    """Launch after the manager confirmed these very numbers (ConfirmationRequired otherwise), and
    queue the selection. Launching again changes nothing, but for a selection not yet started,
    whose jobs are queued again (they are idempotent)."""
    at = at or now()
    if campaign.status == DRAFT:
        numbers = segments.preview(campaign, at).as_dict()
        if not token or not link_signer().check_form_token(_scope(campaign, numbers), token, int(at.timestamp()),
                                                           max_age=int(CONFIRMATION_MAX_AGE.total_seconds())):
            raise ConfirmationRequired("confirm these numbers: launch again with confirm set to confirmation.token "
                                       "within 15 minutes", confirmation=confirmation(campaign, numbers, at))
        conditionally(lambda: campaign.update(actions=[
            Campaign.status.set(SELECTING), Campaign.version.set(int(campaign.version) + 1),
            Campaign.launched_at.set(iso(at)), Campaign.launched_by.set(by), Campaign.confirmed.set(numbers),
            Campaign.updated_at.set(iso(at)),
        ], condition=(Campaign.status == DRAFT) & (Campaign.version == campaign.version)))
        campaign = Campaign.get(campaign.campaign_id, consistent_read=True)
        if campaign.status == DRAFT:
            raise InvalidTransition("campaign changed while launching; preview it again", current_status=DRAFT)
    if campaign.status == SELECTING and not campaign.shards_selected:
        for job in selection_jobs(campaign):
            queues.send(LAUNCH_QUEUE, job)
    return campaign


def selection_jobs(campaign: Campaign) -> list[dict[str, Any]]:
    """The first job of every shard's chain."""
    return [{"campaign_id": campaign.campaign_id, "shard": key} for key in segments.shard_keys(campaign.facility_id)]


# ---------------------------------------------------------------------------------------------
# Selection


def select(job: dict[str, Any], remaining_seconds: Callable[[], float]) -> dict[str, Any] | None:
    """Run one selection job while time remains; the job that continues it, or None when its
    shard is done (or the campaign is no longer selecting: a repeated job does nothing)."""
    campaign = Campaign.get(job["campaign_id"], consistent_read=True)
    if campaign.status != SELECTING:
        return None
    launched = parse_iso(campaign.launched_at)
    segment = segments.Segment.of(campaign)
    today = launched.astimezone(WARSAW).date()
    cutoff = segment.cutoff(today)
    cursor = job.get("cursor")
    while True:
        page = segments.lapsed(job["shard"], cutoff, last_evaluated_key=cursor, page_size=PAGE)
        found = [patient for patient in page]
        _write_members(campaign, found, segment, today, now())
        cursor = page.last_evaluated_key if len(found) == PAGE else None
        if cursor is None:
            _shard_done(campaign, job["shard"])
            return None
        if remaining_seconds() < SELECTION_MARGIN_SECONDS:
            return {**job, "cursor": cursor}


def _write_members(campaign: Campaign, patients: list[Patient], segment: segments.Segment,
                   today: Any, at: datetime) -> None:
    # Nothing is sent before the whole selection is done, so a repeated page may overwrite its own
    # members (the same values): a batch write, 25 items a request.
    with CampaignMember.batch_write() as batch:
        for patient in patients:
            band = segment.band(patient, today)
            if band is None or segment.exclusion(patient, at) is not None:
                continue
            batch.save(new_member(campaign, patient.patient_id, band, campaign.launched_at,
                                  control=segments.in_holdout(campaign.campaign_id, patient.patient_id,
                                                              int(campaign.holdout_percent))))


def new_member(campaign: Campaign, patient_id: str, band: str, started_at: str, *, control: bool = False,
               subject: str | None = None, due: datetime | None = None, arm: str | None = None,
               appointment_id: str | None = None) -> CampaignMember:
    member_id = member_key(campaign.campaign_id, subject or patient_id)
    arm = arm or (CONTROL if control else MESSAGE)
    member = CampaignMember(
        member_id=member_id, campaign_id=campaign.campaign_id, facility_id=campaign.facility_id,
        patient_id=patient_id, patient_key=f"{campaign.facility_id}#{patient_id}", band=band, arm=arm,
        started_at=started_at, appointment_id=appointment_id, segments=0, created_at=iso(now()))
    if arm == MESSAGE:  # the control group and the baseline never get a send key: never released
        member.send_queue = campaign.campaign_id
        member.send_key = send_key(due or parse_iso(started_at), member_id)
        member.next_touch = 1
    return member


def _shard_done(campaign: Campaign, shard: str) -> None:
    """The shard is selected; the last shard done makes the campaign sending."""
    campaign.update(actions=[Campaign.shards_selected.add({shard})])
    if len(campaign.shards_selected or ()) < SHARDS:
        return
    try:
        campaign.update(actions=[Campaign.status.set(SENDING), Campaign.active.set("1"),
                                 Campaign.updated_at.set(iso(now()))],
                        condition=Campaign.status == SELECTING)
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
    return None

