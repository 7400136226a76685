"""Hourly: exact dates set after a planned week must have reached their patients 14 days ahead;
those not confirmed delivered are reported to the clinic. Reads only the sparse notices_due index."""
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from odwolaj.reserve.notices import check

logger = Logger()
metrics = Metrics()


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event, context):
    report = check()
    metrics.add_metric(name="ExactDatesUnconfirmed", unit=MetricUnit.Count, value=report.reported)
    logger.info("exact-date check", extra={"read": report.read, "confirmed": report.confirmed,
                                           "reported": report.reported})
    return {"read": report.read, "confirmed": report.confirmed, "reported": report.reported}
