"""E-mail to the dedicated cancellation address: SES stored the message in the mail bucket, then
invoked this. Each message is handled (and answered) once per SES message id."""
import os

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import SESEvent, event_source

from odwolaj.adapters.aws import client
from odwolaj.adapters.idempotency import Once
from odwolaj.adapters.ses import send_reply
from odwolaj.messaging.inbound_email import InboundMail, handle

logger = Logger()


def _handle(payload: dict) -> dict:
    stored = client("s3").get_object(Bucket=os.environ["MAIL_BUCKET"],
                                     Key=os.environ["MAIL_PREFIX"] + payload["message_id"])
    mail = InboundMail.parse(payload["message_id"], stored["Body"].read(), verdict_ok=payload["verdict_ok"])
    result = handle(mail)
    reply = result.reply_to(mail)
    if reply is not None:
        send_reply(reply, os.environ["CANCEL_EMAIL_ADDRESS"])
    return {"outcome": result.outcome.value, "replied": reply is not None}


handle_once = Once(_handle, key="message_id")


@logger.inject_lambda_context
@event_source(data_class=SESEvent)
def lambda_handler(event: SESEvent, context):
    handle_once.register_lambda_context(context)
    for record in event.records:
        receipt = record.ses.receipt
        verdict_ok = "FAIL" not in (receipt.spam_verdict.status, receipt.virus_verdict.status)
        result = handle_once({"message_id": record.ses.mail.message_id, "verdict_ok": verdict_ok})
        logger.info("cancellation e-mail", extra={"message_id": record.ses.mail.message_id, **result})
