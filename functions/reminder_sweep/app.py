"""Every five minutes: queue the reminders that are due. Counts only, never who."""
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from odwolaj.appointments.reminders import sweep

logger = Logger()
metrics = Metrics()


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event, context):
    report = sweep()
    metrics.add_metric(name="RemindersQueued", unit=MetricUnit.Count, value=report.queued)
    metrics.add_metric(name="ReminderIndexItemsRead", unit=MetricUnit.Count, value=report.read)
    logger.info("reminder sweep", extra={"read": report.read, "queued": report.queued, "skipped": report.skipped})
    return {"read": report.read, "queued": report.queued, "skipped": report.skipped}
