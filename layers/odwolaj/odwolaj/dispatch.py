"""Publishing outbox items to the EventBridge bus (the dispatcher function's domain side)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol

from odwolaj.config import settings


@dataclass(frozen=True)
class PendingEvent:
    outbox_id: str
    detail_type: str
    detail: str


class EventBus(Protocol):
    def put(self, entries: list[dict]) -> list[str]:
        """Publish; return the ids of the entries that failed."""


class EventBridgeBus:
    def __init__(self, client=None):
        self._client = client

    @property
    def client(self):
        if self._client is None:
            import boto3

            self._client = boto3.client("events")
        return self._client

    def put(self, entries: list[dict]) -> list[str]:
        response = self.client.put_events(Entries=[{k: v for k, v in e.items() if k != "Id"} for e in entries])
        return [entries[i]["Id"] for i, result in enumerate(response["Entries"]) if result.get("ErrorCode")]


def publish(pending: Iterable[PendingEvent], bus: EventBus) -> list[str]:
    """Publish events in batches of 10 (EventBridge's limit); return outbox ids that failed so the
    stream retries only those. Subscribers deduplicate on detail.event_id."""
    cfg = settings()
    failed: list[str] = []
    batch: list[dict] = []
    items = list(pending)
    for index, item in enumerate(items):
        batch.append({
            "Id": item.outbox_id,
            "Source": cfg.event_source,
            "DetailType": item.detail_type,
            "Detail": item.detail,
            "EventBusName": cfg.event_bus_name,
        })
        if len(batch) == 10 or index == len(items) - 1:
            failed += bus.put(batch)
            batch = []
    return failed
