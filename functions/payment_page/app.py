"""The payment link (/p/{token}): opens the visit's Stripe Checkout Session (or the one already
open) and redirects to it; Stripe sends the patient back here with ?s=ok or ?s=back.

A paid, cancelled, expired or unknown link gets a Polish page and changes nothing. Domain errors
become pages in `problem` below, the one place that maps them to HTTP.
"""
from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths

from odwolaj import visits
from odwolaj.clock import parse_iso
from odwolaj.errors import DomainError, InvalidTransition, LinkExpired, LinkInvalid, NotFound, PaymentUnavailable
from odwolaj.facilities import get_facility
from odwolaj.links import visit_link
from odwolaj.payments import checkout
from odwolaj.web import pages
from odwolaj.web.polish import visit_time

logger = Logger()
app = APIGatewayHttpResolver()
RETURNS = ("ok", "back")
STATUS_OF_STATE = {"paid": 200, "in_progress": 200, "not_required": 200, "refunded": 200, "cancelled": 409,
                   "expired": 410, "over": 410}


def _html(status: int, body: str, **extra_headers: str) -> Response:
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=body,
                    headers=pages.security_headers() | extra_headers)


def _notice(kind: str, status: int, token: str | None = None) -> Response:
    appointment = app.context.get("appointment")
    if appointment is None:
        return _html(status, pages.payment_page(kind, None, visit_href=None))
    facility = get_facility(appointment.facility_id)
    view = pages.VisitView.of(appointment, facility)
    deadline = visit_time(checkout.deadline_of(appointment), view.timezone) if appointment.payment_amount else None
    return _html(status, pages.payment_page(kind, view, visit_href=visit_link(appointment.appointment_id),
                                            pay_href=f"/p/{token}" if token else None, deadline=deadline))


@app.get("/p/<token>")
def pay(token: str) -> Response:
    appointment = visits.open_link(token, purpose="p")
    app.append_context(appointment=appointment)
    returned = app.current_event.get_query_string_value("s")
    state = checkout.payment_state(appointment)
    if returned in RETURNS and state in ("payable", "paid"):
        # Back from Stripe: only the wording depends on ?s=, never what happened.
        kind = "paid" if state == "paid" else returned
        return _notice(kind, 200, token if kind == "back" else None)
    url = checkout.open_checkout(appointment)
    logger.info("checkout opened", extra={"appointment_id": appointment.appointment_id})
    return _html(303, "", Location=url)


@app.exception_handler(DomainError)
def problem(error: DomainError) -> Response:
    if isinstance(error, LinkExpired):
        return _html(410, pages.problem_page("expired"))
    if isinstance(error, (LinkInvalid, NotFound)):
        return _html(404, pages.problem_page("not_found"))
    if isinstance(error, InvalidTransition) and error.current_status in STATUS_OF_STATE:
        return _notice(error.current_status, STATUS_OF_STATE[error.current_status])
    if isinstance(error, PaymentUnavailable):
        logger.warning("payment provider unavailable", extra={"error": error.message})
        return _notice("unavailable", 503)
    return _html(409, pages.problem_page("changed"))


@app.exception_handler(Exception)
def failure(error: Exception) -> Response:
    logger.exception("payment page failed")
    return _html(500, pages.problem_page("failure"))


@app.not_found
def no_such_page(error: Exception) -> Response:
    return _html(404, pages.problem_page("not_found"))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
def lambda_handler(event, context):
    return app.resolve(event, context)
