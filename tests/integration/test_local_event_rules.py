"""The local runner delivers the template's EventBridge rules to their functions (moto fires none):
the rule's own pattern on its own bus, Lambda's retries, then the on-failure queue the template
names. Read from template.yaml, not declared again."""
from __future__ import annotations

import json
import time

from odwolaj_local.eventrules import RuleDelivery, rule_targets
from odwolaj_local.template import application


def test_the_template_s_rules_are_found_with_their_pattern_bus_retries_and_failure_queue():
    targets = {t.function: t for t in rule_targets(application())}
    stats = targets["StatsConsumerFunction"]
    assert (stats.bus, stats.pattern, stats.retries, stats.on_failure_queue) == \
        ("EventBus", {"source": ["odwolaj"]}, 2, "StatsConsumerFailedQueue")
    assert targets["SmsDeliveryEventsFunction"].bus is None  # the default bus


def put(aws, detail_type: str, source: str = "odwolaj") -> None:
    aws.client("events").put_events(Entries=[{"Source": source, "DetailType": detail_type, "Detail": json.dumps(
        {"event_id": detail_type}), "EventBusName": aws.physical_names()["EventBus"]}])


def drain(delivery: RuleDelivery, until, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not until() and time.monotonic() < deadline:
        delivery.poll_once()


def test_matching_events_reach_the_function_as_eventbridge_delivers_them(aws):
    [target] = [t for t in rule_targets(application()) if t.function == "StatsConsumerFunction"]
    received = []
    delivery = RuleDelivery(target, aws, lambda function, event: received.append((function, event)))
    put(aws, "AppointmentBooked")
    put(aws, "Other", source="someone.else")  # the rule's pattern keeps it out
    drain(delivery, lambda: received)
    [(function, event)] = received
    assert function == "StatsConsumerFunction"
    assert (event["source"], event["detail-type"], event["detail"]) == ("odwolaj", "AppointmentBooked",
                                                                        {"event_id": "AppointmentBooked"})


def test_a_failing_function_is_retried_then_the_event_goes_to_the_failure_queue(aws):
    [target] = [t for t in rule_targets(application()) if t.function == "StatsConsumerFunction"]
    calls = []

    def failing(function, event):
        calls.append(event["detail-type"])
        raise RuntimeError("throttled")

    delivery = RuleDelivery(target, aws, failing)
    put(aws, "AppointmentCancelled")
    drain(delivery, lambda: len(calls) >= 3)
    assert calls == ["AppointmentCancelled"] * 3  # the first try and Lambda's 2 retries
    sqs = aws.client("sqs")
    queue = sqs.get_queue_url(QueueName=aws.physical_names()["StatsConsumerFailedQueue.QueueName"])["QueueUrl"]
    [message] = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestPayload"]["detail-type"] == "AppointmentCancelled"
