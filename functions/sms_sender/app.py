"""Outbox stream (kind "sms") → the SMS provider. Each queued message is sent once: Powertools
idempotency on the outbox id absorbs stream retries and duplicate deliveries."""
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from odwolaj.adapters.idempotency import Once
from odwolaj.adapters.sms import gateway_from_env
from odwolaj.data.models import OutboxItem
from odwolaj.messaging.outbound_sms import deliver

logger = Logger()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def _send(payload: dict) -> dict:
    return {"provider_message_id": deliver(OutboxItem(kind="sms", **payload), gateway_from_env())}


send_once = Once(_send, key="outbox_id")


def record_handler(record: DynamoDBRecord) -> None:
    image = record.dynamodb.new_image
    queued = {key: image.get(key)
              for key in ("outbox_id", "message_kind", "appointment_id", "links", "entry_id", "offer_id",
                          "member_id")}
    result = send_once(queued)
    # Ids and the kind only: the phone number and text never reach the logs.
    logger.info("sms sent", extra={"outbox_id": queued["outbox_id"], "message_kind": queued["message_kind"],
                                   "skipped": result["provider_message_id"] is None})


@logger.inject_lambda_context
def lambda_handler(event, context):
    send_once.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
