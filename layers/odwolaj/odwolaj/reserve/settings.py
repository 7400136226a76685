"""A facility's offer strategy, stored on the facility (`Facility.offer_strategy`)."""
from __future__ import annotations

from typing import Any

from odwolaj.data.models import Facility
from odwolaj.reserve.strategy import Strategy
from odwolaj.security.facilities import get_facility


def strategy_of(facility: Facility) -> Strategy:
    return Strategy.of(facility.offer_strategy.as_dict() if facility.offer_strategy else None)


def get_strategy(facility_id: str) -> Strategy:
    return strategy_of(get_facility(facility_id))


def save_strategy(facility_id: str, payload: dict[str, Any]) -> Strategy:
    """Replace the facility's strategy (fields left out take the defaults)."""
    strategy = Strategy.from_payload(payload)
    Facility(facility_id).update(actions=[Facility.offer_strategy.set(strategy.as_dict())],
                                 condition=Facility.facility_id.exists())
    return strategy
