"""The payment link (/p/{token}): opens the visit's Stripe Checkout Session (or the one already
open) and redirects to it; Stripe sends the patient back here with ?s=ok or ?s=back.

A paid, cancelled, expired or unknown link gets a Polish page and changes nothing. Domain errors
become pages in `problem` below, the one place that maps them to HTTP.
"""
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths

from odwolaj.core.config import check_environment
from odwolaj.core.errors import DomainError, InvalidTransition, PaymentUnavailable
from odwolaj.edge.web import pages
from odwolaj.edge.web.responses import html, link_problem, patient_pages
from odwolaj.payments import checkout
from odwolaj.security.facilities import get_facility
from odwolaj.security.links import visit_link
from odwolaj.usecases import visit_page

check_environment()
logger = Logger()
tracer = Tracer()
app = patient_pages(logger, "payment page", visit_page.clinic_phone)
RETURNS = ("ok", "back")
STATUS_OF_STATE = {"paid": 200, "in_progress": 200, "not_required": 200, "refunded": 200, "cancelled": 409,
                   "expired": 410, "transfer_late": 410, "over": 410}
# Back from the checkout (?s=ok / ?s=back), what the page says, by the payment's state now.
RETURNED = {("ok", "paid"): "thanks", ("ok", "payable"): "ok", ("back", "payable"): "back",
            ("back", "paid"): "paid"}


def _notice(kind: str, status: int, token: str | None = None) -> Response:
    appointment = app.context.get("appointment")
    if appointment is None:
        return html(status, pages.payment_page(kind, None, visit_href=None))
    facility = get_facility(appointment.facility_id)
    view = pages.VisitView.of(appointment, facility, visit_page.facts(appointment))
    return html(status, pages.payment_page(kind, view, visit_href=visit_link(appointment.appointment_id),
                                            pay_href=f"/p/{token}" if token else None))


@app.get("/p/<token>")
def pay(token: str) -> Response:
    appointment = visit_page.open_link(token, purpose="p")
    app.append_context(appointment=appointment)
    returned = app.current_event.get_query_string_value("s")
    state = checkout.payment_state(appointment)
    if (returned, state) in RETURNED:
        # Back from the checkout: only the wording depends on ?s=, never what happened.
        kind = RETURNED[(returned, state)]
        return _notice(kind, 200, token if kind == "back" else None)
    url = checkout.open_checkout(appointment)
    logger.info("checkout opened", extra={"appointment_id": appointment.appointment_id})
    return html(303, "", Location=url)


@app.exception_handler(DomainError)
def problem(error: DomainError) -> Response:
    found = link_problem(error, visit_page.clinic_phone)
    if found:
        return found
    if isinstance(error, InvalidTransition) and error.current_status in STATUS_OF_STATE:
        return _notice(error.current_status, STATUS_OF_STATE[error.current_status])
    if isinstance(error, PaymentUnavailable):
        logger.warning("payment provider unavailable", extra={"error": error.message})
        return _notice("unavailable", 503)
    return html(409, pages.problem_page("changed"))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
def lambda_handler(event, context):
    return app.resolve(event, context)
