"""The patient's visit page (/c/{token}) and the lookup by code and phone (/c).

GET only reads. A button posts, the domain acts, and the answer is a 303 to the page again
(Post/Redirect/Get), so a reload never resubmits; a resubmission would change nothing anyway.
Domain errors become pages in `problem` below, the one place that maps them to HTTP.
"""
from urllib.parse import urlsplit

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths

from odwolaj.core.clock import now
from odwolaj.core.config import check_environment, settings
from odwolaj.core.errors import Conflict, DomainError, InvalidInput, InvalidTransition, RateLimited
from odwolaj.edge.web import pages
from odwolaj.edge.web.forms import is_cross_site, posted_form
from odwolaj.edge.web.responses import html, link_problem, patient_pages
from odwolaj.security.facilities import get_facility
from odwolaj.usecases import visit_page

check_environment()
logger = Logger()
tracer = Tracer()
app = patient_pages(logger, "visit page", visit_page.clinic_phone)

DONE = {"cancel": "cancelled", "confirm": "confirmed", "rebook": "rebook"}


def _see_other(location: str) -> Response:
    return html(303, "", Location=location)


def _posted() -> tuple[dict[str, str], bool]:
    """The form, and whether the browser says another site sent it."""
    event = app.current_event
    own_hosts = {event.headers.get("host", "").lower(), urlsplit(settings().public_base_url).netloc.lower()}
    return posted_form(event), is_cross_site(event.headers, own_hosts)


@app.get("/c/<token>")
def show_visit(token: str) -> Response:
    appointment = visit_page.open_link(token)
    view = pages.VisitView.of(appointment, get_facility(appointment.facility_id), visit_page.facts(appointment))
    tokens = visit_page.form_tokens(appointment.appointment_id)
    stage = visit_page.stage(appointment)
    if stage == "open" and app.current_event.get_query_string_value("step") == pages.CANCEL_STEP:
        return html(200, pages.cancel_step_page(view, tokens["cancel"], visit_page.REASONS, back=f"/c/{token}"))
    page = pages.page_for_visit(view, stage=stage, done=app.current_event.get_query_string_value("done"),
                                form_tokens=tokens, thank=visit_page.cancelled_by_patient(appointment))
    return html(200, page)


@app.post("/c/<token>")
def act_on_visit(token: str) -> Response:
    appointment = visit_page.open_link(token)
    form, cross_site = _posted()
    action = form.get("action", "")
    if cross_site or not visit_page.form_is_genuine(appointment.appointment_id, action, form.get("csrf")):
        logger.warning("visit form refused", extra={"appointment_id": appointment.appointment_id,
                                                    "cross_site": cross_site})
        return html(403, pages.problem_page("form_expired", back=f"/c/{token}"))
    outcome = visit_page.act(appointment, action, form.get("reason"))
    logger.info("visit action", extra={"appointment_id": appointment.appointment_id, "action": action,
                                       "changed": outcome.changed})
    return _see_other(f"/c/{token}?done={DONE[action]}")


@app.get("/c")
def lookup_form() -> Response:
    return html(200, pages.lookup_page(visit_page.lookup_form_token()))


@app.post("/c")
def lookup() -> Response:
    try:
        form, cross_site = _posted()
    except InvalidInput:  # not UTF-8, or not our form: ask again
        return html(400, pages.lookup_page(visit_page.lookup_form_token(), problem=pages.LOOKUP_FORM_EXPIRED))
    typed = {"code": form.get("code", ""), "phone": form.get("phone", "")}

    def again(status: int, problem: str) -> Response:  # the form once more, with what was typed
        return html(status, pages.lookup_page(visit_page.lookup_form_token(), problem=problem, **typed))

    if cross_site or not visit_page.lookup_form_is_genuine(form.get("csrf")):
        return again(403, pages.LOOKUP_FORM_EXPIRED)
    try:
        answer = visit_page.lookup(typed["code"], typed["phone"], app.current_event.request_context.http.source_ip)
    except InvalidInput:
        return again(400, pages.LOOKUP_BAD_PHONE)
    # Whether it matched, never what was typed: codes and phone numbers stay out of the logs.
    logger.info("visit lookup", extra={"found": answer.token is not None, "by_sms": answer.by_sms})
    if answer.by_sms:
        return again(200, pages.LOOKUP_SENT_BY_SMS)
    if answer.token is None:
        return again(200, pages.LOOKUP_NOT_FOUND)
    return _see_other(f"/c/{answer.token}")


@app.exception_handler(DomainError)
def problem(error: DomainError) -> Response:
    path = app.current_event.path
    back = path if path.startswith("/c/") else None
    found = link_problem(error, visit_page.clinic_phone)
    if found:
        return found
    if isinstance(error, InvalidTransition):
        return html(409, pages.transition_page(error.current_status, back=back or "/c"))
    if isinstance(error, Conflict):
        return html(409, pages.problem_page("changed", back=back))
    if isinstance(error, RateLimited):
        retry_after = max(1, int((error.retry_at - now()).total_seconds())) if error.retry_at else 900
        return html(429, pages.lockout_page(error.retry_at, phone=visit_page.clinic_phone()),
                    **{"Retry-After": str(retry_after)})
    return html(400, pages.problem_page("bad_form", back=back))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def lambda_handler(event, context):
    return app.resolve(event, context)
