"""Business metrics derived from the events the dispatcher publishes."""
import json

from odwolaj import events
from odwolaj.dispatch import Datapoint, metrics_for


def detail(**data) -> str:
    return json.dumps({"schema_version": 1, "data": data})


def test_a_cancellation_counts_by_channel_with_its_lead_time():
    points = metrics_for(events.APPOINTMENT_CANCELLED, detail(channel="sms", lead_time_minutes=1530))
    assert points == [Datapoint("Cancellations", "Count", 1, "sms"),
                      Datapoint("CancellationLeadTimeHours", "Count", 25.5, "sms")]


def test_confirmations_and_opt_outs_count_by_channel():
    assert metrics_for(events.APPOINTMENT_CONFIRMED, detail(channel="web")) == [Datapoint("Confirmations", "Count", 1, "web")]
    assert metrics_for(events.PATIENT_OPTED_OUT, detail(channel="sms")) == [Datapoint("OptOuts", "Count", 1, "sms")]


def test_other_events_make_no_metric():
    assert metrics_for(events.APPOINTMENT_BOOKED, detail(channel="clinic_api")) == []
