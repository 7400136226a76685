"""Delivery status of messages sent through AWS End User Messaging SMS, which it publishes to
EventBridge ("Text Message Delivery Status Updated"). Reports only move a delivery forward, so
EventBridge's at-least-once, unordered delivery changes nothing twice. The message's context
carries our reference (its outbox id): a message whose send was in doubt is thereby known sent."""
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source

from odwolaj.core.config import check_environment
from odwolaj.messaging import deliveries, sending

check_environment()
logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@event_source(data_class=EventBridgeEvent)
def lambda_handler(event: EventBridgeEvent, context):
    detail = event.detail if isinstance(event.detail, dict) else {}
    message_id = detail.get("messageId") if isinstance(detail.get("messageId"), str) else ""
    status = deliveries.END_USER_MESSAGING.get(str(detail.get("eventType", "")))
    applied = deliveries.report(message_id, status, detail.get("messageStatusDescription"))
    ref = (detail.get("context") or {}).get("ref") if isinstance(detail.get("context"), dict) else None
    reconciled = bool(ref and message_id and isinstance(ref, str) and sending.reconcile(ref, "aws", message_id))
    logger.info("delivery report", extra={"message_id": message_id, "event_type": detail.get("eventType"),
                                          "applied": applied, "reconciled": reconciled})
    return {"applied": applied, "reconciled": reconciled}
