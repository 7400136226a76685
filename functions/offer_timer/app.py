"""Every minute: slots whose next step is due move on (the next wave, a grace window's end, a
recheck for patients, the cut-off). Reads only the sparse offers_due index. Counts only, never who."""
from dataclasses import asdict

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from odwolaj.core.budget import running_out
from odwolaj.core.config import check_environment
from odwolaj.reserve.timer import SweepIncomplete, sweep

check_environment()
RESERVE_SECONDS = 15  # one slot: its expired offers and the next wave
logger = Logger()
tracer = Tracer()
metrics = Metrics()


@metrics.log_metrics
@logger.inject_lambda_context
@tracer.capture_lambda_handler
def lambda_handler(event, context):
    try:
        report = sweep(stop=running_out(context, RESERVE_SECONDS))
    except SweepIncomplete as incomplete:  # the others moved on; the run fails so it shows, and retries
        metrics.add_metric(name="OfferSlotsFailed", unit=MetricUnit.Count, value=incomplete.report.failed)
        raise
    metrics.add_metric(name="OffersExpired", unit=MetricUnit.Count, value=report.expired)
    metrics.add_metric(name="OfferIndexItemsRead", unit=MetricUnit.Count, value=report.read)
    result = asdict(report)
    logger.info("offer sweep", extra=result)
    return result
