"""SQS: the campaign queues (their URLs come from the environment, set by template.yaml)."""
from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass

from odwolaj.adapters import aws

BATCH = 10  # SendMessageBatch's limit


@dataclass(frozen=True)
class Message:
    body: dict
    delay_seconds: int = 0  # 0..900: SQS holds the message back this long


def queue_url(env_var: str) -> str:
    try:
        return os.environ[env_var]
    except KeyError:
        raise RuntimeError(f"{env_var} is not set: the function's template entry must pass it") from None


def send(env_var: str, body: dict, delay_seconds: int = 0) -> None:
    aws.client("sqs").send_message(QueueUrl=queue_url(env_var), MessageBody=json.dumps(body, sort_keys=True),
                                   DelaySeconds=delay_seconds)


def send_batch(env_var: str, messages: Sequence[Message]) -> int:
    """Send in order, ten at a time; returns how many of the first were accepted (stops at the
    first refused, so the caller's cursor can stop just before it)."""
    url, sent = queue_url(env_var), 0
    for start in range(0, len(messages), BATCH):
        chunk = messages[start:start + BATCH]
        answer = aws.client("sqs").send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": json.dumps(m.body, sort_keys=True), "DelaySeconds": m.delay_seconds}
            for i, m in enumerate(chunk)])
        failed = sorted(int(f["Id"]) for f in answer.get("Failed", []))
        if failed:
            return sent + failed[0]
        sent += len(chunk)
    return sent
