"""What every console route reads from its request: the signed-in person (or a redirect to the
sign-in page), the posted form when it is genuine (this site, the session's anti-CSRF token), the
query. `SignInFirst` and `FormRefused` end a request; the handler turns them into their pages."""
from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from odwolaj.core.clock import WARSAW, now
from odwolaj.core.config import settings
from odwolaj.data.models import ConsoleSession
from odwolaj.edge.console import http, pages
from odwolaj.edge.requests import body_text
from odwolaj.edge.web.forms import is_cross_site, parse_form
from odwolaj.security import sessions
from odwolaj.usecases import console

# The service's logger (POWERTOOLS_SERVICE_NAME): the same one as the handler's, with its level,
# handler and the keys either appends (Powertools shares one Logger per service name).
logger = Logger()


class SignInFirst(Exception):
    """No signed-in session: the sign-in page."""


class FormRefused(Exception):
    """A form that is not genuine: the 403 page, with the session's navigation."""

    def __init__(self, session: ConsoleSession):
        super().__init__("form refused")
        self.session = session


class ConsoleRouter(APIGatewayHttpRouter):
    """A part of the console's routes, with the request helpers they share."""

    def cookie(self, name: str) -> str | None:
        return http.cookie_value(self.current_event.cookies, name)

    def query(self) -> dict[str, str]:
        return self.current_event.query_string_parameters or {}

    def cross_site(self) -> bool:
        """Whether the browser says another site sent this request."""
        event = self.current_event
        own_hosts = {event.headers.get("host", "").lower(), urlsplit(settings().public_base_url).netloc.lower()}
        return is_cross_site(event.headers, own_hosts)

    def session(self) -> ConsoleSession:
        """The signed-in person, or a redirect to the sign-in page."""
        found = sessions.current(self.cookie(http.SESSION_COOKIE))
        if found is None:
            raise SignInFirst()
        logger.append_keys(staff_sub=found.sub, facility_id=found.facility_id)
        return found

    def form(self, record: ConsoleSession | None, posted: dict[str, str] | None = None) -> dict[str, str] | None:
        """The posted form (urlencoded, or the `posted` fields of a multipart one), or None when it is
        not genuine (another site, no or a wrong token)."""
        form = parse_form(body_text(self.current_event)) if posted is None else posted
        if self.cross_site() or record is None or not sessions.form_is_genuine(record, form.get("csrf")):
            return None
        return form

    def posted(self, what: str) -> tuple[ConsoleSession, dict[str, str]]:
        """The signed-in person, allowed to use `what`, and their genuine form (else the 403 page)."""
        session = self.session()
        console.require(session, what)
        form = self.form(session)
        if form is None:
            raise FormRefused(session)
        return session, form


def today() -> date:
    return now().astimezone(WARSAW).date()


def form_expired(session: ConsoleSession | None = None) -> Response:
    logger.warning("console form refused")
    return http.html(403, pages.problem_page("form_expired", session=session))
