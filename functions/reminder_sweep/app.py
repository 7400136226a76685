"""Every five minutes: queue the reminders that are due. Counts only, never who."""
from dataclasses import asdict

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from odwolaj.appointments.reminders import sweep
from odwolaj.core.budget import running_out
from odwolaj.core.config import check_environment

check_environment()
RESERVE_SECONDS = 10  # one reminder is one transaction: a few DynamoDB calls at their slowest
logger = Logger()
tracer = Tracer()
metrics = Metrics()


@metrics.log_metrics
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event, context):
    report = sweep(stop=running_out(context, RESERVE_SECONDS))
    metrics.add_metric(name="RemindersQueued", unit=MetricUnit.Count, value=report.queued)
    metrics.add_metric(name="ReminderIndexItemsRead", unit=MetricUnit.Count, value=report.read)
    result = asdict(report)
    logger.info("reminder sweep", extra=result)
    return result
