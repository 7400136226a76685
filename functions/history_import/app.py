"""A history or consents file uploaded to the import bucket (its S3 event), imported in chunks; when
time runs short the rest goes on through the import queue (an SQS message with the offset). Logs
ids and counts only: a file holds patients' data."""
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from odwolaj.adapters import queues
from odwolaj.campaigns import imports
from odwolaj.core.config import check_environment
from odwolaj.core.errors import InvalidInput

check_environment()
logger = Logger()
tracer = Tracer()
processor = BatchProcessor(event_type=EventType.SQS)
QUEUE = "IMPORT_QUEUE_URL"


def _run(import_id: str, offset: int, context) -> None:
    try:
        following = imports.run(import_id, offset, lambda: context.get_remaining_time_in_millis() / 1000)
    except InvalidInput as error:  # the file itself is broken (a line longer than a chunk)
        imports.fail(import_id, error.message)
        logger.warning("import failed", extra={"import_id": import_id, "reason": error.message})
        return
    if following:
        queues.send(QUEUE, following)
    logger.info("import chunk", extra={"import_id": import_id, "continues_at": following and following["offset"]})


def _continue(record: SQSRecord) -> None:
    message = record.json_body
    _run(message["import_id"], int(message["offset"]), processor.lambda_context)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event, context):
    records = event.get("Records", [])
    if records and records[0].get("eventSource") == "aws:sqs":
        return process_partial_response(event=event, record_handler=_continue, processor=processor, context=context)
    for record in records:  # S3: an upload finished
        import_id = imports.import_of(unquote_plus(record["s3"]["object"]["key"]))
        if import_id:
            _run(import_id, 0, context)
    return None
