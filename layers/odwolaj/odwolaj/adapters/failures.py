"""What an asynchronous source gave up on, and its replay (`odwolaj-admin redrive`, the local
runner's /dev/failed).

Each function with an asynchronous source has a failure queue (template.yaml, `<name>FailedQueue`).
What lands there is one of three shapes:

- a stream batch (DynamoDB stream event source): Lambda's on-failure record holds the batch's
  pointers (`DDBStreamBatchInfo`: stream, shard, first and last sequence number), not the records.
  Replaying re-reads them from the stream (GetShardIterator AT_SEQUENCE_NUMBER, GetRecords up to
  the last), keeps those the event source mapping's filter lets through, and invokes the function
  with them as Lambda would. The stream keeps records 24 hours: a batch older than that cannot be
  read any more; it is reported `expired` and left on the queue (the age alarm fires at 12 hours).
- an asynchronous invocation (a schedule, SNS, SES, EventBridge): Lambda's on-failure record holds
  the event itself (`requestPayload`), which is invoked again.
- an event a schedule or a rule could not deliver at all (their dead-letter queue): the message
  body is the event.

Replays are safe to repeat: every function here applies an event once (conditional writes,
idempotency records, the send-once protocol). A message is deleted only once its replay
succeeded; whatever fails stays for the next redrive.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from odwolaj.adapters.aws import client as aws_client

STREAM, ASYNC, UNDELIVERED = "stream batch", "asynchronous invocation", "undelivered event"
READ_LIMIT = 1000  # GetRecords' largest page
QUEUE_SUFFIX, FUNCTION_SUFFIX = "FailedQueue", "Function"  # template.yaml: <X>FailedQueue ↔ <X>Function
LAMBDA_LONGEST_SECONDS = 900  # Lambda's largest timeout


@dataclass(frozen=True)
class Failed:
    """One message of a failure queue, as found."""

    queue_url: str
    message_id: str
    receipt_handle: str
    shape: str  # STREAM, ASYNC or UNDELIVERED
    body: dict[str, Any]
    received: int  # how many times it was received (by redrives and looks)

    @property
    def summary(self) -> str:
        if self.shape == STREAM:
            info = self.body["DDBStreamBatchInfo"]
            return (f"{info.get('batchSize')} record(s) of shard {info['shardId']}, sequence "
                    f"{info['startSequenceNumber']}..{info['endSequenceNumber']}")
        condition = self.body.get("requestContext", {}).get("condition", "")
        return f"{self.shape}{': ' + condition if condition else ''}"


@dataclass
class Outcome:
    replayed: int = 0  # messages whose replay succeeded (and were deleted)
    failed: int = 0  # replayed but the function failed again: left on the queue
    expired: int = 0  # stream records past the stream's retention: left on the queue
    problems: list[str] = field(default_factory=list)  # message id: what went wrong (no record content)


def shape_of(body: dict[str, Any]) -> str:
    if "DDBStreamBatchInfo" in body:
        return STREAM
    if "requestPayload" in body and "requestContext" in body:
        return ASYNC
    return UNDELIVERED


def look(sqs: Any, queue_url: str, limit: int = 100) -> list[Failed]:
    """The messages on a failure queue, without taking them (they stay visible)."""
    return _receive(sqs, queue_url, limit, visibility=0)


def _receive(sqs: Any, queue_url: str, limit: int, visibility: int) -> list[Failed]:
    found: dict[str, Failed] = {}
    while len(found) < limit:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=min(10, limit - len(found)),
                                       VisibilityTimeout=visibility, AttributeNames=["ApproximateReceiveCount"],
                                       WaitTimeSeconds=0).get("Messages", [])
        fresh = [m for m in messages if m["MessageId"] not in found]
        if not fresh:
            break
        for message in fresh:
            body = json.loads(message["Body"])
            found[message["MessageId"]] = Failed(queue_url, message["MessageId"], message["ReceiptHandle"],
                                                 shape_of(body), body,
                                                 int(message.get("Attributes", {}).get("ApproximateReceiveCount", 1)))
    return list(found.values())


def stream_records(streams: Any, info: dict[str, Any]) -> list[dict[str, Any]]:
    """The records a stream failure record points at, as Lambda hands them to a function.
    Raises the stream's TrimmedDataAccessException (or ExpiredIteratorException) once they are gone."""
    iterator = streams.get_shard_iterator(StreamArn=info["streamArn"], ShardId=info["shardId"],
                                          ShardIteratorType="AT_SEQUENCE_NUMBER",
                                          SequenceNumber=info["startSequenceNumber"])["ShardIterator"]
    last = int(info["endSequenceNumber"])
    found: list[dict[str, Any]] = []
    while iterator:
        page = streams.get_records(ShardIterator=iterator, Limit=READ_LIMIT)
        for record in page["Records"]:
            if int(record["dynamodb"]["SequenceNumber"]) > last:
                return found
            found.append(lambda_record(record, info["streamArn"]))
        if not page["Records"]:
            return found
        iterator = page.get("NextShardIterator")
    return found


