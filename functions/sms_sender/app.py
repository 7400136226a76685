"""Outbox stream (kind "sms") → the SMS provider. Each queued message is sent once: Powertools
idempotency on the outbox id absorbs stream retries and duplicate deliveries."""
import os
from functools import lru_cache

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from odwolaj.notifications import deliver
from odwolaj.sms import gateway_from_env

logger = Logger()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
_config = IdempotencyConfig(event_key_jmespath="outbox_id", expires_after_seconds=7 * 24 * 3600)


@lru_cache(maxsize=1)
def _send_once():
    """Built on first use: the idempotency table's name comes from the environment."""
    persistence = DynamoDBPersistenceLayer(table_name=os.environ["IDEMPOTENCY_TABLE"])
    gateway = gateway_from_env()

    @idempotent_function(data_keyword_argument="queued", persistence_store=persistence, config=_config)
    def send(queued: dict) -> dict:
        provider_id = deliver(queued["outbox_id"], queued["message_kind"], queued["appointment_id"], gateway)
        return {"provider_message_id": provider_id}

    return send


def record_handler(record: DynamoDBRecord) -> None:
    image = record.dynamodb.new_image
    queued = {key: image[key] for key in ("outbox_id", "message_kind", "appointment_id")}
    result = _send_once()(queued=queued)
    # Ids and the kind only: the phone number and text never reach the logs.
    logger.info("sms sent", extra={"outbox_id": queued["outbox_id"], "message_kind": queued["message_kind"],
                                   "skipped": result["provider_message_id"] is None})


@logger.inject_lambda_context
def lambda_handler(event, context):
    _config.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
