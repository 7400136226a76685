"""A facility's campaign settings (GET/PUT /api/v1/campaign-settings): how many campaign messages a
minute it sends, its own texts per band, and the rebook nudge after a cancellation."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from odwolaj.core import validation
from odwolaj.core.config import settings as deployment
from odwolaj.core.errors import InvalidInput
from odwolaj.data.models import Facility
from odwolaj.language import campaign_texts

DEFAULT_RATE_PER_MINUTE = 60
MAX_RATE_PER_MINUTE = 6000
DEFAULT_PROVIDER_RATE = 20  # per second, when the deployment does not say (CampaignProviderRatePerSecond)
DEFAULT_NUDGE_DAYS = 7
FIELDS = ("rate_per_minute", "messages", "rebook_nudge")
NUDGE_FIELDS = ("enabled", "days")


@dataclass(frozen=True)
class CampaignSettings:
    rate_per_minute: int = DEFAULT_RATE_PER_MINUTE
    messages: dict[str, str] = field(default_factory=dict)  # the facility's own texts, by kind
    nudge_enabled: bool = False
    nudge_days: int = DEFAULT_NUDGE_DAYS

    @classmethod
    def of(cls, facility: Facility) -> CampaignSettings:
        stored: dict[str, Any] = facility.campaign_settings.as_dict() if facility.campaign_settings else {}
        nudge = stored.get("rebook_nudge") or {}
        return cls(rate_per_minute=int(stored.get("rate_per_minute", DEFAULT_RATE_PER_MINUTE)),
                   messages=dict(stored.get("messages") or {}), nudge_enabled=bool(nudge.get("enabled", False)),
                   nudge_days=int(nudge.get("days", DEFAULT_NUDGE_DAYS)))

    def as_dict(self) -> dict[str, Any]:
        return {"rate_per_minute": self.rate_per_minute, "messages": dict(self.messages),
                "rebook_nudge": {"enabled": self.nudge_enabled, "days": self.nudge_days}}

    def view(self) -> dict[str, Any]:
        """The settings with the texts in force (the defaults where the facility has none)."""
        texts = {kind: self.messages.get(kind) or campaign_texts.DEFAULTS[kind] for kind in campaign_texts.EDITABLE}
        return {**self.as_dict(), "messages": texts, "customised": sorted(self.messages)}


def sample_link() -> str:
    """A patient link as long as the deployment's (its base URL and an 18-character token)."""
    return f"{deployment().public_base_url}/r/{'x' * 18}"


def changed(current: CampaignSettings, payload: object) -> CampaignSettings:
    """`current` with what the payload gives; a text set to null returns to the default."""
    if not isinstance(payload, dict):
        raise InvalidInput("request body must be a JSON object")
    validation.reject_unknown(payload, FIELDS)
    rate = validation.whole_number(payload.get("rate_per_minute"), "rate_per_minute", 1, MAX_RATE_PER_MINUTE)
    messages = dict(current.messages)
    given = payload.get("messages", {})
    if not isinstance(given, dict):
        raise InvalidInput("messages must be an object: kind → text", field="messages")
    for kind, text in given.items():
        if text is None:
            messages.pop(kind, None)
        else:
            messages[kind] = campaign_texts.check(kind, text, sample_link())
    nudge = payload.get("rebook_nudge", {})
    if not isinstance(nudge, dict):
        raise InvalidInput("rebook_nudge must be an object", field="rebook_nudge")
    validation.reject_unknown(nudge, NUDGE_FIELDS, prefix="rebook_nudge.")
    enabled = current.nudge_enabled if "enabled" not in nudge else validation.flag(nudge["enabled"],
                                                                                  "rebook_nudge.enabled")
    days = validation.whole_number(nudge.get("days"), "rebook_nudge.days", 1, 60)
    return CampaignSettings(rate_per_minute=rate or current.rate_per_minute, messages=messages,
                            nudge_enabled=enabled, nudge_days=days or current.nudge_days)


def get(facility_id: str) -> CampaignSettings:
    return CampaignSettings.of(Facility.get(facility_id))


def save(facility_id: str, updated: CampaignSettings) -> CampaignSettings:
    Facility(facility_id).update(actions=[Facility.campaign_settings.set(updated.as_dict())],
                                 condition=Facility.facility_id.exists())
    return updated


def provider_rate_per_second() -> int:
    """The SMS provider account's rate, shared by all facilities (CampaignProviderRatePerSecond)."""
    return int(os.environ.get("CAMPAIGN_PROVIDER_RATE") or DEFAULT_PROVIDER_RATE)