def events_to_replay(failed: Failed, streams: Any, filters: Iterable[dict[str, Any]],
                     batch_size: int) -> list[dict[str, Any]]:
    """The function events that replay one failure message."""
    if failed.shape == STREAM:
        records = [r for r in stream_records(streams, failed.body["DDBStreamBatchInfo"]) if passes(filters, r)]
        return [{"Records": records[start:start + batch_size]} for start in range(0, len(records), batch_size)]
    if failed.shape == ASYNC:
        return [failed.body["requestPayload"]]
    return [failed.body]


def redrive(sqs: Any, queue_url: str, streams: Any, invoke: Callable[[dict[str, Any]], None], *,
            filters: Iterable[dict[str, Any]] = (), batch_size: int = 100, limit: int = 1000) -> Outcome:
    """Replay every message of a failure queue through `invoke(event)` (which raises when the
    function fails, or reports failed records); delete each one whose replay succeeded."""
    outcome = Outcome()
    filters = list(filters)
    for failed in _receive(sqs, queue_url, limit, visibility=60):
        try:
            events = events_to_replay(failed, streams, filters, batch_size)
        except Exception as error:  # the stream no longer holds the records (or cannot be read now)
            if type(error).__name__ in ("TrimmedDataAccessException", "ExpiredIteratorException",
                                        "ResourceNotFoundException"):
                outcome.expired += 1
            else:
                outcome.failed += 1
            outcome.problems.append(f"{failed.message_id}: {type(error).__name__}")
            sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=failed.receipt_handle,
                                          VisibilityTimeout=0)
            continue
        try:
            for event in events:
                invoke(event)
        except Exception as error:
            outcome.failed += 1
            outcome.problems.append(f"{failed.message_id}: the function failed again ({type(error).__name__})")
            sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=failed.receipt_handle,
                                          VisibilityTimeout=0)
            continue
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=failed.receipt_handle)
        outcome.replayed += 1
    return outcome


# ---------------------------------------------------------------------------------------------
# A deployed stack: its failure queues, their functions and the functions' stream filters.


@dataclass(frozen=True)
class FailureQueue:
    url: str
    function: str  # logical id
    function_name: str  # physical name
    filters: tuple[dict[str, Any], ...] = ()
    batch_size: int = 100


