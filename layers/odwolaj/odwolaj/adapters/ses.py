"""Amazon SES: e-mail to a patient from the one verified address, and the raw automatic answer to
an e-mail the cancellation address received."""
from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage

from odwolaj.adapters.aws import client


@dataclass(frozen=True)
class OutboundEmail:
    to: str
    subject: str
    text: str


class SesMailer:
    """Sends through SES from one verified address."""

    def __init__(self, from_address: str):
        self.from_address = from_address

    def send(self, message: OutboundEmail) -> str:
        response = client("ses").send_email(
            Source=self.from_address,
            Destination={"ToAddresses": [message.to]},
            Message={"Subject": {"Data": message.subject, "Charset": "UTF-8"},
                     "Body": {"Text": {"Data": message.text, "Charset": "UTF-8"}}},
        )
        return str(response["MessageId"])


def send_reply(reply: EmailMessage, from_address: str) -> None:
    reply["From"] = from_address
    client("ses").send_raw_email(Source=from_address, RawMessage={"Data": reply.as_bytes()})
