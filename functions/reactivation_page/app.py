"""The campaign patient's page (/r/{token}): say what you need, ask for a call, take an open slot,
or say no thank you. GET only reads; each button posts and the answer is a 303 back to the page
(Post/Redirect/Get). No JavaScript; forms carry a token bound to the member and the action, and
cross-site posts are refused, as on the visit page."""
from urllib.parse import urlsplit

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.logging import correlation_paths

from odwolaj.campaigns import page as campaign_page
from odwolaj.core.config import check_environment, settings
from odwolaj.core.errors import DomainError
from odwolaj.edge.requests import body_text
from odwolaj.edge.web import pages, reactivation
from odwolaj.edge.web.forms import is_cross_site, parse_form
from odwolaj.edge.web.responses import html, link_problem, patient_pages

check_environment()
logger = Logger()
tracer = Tracer()
app = patient_pages(logger, "reactivation page")


@app.get("/r/<token>")
def show(token: str) -> Response:
    view = campaign_page.open_link(token)
    done = (app.current_event.query_string_parameters or {}).get("done")
    return html(200, reactivation.page(view, campaign_page.form_tokens(view.member.member_id), done=done))


@app.post("/r/<token>")
def answer(token: str) -> Response:
    view = campaign_page.open_link(token)
    event = app.current_event
    own_hosts = {event.headers.get("host", "").lower(), urlsplit(settings().public_base_url).netloc.lower()}
    form = parse_form(body_text(event))
    action = form.get("action", "")
    if is_cross_site(event.headers, own_hosts) or not campaign_page.form_is_genuine(
            view.member.member_id, action, form.get("csrf")):
        logger.warning("reactivation form refused", extra={"member_id": view.member.member_id})
        return html(403, pages.problem_page("form_expired", back=f"/r/{token}"))
    outcome = campaign_page.act(view, action, form)
    logger.info("reactivation answered", extra={"member_id": view.member.member_id, "outcome": outcome})
    return html(303, "", Location=f"/r/{token}?done={outcome}")


@app.exception_handler(DomainError)
def problem(error: DomainError) -> Response:
    found = link_problem(error)
    if found:
        return found
    return html(400, pages.problem_page("bad_form"))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def lambda_handler(event, context):
    return app.resolve(event, context)
