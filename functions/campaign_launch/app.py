"""A launched campaign's selection, one job of a shard's chain per message: the job that continues
it goes back on the launch queue. Counts and ids only in the log."""
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from odwolaj.adapters import queues
from odwolaj.campaigns import launch
from odwolaj.core.config import check_environment

check_environment()
logger = Logger()
tracer = Tracer()
processor = BatchProcessor(event_type=EventType.SQS)


def _select(record: SQSRecord) -> None:
    context = processor.lambda_context
    following = launch.select(record.json_body, lambda: context.get_remaining_time_in_millis() / 1000)
    if following:
        queues.send(launch.LAUNCH_QUEUE, following)
    logger.info("selection", extra={"campaign_id": record.json_body["campaign_id"], "continues": bool(following)})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event, context):
    return process_partial_response(event=event, record_handler=_select, processor=processor, context=context)
