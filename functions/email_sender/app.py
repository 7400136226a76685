"""Outbox stream (kind "email") → SES. Each queued e-mail is sent once: Powertools idempotency on
the outbox id absorbs stream retries and duplicate deliveries. Without a From address
(MailFromAddress empty) the e-mail channel is off: records are skipped, counted in the log."""
import os

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from odwolaj.adapters.idempotency import Once
from odwolaj.adapters.ses import SesMailer
from odwolaj.data.models import OutboxItem
from odwolaj.messaging.outbound_email import deliver

logger = Logger()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def _send(payload: dict) -> dict:
    item = OutboxItem(kind="email", **payload)
    return {"ses_message_id": deliver(item, SesMailer(os.environ["MAIL_FROM_ADDRESS"]))}


send_once = Once(_send, key="outbox_id")


def record_handler(record: DynamoDBRecord) -> None:
    image = record.dynamodb.new_image
    queued = {key: image.get(key) for key in ("outbox_id", "message_kind", "appointment_id")}
    result = send_once(queued)
    # Ids and the kind only: the address and text never reach the logs.
    logger.info("email sent", extra={"outbox_id": queued["outbox_id"], "message_kind": queued["message_kind"],
                                     "skipped": result["ses_message_id"] is None})


@logger.inject_lambda_context
def lambda_handler(event, context):
    if not os.environ.get("MAIL_FROM_ADDRESS"):
        logger.info("email channel off (no MailFromAddress)", extra={"skipped": len(event.get("Records", []))})
        return {"batchItemFailures": []}
    send_once.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
