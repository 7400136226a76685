"""Outbox stream (kind "sms") → the SMS provider. Each queued message is sent once
(odwolaj.messaging.sending: a claim on the outbox item before the provider call, the result right
after it), so stream retries, duplicate deliveries and redrives never send it twice. A record is
started only while the invocation has time for the worst case of one message; the rest are
reported failed, and the stream hands them to the next invocation."""
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from odwolaj.adapters.sms import gateway_from_env
from odwolaj.core.config import check_environment
from odwolaj.data.models import OutboxItem
from odwolaj.messaging.outbound_sms import deliver
from odwolaj.messaging.sending import WORST_SECONDS

check_environment("SMS_PROVIDER")
logger = Logger()
tracer = Tracer()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
MARGIN_SECONDS = 5  # writing the result and answering the stream
QUEUED_FIELDS = ("outbox_id", "message_kind", "appointment_id", "links", "entry_id", "offer_id", "member_id")


class NoTimeLeft(Exception):
    """Not started: the invocation could not finish this message in the time it has left."""


def record_handler(record: DynamoDBRecord, lambda_context) -> None:
    if lambda_context.get_remaining_time_in_millis() < (WORST_SECONDS + MARGIN_SECONDS) * 1000:
        raise NoTimeLeft(record.dynamodb.sequence_number)
    image = record.dynamodb.new_image
    queued = {key: image.get(key) for key in QUEUED_FIELDS}
    outcome = deliver(OutboxItem(kind="sms", **queued), gateway_from_env())
    # Ids and the kind only: the phone number and text never reach the logs.
    logger.info("sms", extra={"outbox_id": queued["outbox_id"], "message_kind": queued["message_kind"],
                              "outcome": outcome.state, "sent_now": outcome.now})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
