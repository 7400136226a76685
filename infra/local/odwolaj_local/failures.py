"""What fails locally is kept as on AWS: a stream batch given up after MaximumRetryAttempts, or an
asynchronous invocation (a schedule, an inbound SMS) failed after its EventInvokeConfig retries,
goes to the function's failure queue from template.yaml (created in moto), in the shape Lambda's
on-failure destination gives it. /dev/failed lists them and redrives them through
odwolaj.adapters.failures, the code `odwolaj-admin redrive` runs against AWS."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from odwolaj.adapters import failures
from odwolaj_local.aws import LocalAws
from odwolaj_local.polling import log
from odwolaj_local.template import Application, StreamSource

ARN = "arn:aws:lambda:eu-central-1:123456789012:function:{}"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _context(function: str, condition: str, attempts: int) -> dict:
    return {"requestId": str(uuid.uuid4()), "functionArn": ARN.format(function), "condition": condition,
            "approximateInvokeCount": attempts}


@dataclass(frozen=True)
class Listed:
    queue: str  # logical id
    function: str
    failed: failures.Failed


class FailureKeeper:
    def __init__(self, aws: LocalAws, app: Application, invoke: Callable[[str, dict], object]):
        self.app = app
        self.invoke = invoke
        self.sqs = aws.client("sqs")
        self.streams = aws.client("dynamodbstreams")
        self.urls = {queue: self.sqs.get_queue_url(QueueName=aws.queue_name(queue))["QueueUrl"]
                     for queue in app.failure_queues}

    # -- keeping -------------------------------------------------------------------------------
    def stream_failed(self, source: StreamSource, shard_id: str, batch: list[dict], attempts: int) -> None:
        """Lambda's on-failure record for a stream batch: where it is, not what it is."""
        if not source.failure_queue:
            log.warning("stream %s: %d record(s) dropped (no on-failure destination)", source.function, len(batch))
            return
        first, last = batch[0]["dynamodb"], batch[-1]["dynamodb"]
        record = {
            "requestContext": _context(source.function, "RetryAttemptsExhausted", attempts),
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "version": "1.0", "timestamp": _now(),
            "DDBStreamBatchInfo": {
                "shardId": shard_id, "startSequenceNumber": first["SequenceNumber"],
                "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": first.get("ApproximateCreationDateTime"),
                "approximateArrivalOfLastRecord": last.get("ApproximateCreationDateTime"),
                "batchSize": len(batch), "streamArn": batch[0]["eventSourceARN"],
            },
        }
        self._keep(source.failure_queue, record)

    def invoke_async(self, function: str, event: dict) -> object:
        """An asynchronous invocation: retried as EventInvokeConfig says, then kept. Returns the
        function's answer; re-raises its last error once kept."""
        spec = self.app.functions[function]
        for attempt in range(1, spec.async_retries + 2):
            try:
                return self.invoke(function, event)
            except Exception as error:
                if attempt <= spec.async_retries:
                    continue
                if spec.failure_queue:
                    self._keep(spec.failure_queue, {
                        "version": "1.0", "timestamp": _now(),
                        "requestContext": _context(function, "RetriesExhausted", attempt),
                        "requestPayload": event,
                        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                                            "functionError": "Unhandled"},
                        "responsePayload": {"errorType": type(error).__name__},
                    })
                raise
        raise AssertionError("unreachable")

    def _keep(self, queue: str, record: dict) -> None:
        self.sqs.send_message(QueueUrl=self.urls[queue], MessageBody=json.dumps(record, default=str))
        function = record["requestContext"]["functionArn"].rsplit(":", 1)[1]
        log.warning("%s: kept on %s for a redrive (/dev/failed)", function, queue)

    # -- looking and replaying -----------------------------------------------------------------
    def listed(self) -> list[Listed]:
        return [Listed(queue, self.app.failure_queues[queue].function, failed)
                for queue, url in self.urls.items() for failed in failures.look(self.sqs, url)]

    def redrive(self) -> dict[str, failures.Outcome]:
        """Replay every kept failure through its function (in this process), as odwolaj-admin
        redrive does on AWS; only what replays cleanly leaves its queue."""
        outcomes = {}
        for queue, url in self.urls.items():
            spec = self.app.failure_queues[queue]

            def invoke(event: dict, function: str = spec.function) -> None:
                failures.checked(self.invoke(function, event))

            outcome = failures.redrive(self.sqs, url, self.streams, invoke,
                                       filters=[json.loads(f) for f in spec.filters], batch_size=spec.batch_size)
            if outcome.replayed or outcome.failed or outcome.expired:
                outcomes[spec.function] = outcome
        return outcomes
