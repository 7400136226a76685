"""Campaign send queue → the SMS provider: each message checked again (consent, eligibility) and
sent at most once per touch. A provider's passing refusal fails only that message, so the queue
retries it alone. Logs the member and what happened, never the number or the text."""
import json

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from odwolaj.adapters.sms import gateway_from_env
from odwolaj.core.config import check_environment
from odwolaj.messaging.campaign_sms import BatchReads, deliver

check_environment()
logger = Logger()
tracer = Tracer()
processor = BatchProcessor(event_type=EventType.SQS)


def _member_ids(event) -> list[str]:
    ids = []
    for record in event.get("Records", []):
        try:
            ids.append(str(json.loads(record["body"])["member_id"]))
        except (ValueError, KeyError, TypeError):
            continue  # its own send fails it, alone
    return ids


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event, context):
    reads = BatchReads()  # the batch's members, patients and numbers read together; campaigns once
    reads.prefetch(_member_ids(event))

    def send(record: SQSRecord) -> None:
        task = record.json_body
        outcome = deliver(task["member_id"], int(task["touch"]), gateway_from_env(), reads=reads)
        logger.info("campaign sms", extra={"member_id": task["member_id"], "touch": task["touch"],
                                           "outcome": outcome})

    return process_partial_response(event=event, record_handler=send, processor=processor, context=context)
