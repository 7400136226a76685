"""Given-state helpers for the statistics tests: the events the domain wrote to the outbox,
delivered to the statistics consumer as EventBridge would deliver them."""
from __future__ import annotations

import json
import uuid

from odwolaj.data.models import OutboxItem
from odwolaj_local.lambdas import FakeLambdaContext, load_handler


def bus_event(item: OutboxItem) -> dict:
    """An outbox event as EventBridge hands it to a rule's target."""
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": item.detail_type, "source": "odwolaj",
            "account": "123456789012", "time": item.created_at, "region": "eu-central-1", "resources": [],
            "detail": json.loads(item.detail)}


def outbox_events() -> list[dict]:
    """Every event in the outbox, oldest first (a test reads the whole table; the app never does)."""
    found = [item for item in OutboxItem.scan() if item.kind == "event"]
    return [bus_event(item) for item in sorted(found, key=lambda i: (i.created_at, i.outbox_id))]


def deliver(events: list[dict]) -> list[dict]:
    """Invoke the statistics consumer with each event; what it answered."""
    handler = load_handler("StatsConsumerFunction")
    return [handler(event, FakeLambdaContext("StatsConsumerFunction")) for event in events]


class Delivered:
    """Delivers the outbox's new events each time it is called (each event once)."""

    def __init__(self):
        self.seen: set[str] = set()

    def __call__(self) -> list[dict]:
        new = [e for e in outbox_events() if e["detail"]["event_id"] not in self.seen]
        self.seen |= {e["detail"]["event_id"] for e in new}
        return deliver(new)
