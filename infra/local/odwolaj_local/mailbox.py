"""Mail to the clinic's cancellation address, received as SES would receive it: the template's
receipt rule stores the message in its bucket under its prefix, then invokes its function with
SES's Lambda event (scan verdicts PASS). moto runs no receipt rules, so /dev/mail does this."""
from __future__ import annotations

import secrets
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from odwolaj_local.template import MailReceipt, resolve


def ses_event(message_id: str, sender: str, recipient: str, subject: str, at: datetime, function_arn: str) -> dict:
    """The event SES gives the Lambda action of a receipt rule."""
    stamp = at.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    verdict = {"status": "PASS"}
    return {"Records": [{"eventSource": "aws:ses", "eventVersion": "1.0", "ses": {
        "mail": {"timestamp": stamp, "source": sender, "messageId": message_id, "destination": [recipient],
                 "headersTruncated": False,
                 "headers": [{"name": "From", "value": sender}, {"name": "To", "value": recipient},
                             {"name": "Subject", "value": subject}],
                 "commonHeaders": {"returnPath": sender, "from": [sender], "to": [recipient], "subject": subject,
                                   "date": format_datetime(at)}},
        "receipt": {"timestamp": stamp, "processingTimeMillis": 10, "recipients": [recipient],
                    "spamVerdict": verdict, "virusVerdict": verdict, "spfVerdict": verdict, "dkimVerdict": verdict,
                    "dmarcVerdict": verdict,
                    "action": {"type": "Lambda", "functionArn": function_arn, "invocationType": "Event"}},
    }}]}


class Mailbox:
    """The receipt rule of the template, run by hand."""

    def __init__(self, aws, rule: MailReceipt, invoke):
        self.names = aws.physical_names()
        self.s3 = aws.client("s3")
        self.rule, self.invoke = rule, invoke

    @property
    def address(self) -> str:
        return str(resolve(self.rule.recipients[0], self.names))

    def receive(self, sender: str, subject: str, text: str) -> str:
        """Store and hand over one plain-text message; its SES message id."""
        at = datetime.now(timezone.utc)
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = sender, self.address, subject
        message["Date"], message["Message-ID"] = format_datetime(at), make_msgid(domain="example.com")
        message.set_content(text)
        message_id = secrets.token_hex(20)  # SES ids are 40 characters
        self.s3.put_object(Bucket=self.names[self.rule.bucket], Key=self.rule.prefix + message_id,
                           Body=message.as_bytes())
        arn = f"arn:aws:lambda:{self.names['AWS::Region']}:{self.names['AWS::AccountId']}:function:{self.rule.function}"
        self.invoke(self.rule.function, ses_event(message_id, sender, self.address, subject, at, arn))
        return message_id
