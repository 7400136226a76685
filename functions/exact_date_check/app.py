"""Hourly: exact dates set after a planned week must have reached their patients 14 days ahead;
those not confirmed delivered are reported to the clinic. Reads only the sparse notices_due index."""
from dataclasses import asdict

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from odwolaj.core.budget import running_out
from odwolaj.core.config import check_environment
from odwolaj.reserve.notices import check

check_environment()
RESERVE_SECONDS = 10  # one entry: a read and one transaction
logger = Logger()
tracer = Tracer()
metrics = Metrics()


@metrics.log_metrics
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event, context):
    report = check(stop=running_out(context, RESERVE_SECONDS))
    metrics.add_metric(name="ExactDatesUnconfirmed", unit=MetricUnit.Count, value=report.reported)
    result = asdict(report)
    logger.info("exact-date check", extra=result)
    return result
