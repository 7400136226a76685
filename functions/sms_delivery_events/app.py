"""Delivery status of messages sent through AWS End User Messaging SMS, which it publishes to
EventBridge ("Text Message Delivery Status Updated"). Reports only move a delivery forward, so
EventBridge's at-least-once, unordered delivery changes nothing twice."""
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source

from odwolaj.messaging import deliveries

logger = Logger()


@logger.inject_lambda_context
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context):
    detail = event.detail
    status = deliveries.END_USER_MESSAGING.get(detail.get("eventType", ""))
    applied = deliveries.report(detail.get("messageId", ""), status, detail.get("messageStatusDescription"))
    logger.info("delivery report", extra={"message_id": detail.get("messageId"), "event_type": detail.get("eventType"),
                                          "applied": applied})
    return {"applied": applied}
