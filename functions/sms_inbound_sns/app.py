"""Two-way SMS of AWS End User Messaging, delivered through SNS. Order is not guaranteed and SNS
may deliver twice: each message is handled once per inboundMessageId. A notification that is not
such a message (not JSON, a field missing or of the wrong type) is logged without its content and
acknowledged: retrying it could never succeed, and raising would fail the good records with it."""
import json

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.data_classes import SNSEvent, event_source

from odwolaj.adapters.idempotency import Once
from odwolaj.core.config import check_environment
from odwolaj.messaging.inbound_sms import handle_payload

check_environment()
logger = Logger()
tracer = Tracer()
REQUIRED = ("originationNumber", "inboundMessageId")


handle_once = Once(handle_payload, key="message_id")


def two_way_message(text: str) -> dict | None:
    """The handler's payload from the SNS message text, or None when it is not a two-way SMS."""
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(message, dict) or not all(isinstance(message.get(key), str) and message[key]
                                                for key in REQUIRED):
        return None
    body = message.get("messageBody")
    return {"sender": message["originationNumber"], "text": body if isinstance(body, str) else "",
            "message_id": message["inboundMessageId"]}


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_source(data_class=SNSEvent)
def lambda_handler(event: SNSEvent, context):
    handle_once.register_lambda_context(context)
    for record in event.records:
        payload = two_way_message(record.sns.message)
        if payload is None:
            logger.warning("malformed two-way SMS notification acknowledged", extra={
                "sns_message_id": record.sns.message_id})
            continue
        result = handle_once(payload)
        logger.info("inbound sms", extra={"message_id": payload["message_id"], "outcome": result["outcome"]})
