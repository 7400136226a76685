"""What the local system sent out, made visible: the events published on the bus and the SMS
published through SNS.

moto accepts put_events but fires no rule at a function; it does deliver to SQS targets. So the
runner adds (in moto only, not in the template) a catch-all rule on the bus with a queue as its
target and drains the queue: /dev/events shows exactly what reached the bus. moto records every
SNS publish to a phone number; /dev/phone reads them from moto's SNS backend, which runs in the
runner's process (its /moto-api/data.json dump fails once DynamoDB holds maps).
"""
from __future__ import annotations

import collections
import json
import threading
from dataclasses import dataclass

from odwolaj_local.polling import Polling

CAPTURE_NAME = "odwolaj-local-event-capture"


class EventCapture(Polling):
    def __init__(self, aws, bus_name: str, keep: int = 500):
        super().__init__("event capture", 0.1)
        self.sqs = aws.client("sqs")
        self.events = aws.client("events")
        self.bus_name = bus_name
        self.captured: collections.deque[dict] = collections.deque(maxlen=keep)
        self.queue_url = self.sqs.create_queue(QueueName=CAPTURE_NAME)["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])
        self.events.put_rule(Name=CAPTURE_NAME, EventBusName=bus_name,
                             EventPattern=json.dumps({"source": [{"prefix": ""}]}))
        self.events.put_targets(Rule=CAPTURE_NAME, EventBusName=bus_name,
                                Targets=[{"Id": "capture", "Arn": queue_arn["Attributes"]["QueueArn"]}])

    def poll_once(self) -> None:
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                return
            for message in messages:
                self.captured.appendleft(json.loads(message["Body"]))
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])

    def newest_first(self) -> list[dict]:
        return list(self.captured)


@dataclass(frozen=True)
class Sms:
    direction: str  # "out" (sent by the system) or "in" (a reply typed on /dev/phone)
    phone: str
    text: str
    message_id: str


class Phone:
    """Outgoing SMS as moto recorded them, plus the replies sent from the phone view."""

    def __init__(self, account: str, region: str):
        self.account, self.region = account, region
        self._seen: dict[str, Sms] = {}
        self._lock = threading.Lock()

    def record_reply(self, phone: str, text: str, message_id: str) -> None:
        self.messages()  # what was sent before the reply is listed before it
        with self._lock:
            self._seen[message_id] = Sms("in", phone, text, message_id)

    def messages(self) -> list[Sms]:
        """Newest first."""
        from moto.sns.models import sns_backends

        published = dict(sns_backends[self.account][self.region].sms_messages)  # id → (phone, text)
        with self._lock:
            for message_id, (phone, text) in published.items():  # in moto's order, merged with the replies
                if message_id not in self._seen:
                    self._seen[message_id] = Sms("out", phone, text, message_id)
            return list(reversed(self._seen.values()))
