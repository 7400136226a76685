"""SQS queues and S3 notifications as Lambda event sources, read from template.yaml.

The template's queues are created in moto (with their redrive policies); `Ref` of a queue is its
URL, as in CloudFormation. The runner then delivers, the way Lambda's pollers would:
- `SQS` events: the queue's messages in batches of the source's BatchSize, as SQS events; messages
  of a failed batch (or the records a function reports in batchItemFailures) become visible again
  after a short local back-off and count a receive, so the redrive policy moves them on;
- `S3` events: moto sends the bucket's notifications (the template's event types and key filters)
  to a queue the runner owns, and each S3 event goes to the function;
- `EventBridgeRule` events: the runner's are eventrules.py's (with Lambda's retries and on-failure
  queues); the tests' manual pollers may take them here, a rule targeting a queue of their own.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

from odwolaj_local.polling import Polling, log
from odwolaj_local.template import Application, resolve

ACCOUNT = "123456789012"
REGION = "eu-central-1"
POLL_SECONDS = 0.2
LOCAL_RETRY_SECONDS = 2  # a failed message is visible again this soon (Lambda: the queue's timeout)


def queue_arn(name: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def name_queues(names: dict[str, str], app: Application, endpoint: str) -> None:
    """`Ref` of a queue is its URL; `GetAtt …Arn` and `…QueueName` as CloudFormation gives them."""
    for logical_id, resource in app.resources("AWS::SQS::Queue").items():
        given = resource.get("Properties", {}).get("QueueName")  # a named queue keeps its name
        name = str(resolve(given, names)) if given else f"odwolaj-{names['Stage']}-{logical_id}"
        names[logical_id] = f"{endpoint}/{ACCOUNT}/{name}"
        names[f"{logical_id}.Arn"] = queue_arn(name)
        names[f"{logical_id}.QueueName"] = name


def create_queues(aws) -> None:
    """The template's queues, dead-letter queues first (a redrive policy names one)."""
    names = aws.physical_names()
    sqs = aws.client("sqs")
    queues = aws.app.resources("AWS::SQS::Queue")
    ordered = sorted(queues, key=lambda q: "RedrivePolicy" in queues[q].get("Properties", {}))
    for logical_id in ordered:
        props = queues[logical_id].get("Properties", {})
        attributes = {"VisibilityTimeout": str(props.get("VisibilityTimeout", 30))}
        redrive = props.get("RedrivePolicy")
        if redrive:
            target = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
            attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": names[f"{target}.Arn"],
                                                      "maxReceiveCount": int(redrive.get("maxReceiveCount", 5))})
        sqs.create_queue(QueueName=names[f"{logical_id}.QueueName"], Attributes=attributes)


@dataclass(frozen=True)
class Source:
    function: str
    queue_url: str
    batch_size: int
    shape: str  # "sqs": Lambda's SQS event; "body": the message body is the event (S3, EventBridge)
    label: str


