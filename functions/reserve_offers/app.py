"""Slots table stream (INSERT of a freed slot) → the first offer wave to the reserve list.
A redelivered record finds the slot no longer free and changes nothing."""
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from odwolaj.core.config import check_environment
from odwolaj.reserve.offers import offer_freed_slot

check_environment()
logger = Logger()
tracer = Tracer()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    slot_id = record.dynamodb.keys["slot_id"]
    status = offer_freed_slot(slot_id)
    logger.info("freed slot offered", extra={"slot_id": slot_id, "status": status})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
