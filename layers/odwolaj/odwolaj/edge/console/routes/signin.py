"""Signing in (password, a new password, the TOTP code or its set-up) and signing out. Each step's
page is shown only to a browser whose sign-in (its cookie) is at that step; any other starts again."""
from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools.event_handler import Response

from odwolaj.data.models import ConsoleSession
from odwolaj.edge.console import http, pages
from odwolaj.edge.console.pages import NOTICES, SIGNIN_PROBLEMS
from odwolaj.edge.console.routes.common import ConsoleRouter, form_expired, logger
from odwolaj.edge.requests import body_text
from odwolaj.edge.web.forms import parse_form
from odwolaj.security import sessions, signin
from odwolaj.usecases import console

router = ConsoleRouter()

STEP_PAGES = {"new_password": "/panel/nowe-haslo", "totp": "/panel/kod", "totp_setup": "/panel/weryfikacja",
              "totp_offer": "/panel/weryfikacja"}
SETUP = ("totp_setup", "totp_offer")


def _after(step: signin.Step, retry: str) -> Response:
    """The answer to a sign-in step: the next page (with its cookie), the panel, or `retry`'s page
    again with the problem."""
    if step.kind == "signed_in":
        logger.info("signed in", extra={"staff_sub": step.user.sub if step.user else None})
        return http.see_other("/panel", cookies=[http.cookie(http.SESSION_COOKIE, step.cookie or ""),
                                                 http.cleared(http.SIGNIN_COOKIE)])
    if step.kind in STEP_PAGES:
        return http.see_other(STEP_PAGES[step.kind], cookies=[http.cookie(http.SIGNIN_COOKIE, step.cookie or "")])
    logger.info("sign-in step refused", extra={"reason": step.reason, "step": retry})
    if step.reason in ("expired", "no_access"):
        return http.see_other(f"/panel/logowanie?powod={step.reason}", cookies=[http.cleared(http.SIGNIN_COOKIE)])
    return _retry_page(retry, step.reason)


def _retry_page(page: str, reason: str) -> Response:
    problem = SIGNIN_PROBLEMS[reason]
    status = 429 if reason == "locked" else 400
    pending = sessions.signin(router.cookie(http.SIGNIN_COOKIE))
    if page == "password":
        email = parse_form(body_text(router.current_event)).get("email", "")
        return http.html(401 if reason == "bad_credentials" else status,
                         pages.sign_in_page(console.signin_form_token(), problem=problem, email=email))
    if pending is None:
        return _restart()
    if page == "new_password":
        return http.html(status, pages.new_password_page(pending.csrf, problem=problem))
    if page == "totp":
        return http.html(status, pages.code_page(pending.csrf, problem=problem))
    return http.html(status, _setup_page(pending, problem))


def _pending(step: str | tuple[str, ...]) -> ConsoleSession | None:
    steps = (step,) if isinstance(step, str) else step
    pending = sessions.signin(router.cookie(http.SIGNIN_COOKIE))
    return pending if pending is not None and pending.step in steps else None


def _restart() -> Response:
    return http.see_other("/panel/logowanie?powod=expired", cookies=[http.cleared(http.SIGNIN_COOKIE)])


def _setup_page(pending: ConsoleSession, problem: str | None = None) -> str:
    import segno  # only the two-step set-up draws a QR code: no other page pays for the import

    uri = signin.otpauth_uri(pending.totp_secret or "", pending.email or "")
    qr = segno.make(uri, error="m").svg_inline(scale=4, dark="#111", light="#fff", omitsize=False)
    qr = qr.replace("<svg ", '<svg role="img" aria-label="Kod QR do dodania Odwołaj w aplikacji" ', 1)
    return pages.totp_setup_page(pending.csrf, secret=pending.totp_secret or "", uri=uri, qr_svg=qr,
                                 optional=pending.step == "totp_offer", problem=problem)


def _shown(steps: str | tuple[str, ...], page: Callable[[ConsoleSession], str]) -> Response:
    """A sign-in step's page, for a browser whose sign-in is at that step."""
    pending = _pending(steps)
    return _restart() if pending is None else http.html(200, page(pending))


def _answered(steps: str | tuple[str, ...], answer: Callable[[ConsoleSession, dict[str, str]], signin.Step],
              retry: str) -> Response:
    """A sign-in step's form: the record and its token checked, the answer given, the next page."""
    pending = _pending(steps)
    form = router.form(pending)
    if pending is None or form is None:
        return _restart()
    return _after(answer(pending, form), retry)


@router.get("/panel/logowanie")
def sign_in_form() -> Response:
    reason = router.query().get("powod", "")
    notice = NOTICES.get(reason)
    problem = SIGNIN_PROBLEMS.get(reason) if reason in ("expired", "no_access") else None
    return http.html(200, pages.sign_in_page(console.signin_form_token(), problem=problem, notice=notice))


@router.post("/panel/logowanie")
def sign_in() -> Response:
    event = router.current_event
    form = parse_form(body_text(event))
    if router.cross_site() or not console.signin_form_is_genuine(form.get("csrf")):
        return http.html(403, pages.sign_in_page(console.signin_form_token(), problem=SIGNIN_PROBLEMS["form_expired"],
                                                 email=form.get("email", "")))
    step = console.sign_in(form.get("email", ""), form.get("password", ""), event.request_context.http.source_ip)
    return _after(step, "password")


@router.get("/panel/nowe-haslo")
def new_password_form() -> Response:
    return _shown("new_password", lambda pending: pages.new_password_page(pending.csrf))


@router.post("/panel/nowe-haslo")
def new_password() -> Response:
    return _answered("new_password", lambda pending, form: console.set_new_password(
        pending, form.get("password", ""), form.get("repeated", "")), "new_password")


@router.get("/panel/kod")
def code_form() -> Response:
    return _shown("totp", lambda pending: pages.code_page(pending.csrf))


@router.post("/panel/kod")
def code() -> Response:
    return _answered("totp", lambda pending, form: console.enter_code(pending, form.get("code", "")), "totp")


@router.get("/panel/weryfikacja")
def totp_setup_form() -> Response:
    return _shown(SETUP, _setup_page)


@router.post("/panel/weryfikacja")
def totp_setup() -> Response:
    return _answered(SETUP, lambda pending, form: console.set_up_totp(pending, form.get("code", "")), "totp_setup")


@router.post("/panel/weryfikacja/pomin")
def totp_skip() -> Response:
    return _answered("totp_offer", lambda pending, _form: console.skip_totp(pending), "totp_setup")


@router.post("/panel/wyloguj")
def sign_out() -> Response:
    raw = router.cookie(http.SESSION_COOKIE)
    session = sessions.current(raw)
    if session is not None and router.form(session) is None:
        return form_expired(session)
    console.sign_out(raw, session)
    return http.see_other("/panel/logowanie?powod=wylogowano", cookies=[http.cleared(http.SESSION_COOKIE)])
