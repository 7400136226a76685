"""Every few minutes: cancel the bookings still unpaid at their deadline. Counts only, never who."""
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from odwolaj.usecases.payment_expiry import sweep

logger = Logger()
metrics = Metrics()


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event, context):
    report = sweep()
    metrics.add_metric(name="PaymentsExpired", unit=MetricUnit.Count, value=report.expired)
    metrics.add_metric(name="PaymentIndexItemsRead", unit=MetricUnit.Count, value=report.read)
    result = {"read": report.read, "expired": report.expired, "skipped": report.skipped, "released": report.released,
              "sessions_left_open": report.sessions_left_open}
    logger.info("payment deadline sweep", extra=result)
    return result
