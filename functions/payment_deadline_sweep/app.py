"""Every few minutes: cancel the bookings still unpaid at their deadline. Counts only, never who."""
from dataclasses import asdict

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from odwolaj.core.budget import running_out
from odwolaj.core.config import check_environment
from odwolaj.usecases.payment_expiry import sweep

check_environment()
RESERVE_SECONDS = 40  # one booking: its cancellation and a Stripe call at its slowest (stripe_api.WORST_SECONDS)
logger = Logger()
tracer = Tracer()
metrics = Metrics()


@metrics.log_metrics
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event, context):
    report = sweep(stop=running_out(context, RESERVE_SECONDS))
    metrics.add_metric(name="PaymentsExpired", unit=MetricUnit.Count, value=report.expired)
    metrics.add_metric(name="PaymentIndexItemsRead", unit=MetricUnit.Count, value=report.read)
    result = asdict(report)
    logger.info("payment deadline sweep", extra=result)
    return result
