"""Campaign drafts: what the clinic defines (POST /api/v1/campaigns), read back within its facility."""
from __future__ import annotations

import secrets
from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist

from odwolaj.campaigns.records import normalise_specialty
from odwolaj.core import validation
from odwolaj.core.clock import iso, now
from odwolaj.core.errors import InvalidInput, NotFound
from odwolaj.data.models import Campaign

PURPOSES = ("care", "marketing")
FIELDS = ("name", "purpose", "inactive_months_min", "inactive_months_max", "age_min", "age_max", "specialties",
          "holdout_percent", "follow_up")
DRAFT, SELECTING, SENDING, COMPLETED = "draft", "selecting", "sending", "completed"
REACTIVATION, REBOOK = "reactivation", "rebook"
DEFAULT_HOLDOUT = 10
MAX_SPECIALTIES = 20


@dataclass(frozen=True)
class DraftInput:
    name: str
    purpose: str
    inactive_months_min: int
    inactive_months_max: int | None
    age_min: int | None
    age_max: int | None
    specialties: frozenset[str]
    holdout_percent: int
    follow_up: bool

    @classmethod
    def from_payload(cls, payload: object) -> DraftInput:
        if not isinstance(payload, dict):
            raise InvalidInput("request body must be a JSON object")
        validation.reject_unknown(payload, FIELDS)
        low = validation.whole_number(payload.get("inactive_months_min"), "inactive_months_min", 12, 240,
                                      " of months", required=True)
        high = validation.whole_number(payload.get("inactive_months_max"), "inactive_months_max", low, 600,
                                       " of months")
        age_min = validation.whole_number(payload.get("age_min"), "age_min", 0, 120, " of years")
        age_max = validation.whole_number(payload.get("age_max"), "age_max", age_min or 0, 120, " of years")
        specialties = payload.get("specialties", [])
        if not isinstance(specialties, list) or len(specialties) > MAX_SPECIALTIES:
            raise InvalidInput(f"specialties must be a list of at most {MAX_SPECIALTIES} names", field="specialties")
        holdout = validation.whole_number(payload.get("holdout_percent", DEFAULT_HOLDOUT), "holdout_percent", 0, 50,
                                          " (percent)", required=True)
        return cls(
            name=validation.text(payload.get("name"), "name", max_len=120),
            purpose=validation.choice(payload.get("purpose"), "purpose", PURPOSES),
            inactive_months_min=low, inactive_months_max=high, age_min=age_min, age_max=age_max,
            specialties=frozenset(normalise_specialty(validation.text(s, "specialties", max_len=120))
                                  for s in specialties),
            holdout_percent=holdout,
            follow_up=validation.flag(payload.get("follow_up", True), "follow_up"),
        )


def create(facility_id: str, data: DraftInput) -> Campaign:
    at = iso(now())
    campaign = Campaign(
        campaign_id=f"cmp_{secrets.token_hex(6)}", facility_id=facility_id, kind=REACTIVATION, name=data.name,
        purpose=data.purpose, inactive_months_min=data.inactive_months_min,
        inactive_months_max=data.inactive_months_max, age_min=data.age_min, age_max=data.age_max,
        specialties=set(data.specialties) or None, holdout_percent=data.holdout_percent, follow_up=data.follow_up,
        status=DRAFT, version=1, created_at=at, updated_at=at,
    )
    campaign.save(condition=Campaign.campaign_id.does_not_exist())
    return campaign


def get(facility_id: str, campaign_id: str) -> Campaign:
    """The facility's own campaign; another facility's is as unknown as a missing one."""
    try:
        campaign = Campaign.get(campaign_id, consistent_read=True)
    except DoesNotExist:
        raise NotFound("campaign not found") from None
    if campaign.facility_id != facility_id:
        raise NotFound("campaign not found")
    return campaign


def listed(facility_id: str) -> list[Campaign]:
    return list(Campaign.by_facility.query(facility_id))
