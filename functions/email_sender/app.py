"""Outbox stream (kind "email") → SES. Each queued e-mail is sent once, like an SMS
(odwolaj.messaging.sending), and started only while the invocation has time for it. Without a
From address (MailFromAddress empty) the e-mail channel is off: records are skipped, counted in
the log."""
import os

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from odwolaj.adapters.ses import SesMailer
from odwolaj.core.config import check_environment
from odwolaj.data.models import OutboxItem
from odwolaj.messaging.outbound_email import deliver
from odwolaj.messaging.sending import WORST_SECONDS

check_environment()
logger = Logger()
tracer = Tracer()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
MARGIN_SECONDS = 5


class NoTimeLeft(Exception):
    """Not started: the invocation could not finish this e-mail in the time it has left."""


def record_handler(record: DynamoDBRecord, lambda_context) -> None:
    if lambda_context.get_remaining_time_in_millis() < (WORST_SECONDS + MARGIN_SECONDS) * 1000:
        raise NoTimeLeft(record.dynamodb.sequence_number)
    image = record.dynamodb.new_image
    queued = {key: image.get(key) for key in ("outbox_id", "message_kind", "appointment_id")}
    outcome = deliver(OutboxItem(kind="email", **queued), SesMailer(os.environ["MAIL_FROM_ADDRESS"]))
    # Ids and the kind only: the address and text never reach the logs.
    logger.info("email", extra={"outbox_id": queued["outbox_id"], "message_kind": queued["message_kind"],
                                "outcome": outcome.state, "sent_now": outcome.now})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event, context):
    if not os.environ.get("MAIL_FROM_ADDRESS"):
        logger.info("email channel off (no MailFromAddress)", extra={"skipped": len(event.get("Records", []))})
        return {"batchItemFailures": []}
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
