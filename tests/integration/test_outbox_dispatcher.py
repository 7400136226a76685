"""The outbox stream → EventBridge, with a real stream record shape and the bus in moto."""
import copy
import json

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from odwolaj_local.lambdas import FakeLambdaContext, load_handler
from tests.conftest import load_event


@pytest.fixture
def bus_queue(aws):
    """Given a rule on the bus that copies every odwolaj event to a queue we can read."""
    names = aws.physical_names()
    sqs, events = aws.client("sqs"), aws.client("events")
    url = sqs.create_queue(QueueName="bus-copy")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="copy", EventBusName=names["EventBus"], EventPattern=json.dumps({"source": ["odwolaj"]}))
    events.put_targets(Rule="copy", EventBusName=names["EventBus"], Targets=[{"Id": "q", "Arn": arn}])

    def received() -> list[dict]:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]

    return received


def dispatch(event: dict) -> dict:
    return load_handler("OutboxDispatcherFunction")(event, FakeLambdaContext("OutboxDispatcherFunction"))


def test_an_inserted_outbox_event_is_published_to_the_bus(bus_queue):
    result = dispatch(load_event("outbox_stream_insert.json"))

    assert result == {"batchItemFailures": []}
    [published] = bus_queue()
    assert published["detail-type"] == "AppointmentCancelled"
    assert published["detail"]["event_id"] == "a1b2c3d4e5f60718:cancelled"
    assert published["detail"]["data"]["reason"] == "cannot_attend"


def test_a_failed_publish_fails_the_batch_for_retry(aws, monkeypatch):
    """When EventBridge refuses every entry, the invocation fails so the stream retries the batch
    (Powertools raises when all records failed); nothing is dropped."""
    monkeypatch.setenv("EVENT_BUS_NAME", "no-such-bus")
    from odwolaj.core.config import settings

    settings.cache_clear()
    event = load_event("outbox_stream_insert.json")

    with pytest.raises(BatchProcessingError):
        dispatch(event)


def test_items_that_are_not_events_are_skipped(bus_queue):
    event = load_event("outbox_stream_insert.json")
    other = copy.deepcopy(event["Records"][0])
    other["dynamodb"]["NewImage"]["kind"] = {"S": "sms"}

    assert dispatch({"Records": [other]}) == {"batchItemFailures": []}
    assert bus_queue() == []


def test_a_published_cancellation_emits_its_metrics(bus_queue, capsys):
    dispatch(load_event("outbox_stream_insert.json"))

    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    by_name = {metric["Name"]: document for document in emitted
               for metric in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]}
    assert by_name["Cancellations"]["channel"] == "web"
    assert by_name["Cancellations"]["Cancellations"] == [1.0]
    assert by_name["CancellationLeadTimeHours"]["CancellationLeadTimeHours"] == [72.0]
