"""What every patient page (visit, payment, offer) answers alike: HTML with the security headers,
a link that expired or never existed, an unknown address, and an unexpected failure (logged with
its trace, never with the request)."""
from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from odwolaj.core.errors import LinkExpired, LinkInvalid, NotFound
from odwolaj.edge.web import pages


def html(status: int, body: str, **extra_headers: str) -> Response:
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=body,
                    headers=pages.security_headers() | extra_headers)


PhoneOf = Callable[[], "str | None"]


def no_phone() -> str | None:
    return None


def link_problem(error: Exception, clinic_phone: PhoneOf = no_phone) -> Response | None:
    """The page for a link that expired or leads nowhere; None for any other error. `clinic_phone`
    gives the number to call when no visit says whose clinic it is (None: the page says where to
    find it)."""
    if isinstance(error, LinkExpired):
        return html(410, pages.problem_page("expired", phone=clinic_phone()))
    if isinstance(error, (LinkInvalid, NotFound)):
        return html(404, pages.not_found_page(phone=clinic_phone()))
    return None


def patient_pages(logger, name: str, clinic_phone: PhoneOf = no_phone) -> APIGatewayHttpResolver:
    """A resolver whose unknown addresses and unexpected failures answer with the Polish pages.
    A page's own handler for DomainError still wins for those (Powertools picks the closest type)."""
    app = APIGatewayHttpResolver()

    @app.exception_handler(Exception)
    def failure(error: Exception) -> Response:
        logger.exception(f"{name} failed")
        return html(500, pages.problem_page("failure"))

    @app.not_found
    def no_such_page(error: Exception) -> Response:
        return html(404, pages.not_found_page(phone=clinic_phone()))

    return app
