"""What the local system sent out, made visible: the events published on the bus, the SMS
sent through the SMS provider and the e-mails sent through SES.

moto accepts put_events but fires no rule at a function; it does deliver to SQS targets. So the
runner adds (in moto only, not in the template) a catch-all rule on the bus with a queue as its
target and drains the queue: /dev/events shows exactly what reached the bus, every event, in
order. The SMS provider locally is SNS (moto records each publish); the runner also listens to
the SNS gateway's sends in its own process, so each SMS is kept with the moment it was sent (the
runner's clock and the wall clock) and the outbox item that caused it: which visit, entry, offer
and freed slot it is about. Likewise moto's SES backend keeps every e-mail sent: /dev/mail.
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email import policy
from email.parser import Parser
from typing import Callable

from odwolaj_local.polling import Polling

CAPTURE_NAME = "odwolaj-local-event-capture"


def _moment(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Captured:
    seq: int  # 1, 2, … in the order captured: the paging cursor
    runner_time: str  # the runner's clock when captured (the event's own detail.occurred_at is when it happened)
    wall_time: str
    event: dict  # as EventBridge delivers it

    def as_json(self) -> dict:
        return {"seq": self.seq, "runner_time": self.runner_time, "wall_time": self.wall_time, "event": self.event}


class EventCapture(Polling):
    def __init__(self, aws, bus_name: str, clock: Callable[[], datetime]):
        super().__init__("event capture", 0.1)
        self.sqs = aws.client("sqs")
        self.events = aws.client("events")
        self.bus_name = bus_name
        self.clock = clock
        self.captured: list[Captured] = []  # all of them, oldest first
        self._lock = threading.Lock()
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
            runner_time, wall_time = _moment(self.clock()), _moment(datetime.now(timezone.utc))
            with self._lock:
                for message in messages:
                    self.captured.append(Captured(len(self.captured) + 1, runner_time, wall_time,
                                                  json.loads(message["Body"])))
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])

    def records(self) -> list[Captured]:
        """Oldest first."""
        with self._lock:
            return list(self.captured)


@dataclass(frozen=True)
class Sms:
    seq: int  # 1, 2, … in the order sent or received: the paging cursor
    direction: str  # "out" (sent by the system) or "in" (a reply sent through /dev/phone/reply)
    phone: str
    text: str
    message_id: str
    runner_time: str  # the runner's clock when it was sent (or the reply received)
    wall_time: str
    about: dict = field(default_factory=dict)  # what the message is about (outgoing): see Phone.about

    def as_json(self) -> dict:
        return {"seq": self.seq, "direction": self.direction, "phone": self.phone, "text": self.text,
                "message_id": self.message_id, "runner_time": self.runner_time, "wall_time": self.wall_time,
                **self.about}


ABOUT_FIELDS = ("kind", "outbox_id", "appointment_id", "external_id", "entry_id", "offer_id", "slot_id",
                "slot_external_id", "slot_starts_at")


class Phone:
    """Every SMS the system sent (through the SNS gateway, in this process) and every reply sent
    from the phone view, in order."""

    def __init__(self, clock: Callable[[], datetime]):
        self.clock = clock
        self._messages: list[Sms] = []
        self._lock = threading.Lock()

    def listen(self) -> None:
        """Keep each SMS the SNS gateway sends (the provider the runner configures), with its
        moment and what it is about. Wraps the gateway class of this process once."""
        from odwolaj.adapters.sms import SnsGateway

        send = getattr(SnsGateway.send, "unwrapped", SnsGateway.send)  # another runner's phone listened before

        def listened(gateway, message):
            message_id = send(gateway, message)
            self._record("out", message.to, message.text, message_id, self.about(message.ref))
            return message_id

        listened.unwrapped = send  # type: ignore[attr-defined]
        SnsGateway.send = listened

    def record_reply(self, phone: str, text: str, message_id: str) -> None:
        self._record("in", phone, text, message_id, {})

    def _record(self, direction: str, phone: str, text: str, message_id: str, about: dict) -> None:
        runner_time, wall_time = _moment(self.clock()), _moment(datetime.now(timezone.utc))
        with self._lock:
            self._messages.append(Sms(len(self._messages) + 1, direction, phone, text, message_id, runner_time,
                                      wall_time, about))

    def records(self) -> list[Sms]:
        """Oldest first."""
        with self._lock:
            return list(self._messages)

    def messages(self) -> list[Sms]:
        """Newest first."""
        return self.records()[::-1]

    @staticmethod
    def about(outbox_id: str) -> dict:
        """What an SMS is about, from the outbox item that caused it: its kind, the visit (id and
        the clinic's external id), the waiting-list entry, the offer and the freed slot it offers
        (the cancelled visit's ids and start). Unknown parts are None."""
        from pynamodb.exceptions import DoesNotExist

        from odwolaj.data.models import Appointment, FreedSlot, Offer, OutboxItem

        about: dict = dict.fromkeys(ABOUT_FIELDS)
        about["outbox_id"] = outbox_id
        try:
            item = OutboxItem.get(outbox_id)
            about.update(kind=item.message_kind, appointment_id=item.appointment_id, entry_id=item.entry_id,
                         offer_id=item.offer_id)
            if item.appointment_id:
                about["external_id"] = Appointment.get(item.appointment_id).external_id
            if item.offer_id:
                slot = FreedSlot.get(Offer.get(item.offer_id).slot_id)
                about.update(slot_id=slot.slot_id, slot_starts_at=slot.starts_at,
                             slot_external_id=Appointment.get(slot.slot_id).external_id)
        except DoesNotExist:
            pass  # an SMS sent by hand, not through the outbox
        return about


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
