"""Appointment events from the bus (an EventBridge rule): bookings through the API count as history
for campaigns, and a cancellation may open a rebook nudge. Ids and statuses only in the log."""
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source

from odwolaj.campaigns import visits
from odwolaj.core.config import check_environment

check_environment()
logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context
@event_source(data_class=EventBridgeEvent)
@tracer.capture_lambda_handler
def lambda_handler(event: EventBridgeEvent, context):
    appointment_id = event.detail["data"]["appointment_id"]
    status = visits.on_event(event.detail_type, appointment_id)
    logger.info("appointment event", extra={"detail_type": event.detail_type, "appointment_id": appointment_id,
                                            "status": status})
    return {"status": status}
