"""E-mail to the dedicated cancellation address: SES stored the message in the mail bucket (the
rule's S3 action), then invoked this with the receipt (its spam, virus, SPF, DKIM and DMARC
verdicts). Each message is handled (and answered) once per SES message id."""
import os

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.data_classes import SESEvent, event_source

from odwolaj.adapters.aws import client
from odwolaj.adapters.idempotency import Once
from odwolaj.adapters.ses import send_reply
from odwolaj.core.config import check_environment
from odwolaj.messaging.inbound_email import InboundMail, Verdicts, handle
from odwolaj.messaging.mail_text import MAX_MESSAGE_BYTES

check_environment()
logger = Logger()
tracer = Tracer()


def _handle(payload: dict) -> dict:
    # Only the head of a large message is read: its text parts come before any attachment.
    key = os.environ["MAIL_PREFIX"] + payload["message_id"]
    stored = client("s3").get_object(Bucket=os.environ["MAIL_BUCKET"], Key=key,
                                     Range=f"bytes=0-{MAX_MESSAGE_BYTES - 1}")
    mail = InboundMail.parse(payload["message_id"], stored["Body"].read(), Verdicts(**payload["verdicts"]))
    result = handle(mail)
    reply = result.reply_to(mail)
    if reply is not None:
        send_reply(reply, os.environ["CANCEL_EMAIL_ADDRESS"])
    return {"outcome": result.outcome.value, "replied": reply is not None}


handle_once = Once(_handle, key="message_id")


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_source(data_class=SESEvent)
def lambda_handler(event: SESEvent, context):
    handle_once.register_lambda_context(context)
    for record in event.records:
        receipt = record.ses.receipt
        verdicts = {"spf": receipt.spf_verdict.status, "dkim": receipt.dkim_verdict.status,
                    "dmarc": receipt.dmarc_verdict.status, "spam": receipt.spam_verdict.status,
                    "virus": receipt.virus_verdict.status}
        result = handle_once({"message_id": record.ses.mail.message_id, "verdicts": verdicts})
        logger.info("cancellation e-mail", extra={"message_id": record.ses.mail.message_id, **result})
