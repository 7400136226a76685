"""Two-way SMS of AWS End User Messaging, delivered through SNS. Order is not guaranteed and SNS
may deliver twice: each message is handled once per inboundMessageId."""
import json

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import SNSEvent, event_source

from odwolaj.adapters.idempotency import Once
from odwolaj.messaging.inbound_sms import handle_payload

logger = Logger()


handle_once = Once(handle_payload, key="message_id")


@logger.inject_lambda_context
@event_source(data_class=SNSEvent)
def lambda_handler(event: SNSEvent, context):
    handle_once.register_lambda_context(context)
    for record in event.records:
        message = json.loads(record.sns.message)
        result = handle_once({"sender": message["originationNumber"], "text": message.get("messageBody", ""),
                              "message_id": message["inboundMessageId"]})
        logger.info("inbound sms", extra={"message_id": message["inboundMessageId"], "outcome": result["outcome"]})
