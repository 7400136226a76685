"""The clinic console (/panel): staff sign in (password, then TOTP), see their facility's outcomes,
export them, and a manager manages the staff, reads the audit log and changes the settings.

The routes are Powertools routers in `odwolaj.edge.console.routes`, one a part of the panel. GET
only reads. Every form posts with its session's (or sign-in's) anti-CSRF token and is refused
when the browser says another site sent it; a change answers with a redirect (Post/Redirect/Get).
The facility is always the session's: no address or parameter names one. Domain errors become
pages here, in one place (`problem`). Logs carry subs, ids and codes, never an e-mail address.
"""
from __future__ import annotations

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths

from odwolaj.core.config import check_environment
from odwolaj.core.errors import Conflict, DomainError, Forbidden, NotFound, RateLimited
from odwolaj.edge.console import http, pages
from odwolaj.edge.console.pages import SIGNIN_PROBLEMS
from odwolaj.edge.console.routes import (
    bookings,
    outcomes,
    settings,
    signin,
    staff,
    today_board,
    waiting_list,
)
from odwolaj.edge.console.routes.common import FormRefused, SignInFirst, form_expired
from odwolaj.security import sessions
from odwolaj.usecases import console

check_environment()
logger = Logger()
tracer = Tracer()
app = APIGatewayHttpResolver()
for part in (signin, outcomes, staff, waiting_list, today_board, settings, bookings):
    app.include_router(part.router)


def _session_cookie() -> str | None:
    return http.cookie_value(app.current_event.cookies, http.SESSION_COOKIE)


@app.exception_handler(SignInFirst)
def sign_in_first(_error: SignInFirst) -> Response:
    had_session = _session_cookie() is not None
    target = "/panel/logowanie" + ("?powod=sesja" if had_session else "")
    return http.see_other(target, cookies=[http.cleared(http.SESSION_COOKIE)] if had_session else None)


@app.exception_handler(FormRefused)
def form_refused(error: FormRefused) -> Response:
    return form_expired(error.session)


@app.exception_handler(DomainError)
def problem(error: DomainError) -> Response:
    session = sessions.current(_session_cookie())
    logger.info("console request refused", extra={"code": error.code, "field": error.field})
    if isinstance(error, RateLimited):
        return http.html(429, pages.sign_in_page(console.signin_form_token(), problem=SIGNIN_PROBLEMS["too_many"]),
                         **{"Retry-After": "900"})
    if isinstance(error, Forbidden):
        return http.html(403, pages.problem_page("forbidden", session=session))
    if isinstance(error, NotFound):
        return http.html(404, pages.problem_page("not_found", session=session))
    if isinstance(error, Conflict):
        return http.html(409, pages.problem_page("conflict", session=session))
    return http.html(400, pages.problem_page("not_found", session=session, detail="Nieprawidłowy adres lub parametr."))


@app.not_found
def no_such_page(_error: Exception) -> Response:
    return http.html(404, pages.problem_page("not_found"))


@app.exception_handler(Exception)
def failure(_error: Exception) -> Response:
    logger.exception("console failed")
    return http.html(500, pages.problem_page("failure"))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True)
@tracer.capture_lambda_handler
def lambda_handler(event, context):
    return app.resolve(event, context)
