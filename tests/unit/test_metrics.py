"""Business metrics derived from the events the dispatcher publishes."""
import json

from odwolaj.data import events
from odwolaj.messaging.dispatch import Datapoint, metrics_for


def detail(**data) -> str:
    return json.dumps({"schema_version": 1, "data": data})


def test_a_cancellation_counts_by_channel_with_its_lead_time():
    points = metrics_for(events.APPOINTMENT_CANCELLED, detail(channel="sms", lead_time_minutes=1530))
    assert points == [Datapoint("Cancellations", "Count", 1, "sms"),
                      Datapoint("CancellationLeadTimeHours", "Count", 25.5, "sms")]


def test_confirmations_and_opt_outs_count_by_channel():
    assert metrics_for(events.APPOINTMENT_CONFIRMED, detail(channel="web")) == [
        Datapoint("Confirmations", "Count", 1, "web")]
    assert metrics_for(events.PATIENT_OPTED_OUT, detail(channel="sms")) == [Datapoint("OptOuts", "Count", 1, "sms")]


def test_other_events_make_no_metric():
    assert metrics_for(events.APPOINTMENT_BOOKED, detail(channel="clinic_api")) == []


def test_reserve_list_offers_and_answers_count_per_wave_channel_and_hour():
    sent = metrics_for(events.SLOT_OFFERED, detail(wave=2, local_hour=9))
    assert sent == [Datapoint("OffersSent", "Count", 1, dimensions=(("wave", "2"),)),
                    Datapoint("OffersSentByHour", "Count", 1, dimensions=(("hour", "9"),))]
    assert metrics_for(events.OFFER_CLAIMED, detail(wave=9, channel="sms")) == [
        Datapoint("OffersAccepted", "Count", 1, "sms", dimensions=(("wave", "5"),))]


def test_a_filled_slot_reports_time_to_fill_and_offers_per_fill_and_an_unfilled_one_its_reason():
    filled = metrics_for(events.SLOT_FILLED, detail(channel="web", minutes_to_fill=12.5, offers_made=7))
    assert [(p.name, p.value) for p in filled] == [("SlotsFilled", 1), ("MinutesFromFreeingToFilling", 12.5),
                                                   ("OffersPerFill", 7)]
    assert metrics_for(events.SLOT_UNFILLED, detail(reason="too_close")) == [
        Datapoint("SlotsUnfilled", "Count", 1, dimensions=(("reason", "too_close"),))]
