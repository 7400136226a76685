"""Every minute: slots whose next step is due move on (the next wave, a grace window's end, a
recheck for patients, the cut-off). Reads only the sparse offers_due index. Counts only, never who."""
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from odwolaj.reserve.timer import SweepIncomplete, sweep

logger = Logger()
metrics = Metrics()


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event, context):
    try:
        report = sweep()
    except SweepIncomplete as incomplete:  # the others moved on; the run fails so it shows, and retries
        metrics.add_metric(name="OfferSlotsFailed", unit=MetricUnit.Count, value=incomplete.report.failed)
        raise
    metrics.add_metric(name="OffersExpired", unit=MetricUnit.Count, value=report.expired)
    metrics.add_metric(name="OfferIndexItemsRead", unit=MetricUnit.Count, value=report.read)
    logger.info("offer sweep", extra={"read": report.read, "expired": report.expired, "moved": report.moved})
    return {"read": report.read, "expired": report.expired, "moved": report.moved}
