"""Every minute: the due campaign messages go to the send queue at the facility's and the
provider's rate, only 9:00-19:00 Warsaw time on working days. Counts only."""
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from odwolaj.adapters import queues
from odwolaj.campaigns import dispatch
from odwolaj.core.clock import now
from odwolaj.core.config import check_environment

check_environment()
logger = Logger()
tracer = Tracer()
metrics = Metrics()
QUEUE = "CAMPAIGN_SEND_QUEUE_URL"


def _enqueue(releases) -> int:
    return queues.send_batch(QUEUE, [queues.Message(r.body(), r.delay_seconds) for r in releases])


@metrics.log_metrics
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event, context):
    report = dispatch.tick(now(), _enqueue)
    metrics.add_metric(name="CampaignMessagesReleased", unit=MetricUnit.Count, value=report.released)
    logger.info("campaign dispatch", extra={"campaigns": report.campaigns, "released": report.released,
                                            "completed": report.completed})
    return {"campaigns": report.campaigns, "released": report.released, "completed": report.completed}
