"""EventBridge rules that target functions, delivered as EventBridge delivers them.

moto matches events against a rule's pattern and delivers to SQS targets, but fires no rule at a
Lambda function (it cannot run one). So for each `EventBridgeRule` event source in template.yaml
the runner puts the same rule, with the same pattern on the same bus, in moto with a queue of its
own as the target, and drains that queue into the function: an asynchronous invocation with
Lambda's retries (the function's EventInvokeConfig MaximumRetryAttempts, 2 by default) and, after
the last, the record Lambda sends to an SQS on-failure destination when the template names one.
"""
from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Callable

from odwolaj_local.polling import Polling, log
from odwolaj_local.template import Application

LAMBDA_ASYNC_RETRIES = 2  # Lambda's default for asynchronous invocations
RETRY_DELAY_SECONDS = 0.2


@dataclass(frozen=True)
class RuleTarget:
    name: str  # <function><event>, as SAM names the rule
    function: str
    bus: str | None  # logical id of the bus; None: the default bus
    pattern: dict
    retries: int
    on_failure_queue: str | None  # logical id of an AWS::SQS::Queue


def rule_targets(app: Application) -> list[RuleTarget]:
    found = []
    for function, resource in app.source["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        invoke = resource["Properties"].get("EventInvokeConfig") or {}
        failure = (invoke.get("DestinationConfig") or {}).get("OnFailure") or {}
        queue = failure.get("Destination", {}).get("Fn::GetAtt", [None])[0] if failure.get("Type") == "SQS" else None
        for event_name, event in resource["Properties"].get("Events", {}).items():
            if event["Type"] != "EventBridgeRule":
                continue
            props = event["Properties"]
            bus = props.get("EventBusName")
            found.append(RuleTarget(f"{function}{event_name}", function, bus["Ref"] if isinstance(bus, dict) else bus,
                                    props["Pattern"], int(invoke.get("MaximumRetryAttempts", LAMBDA_ASYNC_RETRIES)),
                                    queue))
    return found


class RuleDelivery(Polling):
    """One rule: its queue in moto, drained into its function."""

    def __init__(self, target: RuleTarget, aws, invoke: Callable[[str, dict], object]):
        super().__init__(f"rule {target.name}", 0.05)
        names = aws.physical_names()
        self.target, self.invoke = target, invoke
        self.sqs, events = aws.client("sqs"), aws.client("events")
        self.queue_url = self.sqs.create_queue(QueueName=f"odwolaj-local-rule-{target.name}")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url,
                                                  AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        bus = names[target.bus] if target.bus else "default"
        events.put_rule(Name=target.name, EventBusName=bus, EventPattern=json.dumps(target.pattern))
        events.put_targets(Rule=target.name, EventBusName=bus, Targets=[{"Id": "local", "Arn": queue_arn}])
        self.failure_queue_url = None
        if target.on_failure_queue:
            failure_queue = names[f"{target.on_failure_queue}.QueueName"]
            self.failure_queue_url = self.sqs.create_queue(QueueName=failure_queue)["QueueUrl"]

    def poll_once(self) -> None:
        while not self.stopping.is_set():
            messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                                WaitTimeSeconds=1).get("Messages", [])
            if not messages:
                return
            for message in messages:
                self._deliver(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def _deliver(self, event: dict) -> None:
        for attempt in range(self.target.retries + 1):
            try:
                self.invoke(self.target.function, event)
                return
            except Exception as error:  # as Lambda: retried, then the on-failure destination
                log.warning("%s failed on %s (attempt %d): %s", self.target.function, event.get("detail-type"),
                            attempt + 1, type(error).__name__)
                last = error
                if self.stopping.wait(RETRY_DELAY_SECONDS * 2 ** attempt):
                    return
        if self.failure_queue_url:
            self.sqs.send_message(QueueUrl=self.failure_queue_url, MessageBody=json.dumps(_failure_record(
                self.target.function, event, self.target.retries, type(last).__name__)))


def _failure_record(function: str, event: dict, retries: int, error: str) -> dict:
    """What Lambda sends to an on-failure destination for an asynchronous invocation."""
    return {
        "version": "1.0",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
        "requestContext": {"requestId": str(uuid.uuid4()), "condition": "RetriesExhausted",
                           "approximateInvokeCount": retries + 1,
                           "functionArn": f"arn:aws:lambda:eu-central-1:123456789012:function:{function}:$LATEST"},
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": {"errorType": error},
    }


def start(aws, app: Application, invoke: Callable[[str, dict], object]) -> list[RuleDelivery]:
    """The template's rules, each delivering to its function (threads not started)."""
    return [RuleDelivery(target, aws, invoke) for target in rule_targets(app)]