def _events(app: Application, event_type: str):
    for logical_id, resource in app.source["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            for event in resource["Properties"].get("Events", {}).values():
                if event["Type"] == event_type:
                    yield logical_id, event["Properties"]


def sources(aws, *, rules: bool = False) -> list[Source]:
    """Every SQS and S3 source of the template, wired in moto; with `rules`, its EventBridgeRule
    sources too, each drained like a queue (the tests' manual pollers: the runner delivers rules
    with Lambda's retries and failure queues, eventrules.py)."""
    names, app = aws.physical_names(), aws.app
    found = []
    for function, props in _events(app, "SQS"):
        queue = props["Queue"]["Fn::GetAtt"][0]
        found.append(Source(function, names[queue], min(int(props.get("BatchSize", 10)), 10), "sqs", f"sqs {queue}"))
    notifications: dict[str, list[dict]] = {}
    for function, props in _events(app, "S3"):
        bucket = props["Bucket"]["Ref"]
        name = f"odwolaj-local-s3-{function}"[:80]
        url = aws.client("sqs").create_queue(QueueName=name)["QueueUrl"]
        events = props["Events"] if isinstance(props["Events"], list) else [props["Events"]]
        config = {"QueueArn": queue_arn(name), "Events": events}
        if "Filter" in props:
            config["Filter"] = {"Key": {"FilterRules": props["Filter"]["S3Key"]["Rules"]}}
        notifications.setdefault(names[bucket], []).append(config)
        found.append(Source(function, url, 1, "body", f"s3 {bucket}"))
    for bucket, configs in notifications.items():
        aws.client("s3").put_bucket_notification_configuration(
            Bucket=bucket, NotificationConfiguration={"QueueConfigurations": configs})
    for index, (function, props) in enumerate(_events(app, "EventBridgeRule") if rules else ()):
        bus = names[props["EventBusName"]["Ref"]] if "EventBusName" in props else "default"
        name = f"odwolaj-local-rule-{function}-{index}"[:80]
        url = aws.client("sqs").create_queue(QueueName=name)["QueueUrl"]
        events = aws.client("events")
        events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(props["Pattern"]))
        events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "runner", "Arn": queue_arn(name)}])
        found.append(Source(function, url, 1, "body", f"rule {bus}"))
    return found


def sqs_record(message: dict, queue_url: str) -> dict:
    """One message as Lambda's SQS event holds it."""
    attributes = message.get("Attributes", {})
    return {"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"], "body": message["Body"],
            "attributes": {"ApproximateReceiveCount": attributes.get("ApproximateReceiveCount", "1"),
                           "SentTimestamp": attributes.get("SentTimestamp", "0"), "SenderId": ACCOUNT,
                           "ApproximateFirstReceiveTimestamp": attributes.get("ApproximateFirstReceiveTimestamp", "0")},
            "messageAttributes": {}, "md5OfBody": message.get("MD5OfBody", ""), "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn(queue_url.rsplit("/", 1)[1]), "awsRegion": REGION}


class QueuePoller(Polling):
    def __init__(self, source: Source, client, invoke: Callable[[str, dict], object]):
        super().__init__(f"{source.label} → {source.function}", POLL_SECONDS)
        self.source, self.client, self.invoke = source, client, invoke

    def poll_once(self) -> int:
        """Deliver what the queue holds now; return how many messages were handled."""
        handled = 0
        while not self.stopping.is_set():
            messages = self.client.receive_message(QueueUrl=self.source.queue_url, AttributeNames=["All"],
                                                   MaxNumberOfMessages=self.source.batch_size).get("Messages", [])
            if not messages:
                return handled
            failed = self._deliver(messages)
            done = [m for m in messages if m["MessageId"] not in failed]
            if done:
                self.client.delete_message_batch(QueueUrl=self.source.queue_url, Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])
            for message in messages:
                if message["MessageId"] in failed:
                    self.client.change_message_visibility(QueueUrl=self.source.queue_url,
                                                          ReceiptHandle=message["ReceiptHandle"],
                                                          VisibilityTimeout=LOCAL_RETRY_SECONDS)
            handled += len(messages)
        return handled

    def _deliver(self, messages: list[dict]) -> set[str]:
        """Invoke the function; the ids of the messages that failed."""
        try:
            if self.source.shape == "sqs":
                answer = self.invoke(self.source.function, {
                    "Records": [sqs_record(m, self.source.queue_url) for m in messages]}) or {}
                return {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
            failed = set()
            for message in messages:
                try:
                    self.invoke(self.source.function, json.loads(message["Body"]))
                except Exception as error:  # the message is retried after the back-off
                    log.warning("%s: %s raised %s", self.name, self.source.function, type(error).__name__,
                                exc_info=log.isEnabledFor(logging.DEBUG))
                    failed.add(message["MessageId"])
            return failed
        except Exception as error:  # the whole batch failed: Lambda retries all of it
            log.warning("%s: %s raised %s", self.name, self.source.function, type(error).__name__,
                        exc_info=log.isEnabledFor(logging.DEBUG))
            return {m["MessageId"] for m in messages}
