"""DynamoDB stream of the outbox → EventBridge. Reports only the failed records, so the stream
retries those and nothing is published twice by this function's own doing."""
from aws_lambda_powertools import Logger, single_metric
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from odwolaj.adapters.event_bus import EventBridgeBus
from odwolaj.messaging.dispatch import PendingEvent, metrics_for, publish

logger = Logger()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
_bus = EventBridgeBus()


class PublishFailed(Exception):
    pass


def record_handler(record: DynamoDBRecord) -> None:
    image = record.dynamodb.new_image
    if image.get("kind") != "event":
        return
    item = PendingEvent(image["outbox_id"], image["detail_type"], image["detail"])
    if not publish(item, _bus):
        raise PublishFailed(item.outbox_id)  # the id is a cause key, not personal data
    logger.info("published", extra={"outbox_id": item.outbox_id, "detail_type": item.detail_type})
    for point in metrics_for(item.detail_type, item.detail):
        with single_metric(name=point.name, unit=MetricUnit[point.unit], value=point.value) as metric:
            if point.channel:
                metric.add_dimension(name="channel", value=point.channel)
            for name, value in point.dimensions:
                metric.add_dimension(name=name, value=value)


@logger.inject_lambda_context
def lambda_handler(event, context):
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
