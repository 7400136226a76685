"""What the local system sent out, made visible: the events published on the bus, the SMS
published through SNS and the e-mails sent through SES.

moto accepts put_events but fires no rule at a function; it does deliver to SQS targets. So the
runner adds (in moto only, not in the template) a catch-all rule on the bus with a queue as its
target and drains the queue: /dev/events shows exactly what reached the bus. moto records every
SNS publish to a phone number; /dev/phone reads them from moto's SNS backend, which runs in the
runner's process (its /moto-api/data.json dump fails once DynamoDB holds maps). Likewise moto's
SES backend keeps every e-mail sent (the payment link, the answers to cancellation mails): /dev/mail.
"""
from __future__ import annotations

import collections
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.parser import Parser

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
    runner_time: str = ""  # the runner's clock when it was seen sent (or the reply received), UTC ISO-8601


class Phone(Polling):
    """Outgoing SMS as moto recorded them, plus the replies sent from the phone view. Polled every
    half second, so each message carries the runner's time it was sent at (to within that)."""

    def __init__(self, account: str, region: str, clock: Callable[[], datetime]):
        super().__init__("phone", 0.5)
        self.account, self.region, self.clock = account, region, clock
        self._seen: dict[str, Sms] = {}
        self._lock = threading.Lock()

    def poll_once(self) -> None:
        self.messages()

    def record_reply(self, phone: str, text: str, message_id: str) -> None:
        self.messages()  # what was sent before the reply is listed before it
        with self._lock:
            self._seen[message_id] = Sms("in", phone, text, message_id, self.clock().isoformat())

    def messages(self) -> list[Sms]:
        """Newest first."""
        from moto.sns.models import sns_backends

        published = dict(sns_backends[self.account][self.region].sms_messages)  # id → (phone, text)
        with self._lock:
            for message_id, (phone, text) in published.items():  # in moto's order, merged with the replies
                if message_id not in self._seen:
                    self._seen[message_id] = Sms("out", phone, text, message_id, self.clock().isoformat())
            return list(reversed(self._seen.values()))


@dataclass(frozen=True)
class Mail:
    sender: str
    to: str
    subject: str
    text: str


def sent_mail(account: str, region: str) -> list[Mail]:
    """E-mails as moto's SES recorded them, newest first: `send_email` keeps the parts, a
    `send_raw_email` the MIME text."""
    from moto.ses.models import ses_backends

    found = []
    for message in list(ses_backends[account][region].sent_messages):
        if hasattr(message, "raw_data"):
            parsed = Parser(policy=policy.default).parsestr(message.raw_data)
            body = parsed.get_body(preferencelist=("plain",))
            found.append(Mail(message.source, ", ".join(message.destinations), str(parsed.get("subject", "")),
                              body.get_content() if body is not None else ""))
        elif hasattr(message, "subject"):
            found.append(Mail(message.source, ", ".join(message.destinations.get("ToAddresses", [])),
                              message.subject, message.body))
    return list(reversed(found))
