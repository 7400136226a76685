"""Publishing outbox items to the EventBridge bus (the dispatcher function's domain side)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Protocol

from odwolaj import events
from odwolaj.config import settings


@dataclass(frozen=True)
class PendingEvent:
    outbox_id: str
    detail_type: str
    detail: str


class EventBus(Protocol):
    def put(self, entry: dict) -> bool:
        """Publish one entry; False when the bus refused it."""


class EventBridgeBus:
    def __init__(self, client=None):
        self._client = client

    @property
    def client(self):
        if self._client is None:
            import boto3

            self._client = boto3.client("events")
        return self._client

    def put(self, entry: dict) -> bool:
        return not self.client.put_events(Entries=[entry])["Entries"][0].get("ErrorCode")


def publish(item: PendingEvent, bus: EventBus) -> bool:
    """Publish one outbox event; False when the bus refused it, so the stream retries that record
    alone. Subscribers deduplicate on detail.event_id."""
    cfg = settings()
    return bus.put({
        "Source": cfg.event_source,
        "DetailType": item.detail_type,
        "Detail": item.detail,
        "EventBusName": cfg.event_bus_name,
    })


@dataclass(frozen=True)
class Datapoint:
    name: str
    unit: str  # a Powertools MetricUnit name
    value: float
    channel: str | None = None  # the one dimension: how the patient (or clinic) acted


def metrics_for(detail_type: str, detail: str) -> list[Datapoint]:
    """Business metrics derived from the events as they pass: every channel's change is counted
    once, here, rather than in each channel's handler."""
    data = json.loads(detail).get("data", {})
    channel = data.get("channel")
    if detail_type == events.APPOINTMENT_CANCELLED:
        return [Datapoint("Cancellations", "Count", 1, channel),
                Datapoint("CancellationLeadTimeHours", "Count", round(data["lead_time_minutes"] / 60, 1), channel)]
    if detail_type == events.APPOINTMENT_CONFIRMED:
        return [Datapoint("Confirmations", "Count", 1, channel)]
    if detail_type == events.PATIENT_OPTED_OUT:
        return [Datapoint("OptOuts", "Count", 1, channel)]
    if detail_type == events.APPOINTMENT_NO_SHOW:
        return [Datapoint("NoShows", "Count", 1)]
    return []
