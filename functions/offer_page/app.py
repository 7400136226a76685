"""The reserve-list offer page (/o/{token}): take the freed slot or decline it.

GET only reads; a button posts, the domain answers the offer, and the answer is a 303 back to the
page, which then shows what became of it (Post/Redirect/Get). No JavaScript; forms carry a token
bound to the offer and the answer, and cross-site posts are refused, as on the visit page.
"""
from urllib.parse import urlsplit

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths

from odwolaj.core.config import check_environment, settings
from odwolaj.core.errors import DomainError
from odwolaj.edge.web import offers as offer_pages, pages
from odwolaj.edge.web.forms import is_cross_site, posted_form
from odwolaj.edge.web.responses import html, link_problem, patient_pages
from odwolaj.reserve import page as offer_use_cases
from odwolaj.usecases.visit_page import clinic_phone

check_environment()
logger = Logger()
tracer = Tracer()
app = patient_pages(logger, "offer page", clinic_phone)


# After a yes that came too late, the redirect says so: a no that stands would otherwise read as
# "thank you for your answer" to the patient who just pressed "Jednak biorę".
TOO_LATE = ("odpowiedz", "za-pozno")


@app.get("/o/<token>")
def show_offer(token: str) -> Response:
    view = offer_use_cases.open_link(token)
    too_late = app.current_event.get_query_string_value(TOO_LATE[0]) == TOO_LATE[1]
    return html(200, offer_pages.offer_page(view, offer_use_cases.form_tokens(view.offer.offer_id),
                                            too_late=too_late))


@app.post("/o/<token>")
def answer_offer(token: str) -> Response:
    view = offer_use_cases.open_link(token)
    event = app.current_event
    own_hosts = {event.headers.get("host", "").lower(), urlsplit(settings().public_base_url).netloc.lower()}
    form = posted_form(event)
    action = form.get("action", "")
    if is_cross_site(event.headers, own_hosts) or not offer_use_cases.form_is_genuine(
            view.offer.offer_id, action, form.get("csrf")):
        logger.warning("offer form refused", extra={"offer_id": view.offer.offer_id})
        return html(403, pages.problem_page("form_expired", back=f"/o/{token}"))
    result = offer_use_cases.act(view, action)
    logger.info("offer answered", extra={"offer_id": view.offer.offer_id, "answer": result.answer.value,
                                         "changed": result.changed})
    query = f"?{TOO_LATE[0]}={TOO_LATE[1]}" if offer_use_cases.came_too_late(result) else ""
    return html(303, "", Location=f"/o/{token}{query}")


@app.exception_handler(DomainError)
def problem(error: DomainError) -> Response:
    found = link_problem(error, clinic_phone)
    if found:
        return found
    return html(400, pages.problem_page("bad_form"))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def lambda_handler(event, context):
    return app.resolve(event, context)
