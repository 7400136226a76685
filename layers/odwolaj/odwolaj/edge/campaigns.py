"""The clinic API's campaign routes at the edge: bulk bodies read by their Content-Type, and
campaigns, responses and imports shaped for integrators. English for integrators; no body or
contact data logged."""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from odwolaj.campaigns import records
from odwolaj.campaigns.records import RowError
from odwolaj.core import validation
from odwolaj.core.errors import InvalidInput
from odwolaj.data.models import Campaign, CampaignMember

MAX_SYNC_ROWS = 1000  # more: an upload (POST /api/v1/imports)
FORMAT_BY_TYPE = {"application/json": "json", "application/x-ndjson": "ndjson", "application/jsonl": "ndjson",
                  "text/csv": "csv"}
MAX_RESPONSES_PAGE = 100


class UnsupportedMediaType(InvalidInput):
    code = "unsupported_media_type"


def bulk_rows(body: str | None, content_type: str | None) -> list[tuple[int, object]]:
    """The records of a bulk body (JSON {"records": [...]}, NDJSON or CSV), at most MAX_SYNC_ROWS."""
    media = (content_type or "application/json").split(";", 1)[0].strip().lower()
    fmt = FORMAT_BY_TYPE.get(media)
    if fmt is None:
        raise UnsupportedMediaType(f"Content-Type must be one of: {', '.join(FORMAT_BY_TYPE)}", field="content-type")
    if not body or not body.strip():
        raise InvalidInput("request body is empty; expected records")
    rows = list(records.lines_of(body, fmt))
    if len(rows) > MAX_SYNC_ROWS:
        raise InvalidInput(f"{len(rows)} records: at most {MAX_SYNC_ROWS} in one request; upload larger files "
                           "through POST /api/v1/imports", field="records")
    return rows


def bulk_result(received: int, applied: int, errors: list[RowError]) -> dict[str, Any]:
    return {"received": received, "accepted": applied, "rejected": len(errors),
            "errors": [e.as_dict() for e in errors]}


def campaign_view(campaign: Campaign, result: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "campaign_id": campaign.campaign_id,
        "kind": campaign.kind,
        "name": campaign.name,
        "purpose": campaign.purpose,
        "status": campaign.status,
        "segment": {
            "inactive_months_min": _number(campaign.inactive_months_min),
            "inactive_months_max": _number(campaign.inactive_months_max),
            "age_min": _number(campaign.age_min), "age_max": _number(campaign.age_max),
            "specialties": sorted(campaign.specialties or ()),
        },
        "holdout_percent": int(campaign.holdout_percent),
        "follow_up": bool(campaign.follow_up),
        "created_at": campaign.created_at,
        "launched_at": campaign.launched_at,
        "launched_by": campaign.launched_by,
        "confirmed": _plain(campaign.confirmed.as_dict()) if campaign.confirmed else None,
        "result": result,
    }


def _number(value: object) -> int | None:
    return None if value is None else int(str(value))


def _plain(value: Any) -> Any:
    """DynamoDB numbers (Decimal) back to int for JSON."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return int(value) if hasattr(value, "to_integral_value") else value


def response_view(member: CampaignMember, phone: str | None) -> dict[str, Any]:
    """A response as the clinic works through it (its own patient's phone included)."""
    return {
        "response_id": member.member_id,
        "campaign_id": member.campaign_id,
        "patient": {"id": member.patient_id, "phone": phone},
        "band": member.band,
        "response": member.response,
        "channel": member.response_channel,
        "detail": _plain(member.response_detail.as_dict()) if member.response_detail else {},
        "appointment_id": member.booked_appointment_id,
        "responded_at": member.responded_at,
        "handled_at": member.handled_at,
    }


def encode_key(key: dict[str, Any] | None) -> str | None:
    return None if key is None else base64.urlsafe_b64encode(json.dumps(key, sort_keys=True).encode()).decode()


def decode_key(value: str | None, facility_id: str) -> dict[str, Any] | None:
    """A page cursor this API returned, only within the caller's facility."""
    if value is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(value.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidInput("cursor is not one this API returned", field="cursor") from None
    if not isinstance(key, dict) or key.get("response_queue", {}).get("S") != facility_id:
        raise InvalidInput("cursor is not one this API returned", field="cursor")
    return key


def responses_query(query: dict[str, str], facility_id: str) -> tuple[int, dict[str, Any] | None]:
    """(limit, the key to continue from) of a responses list request."""
    validation.reject_unknown(query, ("limit", "cursor"), what="query parameter(s)")
    value = query.get("limit", str(MAX_RESPONSES_PAGE))
    if not value.isdigit() or not 1 <= int(value) <= MAX_RESPONSES_PAGE:
        raise InvalidInput(f"limit must be a whole number from 1 to {MAX_RESPONSES_PAGE}", field="limit")
    return int(value), decode_key(query.get("cursor"), facility_id)


def launch_confirmation(payload: dict[str, Any]) -> str | None:
    """The confirmation token a launch request carries (none on the first request)."""
    validation.reject_unknown(payload, ("confirm",))
    confirm = payload.get("confirm")
    if confirm is not None and not isinstance(confirm, str):
        raise InvalidInput("confirm must be the confirmation token (a string)", field="confirm")
    return confirm
