"""Amazon EventBridge: one entry put on the bus."""
from __future__ import annotations

from typing import Any

from odwolaj.adapters.aws import client


class EventBridgeBus:
    def __init__(self, events_client: Any = None):
        self._client = events_client

    def put(self, entry: dict[str, str]) -> bool:
        """Publish one entry; False when the bus refused it."""
        events = self._client or client("events")
        return not events.put_events(Entries=[entry])["Entries"][0].get("ErrorCode")
