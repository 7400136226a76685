"""Counts each lifecycle event from the bus once into its facility's daily aggregates, which the
console's dashboard and GET /api/v1/stats read (odwolaj.stats). EventBridge invokes it for every
event of source `odwolaj`; a redelivered event counts nothing twice. A failure raises, so Lambda
retries it and, after the last retry, the event goes to the failed-events queue."""
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.data_classes import EventBridgeEvent, event_source

from odwolaj.core.config import check_environment
from odwolaj.stats import store

check_environment()
logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context(clear_state=True)
@event_source(data_class=EventBridgeEvent)
@tracer.capture_lambda_handler
def lambda_handler(event: EventBridgeEvent, context):
    new = store.record_event(event.detail_type, event.detail)
    # Ids and types only: an event's data never goes to the log.
    logger.info("event counted", extra={"detail_type": event.detail_type,
                                        "event_id": event.detail.get("event_id"), "new_contributions": new})
    return {"new_contributions": new}
