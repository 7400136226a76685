"""Every minute: offers whose hold passed expire and their slot's next wave goes out (or the slot
is reported unfilled). Reads only the sparse offers_due index. Counts only, never who."""
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from odwolaj.reserve.offers import sweep

logger = Logger()
metrics = Metrics()


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event, context):
    report = sweep()
    metrics.add_metric(name="OffersExpired", unit=MetricUnit.Count, value=report.expired)
    metrics.add_metric(name="OfferIndexItemsRead", unit=MetricUnit.Count, value=report.read)
    logger.info("offer sweep", extra={"read": report.read, "expired": report.expired, "waves": report.waves})
    return {"read": report.read, "expired": report.expired, "waves": report.waves}