def stack_failure_queues(stack: str) -> list[FailureQueue]:
    """The failure queues of a deployed stack, each with its function (template.yaml names them
    `<X>FailedQueue` and `<X>Function`) and, for a stream source, the event source mapping's
    filters and batch size: a replay delivers what Lambda would have."""
    pages = aws_client("cloudformation").get_paginator("list_stack_resources").paginate(StackName=stack)
    by_logical_id = {r["LogicalResourceId"]: r for page in pages for r in page["StackResourceSummaries"]}
    found = []
    for logical_id, resource in sorted(by_logical_id.items()):
        if resource["ResourceType"] != "AWS::SQS::Queue" or not logical_id.endswith(QUEUE_SUFFIX):
            continue
        function = logical_id.removesuffix(QUEUE_SUFFIX) + FUNCTION_SUFFIX
        name = by_logical_id[function]["PhysicalResourceId"]
        mappings = aws_client("lambda").list_event_source_mappings(FunctionName=name)["EventSourceMappings"]
        stream: dict[str, Any] = next((m for m in mappings if ":dynamodb:" in m.get("EventSourceArn", "")), {})
        filters = tuple(json.loads(f["Pattern"]) for f in stream.get("FilterCriteria", {}).get("Filters", []))
        found.append(FailureQueue(resource["PhysicalResourceId"], function, name, filters,
                                  int(stream.get("BatchSize", 100))))
    return found


def replay_invoker() -> Any:
    """Lambda for synchronous replays: waits as long as any function may run and never retries
    on its own (a read timeout retried would run the function again while the first still runs)."""
    import boto3
    from botocore.config import Config

    return boto3.client("lambda", config=Config(read_timeout=LAMBDA_LONGEST_SECONDS + 10,
                                                retries={"total_max_attempts": 1}))


def redrive_queue(queue: FailureQueue) -> Outcome:
    """Replay a deployed failure queue: each event invoked synchronously on its function."""
    lambdas = replay_invoker()

    def invoke(event: dict[str, Any]) -> None:
        answer = lambdas.invoke(FunctionName=queue.function_name, InvocationType="RequestResponse",
                                Payload=json.dumps(event).encode())
        payload = json.loads(answer["Payload"].read() or b"null")
        if answer.get("FunctionError"):
            raise ReplayFailed(f"{answer['FunctionError']}: {(payload or {}).get('errorType')}")
        checked(payload)

    return redrive(aws_client("sqs"), queue.url, aws_client("dynamodbstreams"), invoke,
                   filters=queue.filters, batch_size=queue.batch_size)


class ReplayFailed(Exception):
    """The function failed on a replayed event, or reported records of it failed."""


def checked(result: Any) -> None:
    """Raise ReplayFailed when a function's answer reports failed records (partial batch response)."""
    if isinstance(result, dict) and result.get("batchItemFailures"):
        raise ReplayFailed(f"{len(result['batchItemFailures'])} record(s) failed again")


# ---------------------------------------------------------------------------------------------
# Stream records as Lambda delivers them, and its event filters (the subset the template uses).


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A stream record as Lambda hands it to the function (boto3 gives datetimes; Lambda epochs)."""
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if created is not None and hasattr(created, "timestamp"):
        dynamodb["ApproximateCreationDateTime"] = int(created.timestamp())
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", "eu-central-1"),
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }


def passes(patterns: Iterable[dict[str, Any]], record: dict[str, Any]) -> bool:
    """Whether an event source mapping with these filter patterns delivers the record (none: all)."""
    patterns = list(patterns)
    return not patterns or any(pattern_matches(p, record) for p in patterns)


def pattern_matches(pattern: dict[str, Any], value: object) -> bool:
    """EventBridge-style content filtering, the subset Lambda event filters use here: nested
    objects, lists of exact values, and {"prefix": ...} / {"exists": ...}."""
    if not isinstance(value, dict):
        return False
    for key, expected in pattern.items():
        present = key in value
        if isinstance(expected, dict):
            if not (present and pattern_matches(expected, value[key])):
                return False
            continue
        if not any(_allowed(rule, present, value.get(key)) for rule in expected):
            return False
    return True


def _allowed(rule: object, present: bool, actual: object) -> bool:
    if isinstance(rule, dict):
        if "exists" in rule:
            return present == bool(rule["exists"])
        if "prefix" in rule:
            return present and isinstance(actual, str) and actual.startswith(rule["prefix"])
        raise ValueError(f"filter rule {rule!r} is not supported")
    return present and actual == rule
