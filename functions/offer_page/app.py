"""The reserve-list offer page (/o/{token}): take the freed slot or decline it.

GET only reads; a button posts, the domain answers the offer, and the answer is a 303 back to the
page, which then shows what became of it (Post/Redirect/Get). No JavaScript; forms carry a token
bound to the offer and the answer, and cross-site posts are refused, as on the visit page.
"""
from urllib.parse import urlsplit

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths

from odwolaj.config import settings
from odwolaj.errors import DomainError, LinkExpired, LinkInvalid, NotFound
from odwolaj.reserve import page as offer_use_cases
from odwolaj.web import offers as offer_pages
from odwolaj.web import pages
from odwolaj.web.forms import is_cross_site, parse_form

logger = Logger()
app = APIGatewayHttpResolver()


def _html(status: int, body: str, **extra_headers: str) -> Response:
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=body,
                    headers=pages.security_headers() | extra_headers)


@app.get("/o/<token>")
def show_offer(token: str) -> Response:
    view = offer_use_cases.open_link(token)
    return _html(200, offer_pages.offer_page(view, offer_use_cases.form_tokens(view.offer.offer_id)))


@app.post("/o/<token>")
def answer_offer(token: str) -> Response:
    view = offer_use_cases.open_link(token)
    event = app.current_event
    own_hosts = {event.headers.get("host", "").lower(), urlsplit(settings().public_base_url).netloc.lower()}
    form = parse_form(event.decoded_body)
    action = form.get("action", "")
    if is_cross_site(event.headers, own_hosts) or not offer_use_cases.form_is_genuine(
            view.offer.offer_id, action, form.get("csrf")):
        logger.warning("offer form refused", extra={"offer_id": view.offer.offer_id})
        return _html(403, pages.problem_page("form_expired", back=f"/o/{token}"))
    result = offer_use_cases.act(view, action)
    logger.info("offer answered", extra={"offer_id": view.offer.offer_id, "answer": result.answer.value,
                                         "changed": result.changed})
    return _html(303, "", Location=f"/o/{token}")


@app.exception_handler(DomainError)
def problem(error: DomainError) -> Response:
    if isinstance(error, LinkExpired):
        return _html(410, pages.problem_page("expired"))
    if isinstance(error, (LinkInvalid, NotFound)):
        return _html(404, pages.problem_page("not_found"))
    return _html(400, pages.problem_page("bad_form"))


@app.exception_handler(Exception)
def failure(error: Exception) -> Response:
    logger.exception("offer page failed")
    return _html(500, pages.problem_page("failure"))


@app.not_found
def no_such_page(error: Exception) -> Response:
    return _html(404, pages.problem_page("not_found"))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event, context):
    return app.resolve(event, context)
