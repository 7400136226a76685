"""Publishing outbox items to the event bus (the dispatcher function's domain side; the bus itself:
odwolaj.adapters.event_bus), and the business metrics the events carry."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Protocol

from odwolaj.core.config import settings
from odwolaj.data import events


@dataclass(frozen=True)
class PendingEvent:
    outbox_id: str
    detail_type: str
    detail: str


class EventBus(Protocol):
    def put(self, entry: dict) -> bool:
        """Publish one entry; False when the bus refused it."""


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
    dimensions: tuple[tuple[str, str], ...] = ()  # reserve list: the offer wave, the local hour


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
    return _reserve_metrics(detail_type, data)


def _reserve_metrics(detail_type: str, data: dict) -> list[Datapoint]:
    """Slots freed, offered, filled, unfilled; time to fill; offers per fill; answers per wave,
    channel and hour (acceptance rate = OffersAccepted / OffersSent on the same dimensions)."""
    wave = (("wave", str(min(int(data.get("wave", 0)), 5))),)  # waves beyond the fifth are one bucket
    if detail_type == events.SLOT_FREED:
        return [Datapoint("SlotsFreed", "Count", 1)]
    if detail_type == events.SLOT_OFFERED:
        return [Datapoint("OffersSent", "Count", 1, dimensions=wave),
                Datapoint("OffersSentByHour", "Count", 1, dimensions=(("hour", str(data["local_hour"])),))]
    if detail_type == events.OFFER_CLAIMED:
        return [Datapoint("OffersAccepted", "Count", 1, data.get("channel"), dimensions=wave)]
    if detail_type == events.OFFER_DECLINED:
        return [Datapoint("OffersDeclined", "Count", 1, data.get("channel"), dimensions=wave)]
    if detail_type == events.OFFER_EXPIRED:
        return [Datapoint("OffersExpired", "Count", 1, dimensions=wave)]
    if detail_type == events.SLOT_FILLED:
        return [Datapoint("SlotsFilled", "Count", 1, data.get("channel")),
                Datapoint("MinutesFromFreeingToFilling", "Count", data["minutes_to_fill"]),
                Datapoint("OffersPerFill", "Count", data["offers_made"])]
    if detail_type == events.SLOT_UNFILLED:
        return [Datapoint("SlotsUnfilled", "Count", 1, dimensions=(("reason", data["reason"]),))]
    if detail_type == events.WAITING_LIST_STRUCK_OFF:
        return [Datapoint("WaitingListStruckOff", "Count", 1, dimensions=(("reason", data["reason"]),))]
    return []
