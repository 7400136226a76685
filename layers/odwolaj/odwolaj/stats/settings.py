"""What a facility's figures are computed with (`Facility.stats_settings`): the late-cancellation
threshold in whole hours, and the value of a visit (grosze) with per-service values. Both are
applied when the figures are read, so a change applies to every period at once."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from odwolaj.core.errors import InvalidInput
from odwolaj.core.validation import reject_unknown, text, whole_number
from odwolaj.data.models import Facility

DEFAULT_LATE_HOURS = 24
MAX_LATE_HOURS = 72  # the counters keep cancellations by the hour up to 72 h (odwolaj.stats.counting)
MAX_VALUE = 10_000_000  # 100 000 zł: more is a typo
MAX_SERVICES = 100
FIELDS = ("late_cancellation_hours", "visit_value", "service_values")


@dataclass(frozen=True)
class StatsSettings:
    late_cancellation_hours: int = DEFAULT_LATE_HOURS
    visit_value: int | None = None  # grosze; None: unknown, so no value is shown
    service_values: Mapping[str, int] = field(default_factory=dict)

    def value_of(self, service: str) -> int | None:
        return self.service_values.get(service, self.visit_value)

    def to_dict(self) -> dict[str, Any]:
        return {"late_cancellation_hours": self.late_cancellation_hours, "visit_value": self.visit_value,
                "service_values": dict(self.service_values)}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> "StatsSettings":
        """Validated settings; fields left out take the defaults. InvalidInput names the field."""
        reject_unknown(payload, FIELDS)
        hours = whole_number(payload.get("late_cancellation_hours", DEFAULT_LATE_HOURS), "late_cancellation_hours",
                             1, MAX_LATE_HOURS, " of hours")
        value = whole_number(payload.get("visit_value"), "visit_value", 0, MAX_VALUE, " of grosze")
        raw = payload.get("service_values") or {}
        if not isinstance(raw, Mapping) or len(raw) > MAX_SERVICES:
            raise InvalidInput(f"service_values must be an object of at most {MAX_SERVICES} services",
                               field="service_values")
        values = {text(name, "service_values", max_len=200):
                  whole_number(amount, f"service_values.{name}", 0, MAX_VALUE, " of grosze", required=True)
                  for name, amount in raw.items()}
        return cls(int(hours if hours is not None else DEFAULT_LATE_HOURS), value, values)


def settings_of(facility: Facility) -> StatsSettings:
    stored = facility.stats_settings.as_dict() if facility.stats_settings else None
    return StatsSettings.from_payload(stored) if stored else StatsSettings()
