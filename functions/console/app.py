"""The clinic console (/panel): staff sign in (password, then TOTP), see their facility's outcomes,
export them, and a manager manages the staff, reads the audit log and changes the settings.

GET only reads. Every form posts with its session's (or sign-in's) anti-CSRF token and is refused
when the browser says another site sent it; a change answers with a redirect (Post/Redirect/Get).
The facility is always the session's: no address or parameter names one. Domain errors become
pages in one place (`problem`). Logs carry subs, ids and codes, never an e-mail address.
"""
from __future__ import annotations

import base64
import re
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial
from urllib.parse import quote, urlsplit

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths

from odwolaj.core.clock import WARSAW, now
from odwolaj.core.config import check_environment, settings
from odwolaj.core.errors import Conflict, DomainError, Forbidden, InvalidInput, InvalidTransition, NotFound, RateLimited
from odwolaj.data.models import ConsoleSession
from odwolaj.edge.console import (
    bookings as bookings_pages,
    exports,
    http,
    pages,
    rules as rules_pages,
    sms_texts,
    today,
    waiting,
)
from odwolaj.edge.console.dashboard import dashboard_page
from odwolaj.edge.console.forms import grosze
from odwolaj.edge.console.pages import NOTICES, SIGNIN_PROBLEMS
from odwolaj.edge.console.tables import period_label, tables
from odwolaj.edge.requests import body_text
from odwolaj.edge.web.forms import is_cross_site, parse_form
from odwolaj.language.message_overrides import OverrideRefused
from odwolaj.reserve.entries import DuplicateReferral
from odwolaj.security import sessions, signin
from odwolaj.security.staff import AccountExists, AlreadyOnStaff
from odwolaj.usecases import (
    clinic_settings,
    console,
    console_waiting,
    manual_bookings,
    today_board as today_board_usecase,
)

check_environment()
logger = Logger()
tracer = Tracer()
app = APIGatewayHttpResolver()

STEP_PAGES = {"new_password": "/panel/nowe-haslo", "totp": "/panel/kod", "totp_setup": "/panel/weryfikacja",
              "totp_offer": "/panel/weryfikacja"}
DASHBOARD_PARAMS = {"od", "do", "zakres"}
DEFAULT_DAYS = 30


class _SignInFirst(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Request helpers


def _cookie(name: str) -> str | None:
    return http.cookie_value(app.current_event.cookies, name)


def _session() -> ConsoleSession:
    """The signed-in person, or a redirect to the sign-in page."""
    found = sessions.current(_cookie(http.SESSION_COOKIE))
    if found is None:
        raise _SignInFirst()
    logger.append_keys(staff_sub=found.sub, facility_id=found.facility_id)
    return found


def _form(record: ConsoleSession | None, posted: dict[str, str] | None = None) -> dict[str, str] | None:
    """The posted form (urlencoded, or the `posted` fields of a multipart one), or None when it is
    not genuine (another site, no or a wrong token)."""
    event = app.current_event
    own_hosts = {event.headers.get("host", "").lower(), urlsplit(settings().public_base_url).netloc.lower()}
    form = parse_form(body_text(event)) if posted is None else posted
    if is_cross_site(event.headers, own_hosts) or record is None or not sessions.form_is_genuine(record,
                                                                                                  form.get("csrf")):
        return None
    return form


def _query() -> dict[str, str]:
    return app.current_event.query_string_parameters or {}


def _today() -> date:
    return now().astimezone(WARSAW).date()


def _form_expired(session: ConsoleSession | None = None) -> Response:
    logger.warning("console form refused")
    return http.html(403, pages.problem_page("form_expired", session=session))


# ---------------------------------------------------------------------------------------------
# Signing in


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
    pending = sessions.signin(_cookie(http.SIGNIN_COOKIE))
    if page == "password":
        email = parse_form(body_text(app.current_event)).get("email", "")
        return http.html(401 if reason == "bad_credentials" else status,
                         pages.sign_in_page(console.signin_form_token(), problem=problem, email=email))
    if pending is None:
        return http.see_other("/panel/logowanie?powod=expired", cookies=[http.cleared(http.SIGNIN_COOKIE)])
    if page == "new_password":
        return http.html(status, pages.new_password_page(pending.csrf, problem=problem))
    if page == "totp":
        return http.html(status, pages.code_page(pending.csrf, problem=problem))
    return http.html(status, _setup_page(pending, problem))


def _pending(step: str | tuple[str, ...]) -> ConsoleSession | None:
    steps = (step,) if isinstance(step, str) else step
    pending = sessions.signin(_cookie(http.SIGNIN_COOKIE))
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


@app.get("/panel/logowanie")
def sign_in_form() -> Response:
    reason = _query().get("powod", "")
    notice = NOTICES.get(reason)
    problem = SIGNIN_PROBLEMS.get(reason) if reason in ("expired", "no_access") else None
    return http.html(200, pages.sign_in_page(console.signin_form_token(), problem=problem, notice=notice))


@app.post("/panel/logowanie")
def sign_in() -> Response:
    event = app.current_event
    form = parse_form(body_text(event))
    own_hosts = {event.headers.get("host", "").lower(), urlsplit(settings().public_base_url).netloc.lower()}
    if is_cross_site(event.headers, own_hosts) or not console.signin_form_is_genuine(form.get("csrf")):
        return http.html(403, pages.sign_in_page(console.signin_form_token(), problem=SIGNIN_PROBLEMS["form_expired"],
                                                 email=form.get("email", "")))
    step = console.sign_in(form.get("email", ""), form.get("password", ""), event.request_context.http.source_ip)
    return _after(step, "password")


def _shown(steps: str | tuple[str, ...], page: Callable[[ConsoleSession], str]) -> Response:
    """A sign-in step's page, for a browser whose sign-in is at that step."""
    pending = _pending(steps)
    return _restart() if pending is None else http.html(200, page(pending))


def _answered(steps: str | tuple[str, ...], answer: Callable[[ConsoleSession, dict], signin.Step],
              retry: str) -> Response:
    """A sign-in step's form: the record and its token checked, the answer given, the next page."""
    pending = _pending(steps)
    form = _form(pending)
    if pending is None or form is None:
        return _restart()
    return _after(answer(pending, form), retry)


SETUP = ("totp_setup", "totp_offer")


@app.get("/panel/nowe-haslo")
def new_password_form() -> Response:
    return _shown("new_password", lambda pending: pages.new_password_page(pending.csrf))


@app.post("/panel/nowe-haslo")
def new_password() -> Response:
    return _answered("new_password", lambda pending, form: console.set_new_password(
        pending, form.get("password", ""), form.get("repeated", "")), "new_password")


@app.get("/panel/kod")
def code_form() -> Response:
    return _shown("totp", lambda pending: pages.code_page(pending.csrf))


@app.post("/panel/kod")
def code() -> Response:
    return _answered("totp", lambda pending, form: console.enter_code(pending, form.get("code", "")), "totp")


@app.get("/panel/weryfikacja")
def totp_setup_form() -> Response:
    return _shown(SETUP, _setup_page)


@app.post("/panel/weryfikacja")
def totp_setup() -> Response:
    return _answered(SETUP, lambda pending, form: console.set_up_totp(pending, form.get("code", "")), "totp_setup")


@app.post("/panel/weryfikacja/pomin")
def totp_skip() -> Response:
    return _answered("totp_offer", lambda pending, _form: console.skip_totp(pending), "totp_setup")


@app.post("/panel/wyloguj")
def sign_out() -> Response:
    raw = _cookie(http.SESSION_COOKIE)
    session = sessions.current(raw)
    if session is not None and _form(session) is None:
        return _form_expired(session)
    console.sign_out(raw, session)
    return http.see_other("/panel/logowanie?powod=wylogowano", cookies=[http.cleared(http.SESSION_COOKIE)])


# ---------------------------------------------------------------------------------------------
# The dashboard and its exports


def _period_and_scope() -> tuple[date, date, str, str | None]:
    """(first day, last day, scope, a problem to show) from the query; defaults: the last 30 days."""
    query = _query()
    unknown = sorted(set(query) - DASHBOARD_PARAMS)
    if unknown:
        raise InvalidInput(f"unknown query parameter(s): {', '.join(unknown)}", field=unknown[0])
    today = _today()
    first, last, problem = today - timedelta(days=DEFAULT_DAYS - 1), today, None
    if "od" in query or "do" in query:
        try:
            first, last = date.fromisoformat(query.get("od", "")), date.fromisoformat(query.get("do", ""))
        except ValueError:
            problem = "Podaj daty od i do (dzień, miesiąc, rok). Pokazujemy ostatnie 30 dni."
        else:
            if last < first or (last - first).days >= 366:
                first, last = today - timedelta(days=DEFAULT_DAYS - 1), today
                problem = ("Okres może mieć od 1 dnia do roku, a „do” nie może być przed „od”. "
                           "Pokazujemy ostatnie 30 dni.")
    return first, last, query.get("zakres", ""), problem


@app.get("/panel")
def dashboard() -> Response:
    session = _session()
    first, last, scope, problem = _period_and_scope()
    found = console.dashboard(session, first, last, scope)
    return http.html(200, dashboard_page(session, found.facility, found.figures, scope=scope, today=_today(),
                                         problem=problem))


@app.get("/panel/eksport/<name>")
def export(name: str) -> Response:
    session = _session()
    found = re.fullmatch(r"([a-z-]+)\.(csv|xlsx)", name)
    if not found:
        raise NotFound("no such export")
    key, fmt = found.groups()
    first, last, scope, _problem = _period_and_scope()
    found = console.dashboard(session, first, last, scope)
    every = tables(found.figures)
    chosen = every if key == "wszystko" and fmt == "xlsx" else [t for t in every if t.key == key]
    if not chosen:
        raise NotFound("no such table")
    filename = f"odwolaj-{key}-{first.isoformat()}-{last.isoformat()}.{fmt}"
    logger.info("export", extra={"table": key, "format": fmt})
    if fmt == "csv":
        return http.download(exports.to_csv(chosen[0]), exports.CSV, filename)
    title = f"Odwołaj – {found.facility} – {period_label(first, last)}"
    return http.download(exports.to_xlsx(chosen, title), exports.XLSX, filename)


@app.get("/panel/definicje")
def definitions() -> Response:
    session = _session()
    console.require(session, "dashboard")
    return http.html(200, pages.definitions_page(session, console.late_threshold(session)))


# ---------------------------------------------------------------------------------------------
# Staff


STAFF_PROBLEMS = {
    AlreadyOnStaff: "Ta osoba już jest w zespole.",
    AccountExists: "Ten adres ma już konto w Odwołaj (w tej albo innej przychodni).",
}
STAFF_NOTICES = {"wyslano": "Zaproszenie wysłane.", "zmieniono": "Zapisano zmianę."}


@app.get("/panel/zespol")
def staff_list() -> Response:
    session = _session()
    notice = STAFF_NOTICES.get(_query().get("ok", ""))
    return http.html(200, pages.staff_page(session, console.staff_list(session), notice=notice))


@app.post("/panel/zespol")
def invite() -> Response:
    session = _session()
    form = _form(session)
    if form is None:
        return _form_expired(session)
    email, role = form.get("email", ""), form.get("role", "")
    try:
        invited = console.invite(session, email, role)
    except InvalidInput as error:
        message = STAFF_PROBLEMS.get(type(error)) or (
            "Wybierz rolę." if error.field == "role" else "Sprawdź adres e-mail, np. jan.kowalski@przychodnia.pl.")
        return http.html(400, pages.staff_page(session, console.staff_list(session), problem=message, email=email,
                                               role=role or "reception"))
    logger.info("staff invited", extra={"invited_sub": invited.member.sub, "emailed": invited.emailed})
    if invited.emailed:
        return http.see_other("/panel/zespol?ok=wyslano")
    notice = (f"Konto utworzone. E-mail nie jest skonfigurowany, więc przekaż osobiście hasło tymczasowe: "
              f"{invited.temporary_password} (ważne 3 dni, pokazujemy je tylko raz).")
    return http.html(200, pages.staff_page(session, console.staff_list(session), notice=notice))


@app.post("/panel/zespol/<sub>")
def change_person(sub: str) -> Response:
    session = _session()
    form = _form(session)
    if form is None:
        return _form_expired(session)
    action = form.get("action", "")
    if action == "resend":
        invited = console.resend_invitation(session, sub)
        if not invited.emailed:
            notice = f"Nowe hasło tymczasowe do przekazania osobiście: {invited.temporary_password}"
            return http.html(200, pages.staff_page(session, console.staff_list(session), notice=notice))
        return http.see_other("/panel/zespol?ok=wyslano")
    console.change_staff(session, sub, action, form.get("role"))
    logger.info("staff changed", extra={"target_sub": sub, "action": action})
    return http.see_other("/panel/zespol?ok=zmieniono")


# ---------------------------------------------------------------------------------------------
# Audit log and settings


@app.get("/panel/dziennik")
def audit_log() -> Response:
    session = _session()
    page = console.audit_log(session, _query().get("przed"))
    return http.html(200, pages.audit_page(session, page.entries, page.names, page.next_before))


# ---------------------------------------------------------------------------------------------
# The waiting list and today's board (part 2: reception and the manager)


class _FormRefused(Exception):
    def __init__(self, session: ConsoleSession):
        super().__init__("form refused")
        self.session = session


def _posted(what: str) -> tuple[ConsoleSession, dict[str, str]]:
    """The signed-in person, allowed to use `what`, and their genuine form (else the 403 page)."""
    session = _session()
    console.require(session, what)
    form = _form(session)
    if form is None:
        raise _FormRefused(session)
    return session, form


@app.exception_handler(_FormRefused)
def form_refused(error: _FormRefused) -> Response:
    return _form_expired(error.session)


def _waiting_list_page(session: ConsoleSession, service: str, status: int = 200, **shown) -> Response:
    found = console_waiting.waiting_list(session, service)
    return http.html(status, waiting.list_page(session, found.service, found.services, found.entries, **shown))


@app.get("/panel/lista")
def waiting_list() -> Response:
    session = _session()
    return _waiting_list_page(session, _query().get("usluga", ""), notice=waiting.NOTICES.get(_query().get("ok", "")))


@app.post("/panel/lista")
def add_waiting_entry() -> Response:
    session, form = _posted("waiting_list")
    try:
        payload = waiting.entry_payload(form, entered_by=(session.email or session.sub or "")[:120])
        entry = console_waiting.add_entry(session, payload)
    except (InvalidInput, DuplicateReferral) as error:
        problem = waiting.DUPLICATE if isinstance(error, DuplicateReferral) else waiting.ENTRY_PROBLEMS.get(
            error.field or "", waiting.ENTRY_PROBLEMS["patient"])
        return _waiting_list_page(session, form.get("service", ""), 400, values=waiting.typed(form), problem=problem)
    logger.info("waiting-list entry added", extra={"entry_id": entry.entry_id})
    return http.see_other(f"/panel/lista/{entry.entry_id}?ok=dopisano")


def _entry_page(session: ConsoleSession, entry_id: str, status: int = 200, **shown) -> Response:
    found = console_waiting.entry_page(session, entry_id)
    return http.html(status, waiting.entry_page(session, found.entry, found.position, found.offers, **shown))


@app.get("/panel/lista/<entry_id>")
def waiting_entry(entry_id: str) -> Response:
    session = _session()
    return _entry_page(session, entry_id, notice=waiting.NOTICES.get(_query().get("ok", "")))


@app.post("/panel/lista/<entry_id>/skresl")
def strike_off_entry(entry_id: str) -> Response:
    session, form = _posted("waiting_list")
    try:
        console_waiting.strike_off(session, entry_id, form.get("reason", ""))
    except InvalidInput:
        return _entry_page(session, entry_id, 400, problem=waiting.ENTRY_PROBLEMS["reason_strike"])
    logger.info("waiting-list entry struck off", extra={"entry_id": entry_id, "reason": form.get("reason")})
    return http.see_other(f"/panel/lista/{entry_id}?ok=skreslono")


@app.post("/panel/lista/<entry_id>/termin")
def move_planned_date(entry_id: str) -> Response:
    session, form = _posted("waiting_list")
    try:
        console_waiting.change_planned_date(session, entry_id, form.get("planned_date", ""))
    except InvalidInput:
        return _entry_page(session, entry_id, 400, planned=form.get("planned_date", ""),
                           problem=waiting.ENTRY_PROBLEMS["planned_date"])
    logger.info("planned date changed", extra={"entry_id": entry_id})
    return http.see_other(f"/panel/lista/{entry_id}?ok=termin")


@app.get("/panel/dzis")
def today_page() -> Response:
    session = _session()
    return http.html(200, today.board_page(session, today_board_usecase.board(session),
                                           notice=today.NOTICES.get(_query().get("ok", ""))))


@app.post("/panel/dzis/<appointment_id>")
def record_attendance(appointment_id: str) -> Response:
    session, form = _posted("today")
    outcome = form.get("outcome", "")
    try:
        today_board_usecase.record_outcome(session, appointment_id, outcome)
    except (InvalidInput, InvalidTransition) as error:
        return http.html(400 if isinstance(error, InvalidInput) else 409, today.board_page(
            session, today_board_usecase.board(session), problem=today.outcome_problem(error)))
    logger.info("attendance recorded", extra={"appointment_id": appointment_id, "outcome": outcome})
    return http.see_other(f"/panel/dzis?ok={'odbyta' if outcome == 'attended' else 'nieobecnosc'}")


SETTINGS_PROBLEMS = {
    "late_cancellation_hours": "Próg późnego odwołania: wpisz liczbę godzin od 1 do 72.",
    "visit_value": "Wartość wizyty: wpisz kwotę w złotych, np. 150 albo 150,50.",
    "service_values": "Wartość wizyty poradni: wpisz kwotę w złotych, np. 150 albo 150,50.",
}

def _settings_payload(form: dict[str, str]) -> dict:
    hours = form.get("late_cancellation_hours", "").strip()
    if not hours.isdigit():
        raise InvalidInput("not a whole number of hours", field="late_cancellation_hours")
    values = {name.removeprefix("service:"): grosze(value, "service_values")
              for name, value in form.items() if name.startswith("service:")}
    return {"late_cancellation_hours": int(hours), "visit_value": grosze(form.get("visit_value", ""), "visit_value"),
            "service_values": {name: value for name, value in values.items() if value is not None}}


def _settings_values(session: ConsoleSession) -> dict[str, str]:
    current = console.stats_settings(session)
    values = {"late_cancellation_hours": str(current.late_cancellation_hours),
              "visit_value": pages.zloty(current.visit_value)}
    values |= {f"service:{name}": pages.zloty(value) for name, value in current.service_values.items()}
    return values


@app.get("/panel/ustawienia")
def settings_form() -> Response:
    session = _session()
    notice = "Zapisano." if _query().get("ok") == "zapisano" else None
    return http.html(200, pages.settings_page(session, _settings_values(session), console.known_services(session),
                                              notice=notice))


@app.post("/panel/ustawienia")
def save_settings() -> Response:
    session = _session()
    console.require(session, "settings")
    form = _form(session)
    if form is None:
        return _form_expired(session)
    try:
        console.save_stats_settings(session, _settings_payload(form))
    except InvalidInput as error:
        typed = {k: v for k, v in form.items() if k != "csrf"}
        return http.html(400, pages.settings_page(session, typed, console.known_services(session),
                                                  problem=SETTINGS_PROBLEMS.get(error.field or "", error.message)))
    return http.see_other("/panel/ustawienia?ok=zapisano")


# ---------------------------------------------------------------------------------------------
# Part 2, the manager's rules (docs/console.md): prepayment (the facility's and each specialist's)
# and the offer strategy, validated by the clinic API's own domain code, audited.


def _refused(page: Callable[..., str], *, form: dict[str, str], error: InvalidInput, problem: str,
             wrong: str | None) -> Response:
    """`page` again with the problem and what was typed (nothing was changed)."""
    logger.info("console form refused", extra={"field": error.field})
    typed = {k: v for k, v in form.items() if k != "csrf"}
    return http.html(400, page(typed, problem=problem, wrong=wrong))


@app.get("/panel/ustawienia/przedplaty")
def payment_rules_form() -> Response:
    session = _session()
    current = clinic_settings.payment_rules(session)
    notice = "Zapisano." if _query().get("ok") == "zapisano" else None
    return http.html(200, rules_pages.payment_page(session, clinic_settings.specialists(session), current.specialists,
                                                   rules_pages.payment_values(current), notice=notice))


@app.post("/panel/ustawienia/przedplaty")
def save_payment_rules() -> Response:
    session, form = _posted("settings")
    try:
        clinic_settings.save_payment_rules(session, rules_pages.payment_payload(form))
    except InvalidInput as error:
        page = partial(rules_pages.payment_page, session, clinic_settings.specialists(session),
                       clinic_settings.payment_rules(session).specialists)
        return _refused(page, form=form, error=error, problem=rules_pages.problem_for(error.field),
                        wrong=rules_pages.wrong_field(error.field))
    return http.see_other("/panel/ustawienia/przedplaty?ok=zapisano")


@app.get("/panel/ustawienia/przedplaty/specjalista")
def specialist_rules_form() -> Response:
    session = _session()
    current = clinic_settings.payment_rules(session)
    name = _query().get("kto", "").strip()
    if not name or len(name) > 120:
        raise InvalidInput("no specialist named", field="kto")
    own = current.specialists.get(name)
    notice = "Zapisano." if _query().get("ok") == "zapisano" else None
    return http.html(200, rules_pages.specialist_page(session, name, rules_pages.specialist_values(own or {}, current),
                                                      has_own=own is not None, notice=notice))


@app.post("/panel/ustawienia/przedplaty/specjalista")
def save_specialist_rules() -> Response:
    session, form = _posted("settings")
    name = form.get("specialist", "")
    try:
        payload = None if form.get("action") == "remove" else rules_pages.specialist_payload(form)
        clinic_settings.save_specialist_rules(session, name, payload)
    except InvalidInput as error:
        has_own = name in clinic_settings.payment_rules(session).specialists
        return _refused(partial(rules_pages.specialist_page, session, name, has_own=has_own), form=form, error=error,
                        problem=rules_pages.problem_for(error.field, name),
                        wrong=rules_pages.wrong_field(error.field, name))
    logger.info("specialist payment rules saved")
    return http.see_other(f"/panel/ustawienia/przedplaty/specjalista?kto={quote(name)}&ok=zapisano")


def _settings_shown(page: Callable[..., str], values: Callable[[ConsoleSession], dict[str, str]]) -> Response:
    session = _session()
    notice = "Zapisano." if _query().get("ok") == "zapisano" else None
    return http.html(200, page(session, values(session), notice=notice))


def _settings_saved(path: str, save: Callable[[ConsoleSession, dict[str, str]], object], page: Callable[..., str],
                    problem: Callable[[str | None], str], wrong: Callable[[str | None], str | None]) -> Response:
    """A settings page's form: saved then back to `path` (Post/Redirect/Get), or the page again
    with the problem and what was typed."""
    session, form = _posted("settings")
    try:
        save(session, form)
    except InvalidInput as error:
        return _refused(partial(page, session), form=form, error=error, problem=problem(error.field),
                        wrong=wrong(error.field))
    return http.see_other(f"{path}?ok=zapisano")


@app.get("/panel/ustawienia/propozycje")
def offer_strategy_form() -> Response:
    return _settings_shown(rules_pages.strategy_page,
                           lambda session: rules_pages.strategy_values(clinic_settings.offer_strategy(session)))


@app.post("/panel/ustawienia/propozycje")
def save_offer_strategy() -> Response:
    return _settings_saved(
        "/panel/ustawienia/propozycje",
        lambda session, form: clinic_settings.save_offer_strategy(session, rules_pages.strategy_payload(form)),
        rules_pages.strategy_page, lambda field: rules_pages.problem_for(field, strategy=True), lambda field: field)


@app.get("/panel/ustawienia/wiadomosci")
def campaign_texts_form() -> Response:
    return _settings_shown(rules_pages.texts_page,
                           lambda session: rules_pages.texts_values(clinic_settings.campaign_texts(session)))


@app.post("/panel/ustawienia/wiadomosci")
def save_campaign_texts() -> Response:
    return _settings_saved(
        "/panel/ustawienia/wiadomosci",
        lambda session, form: clinic_settings.save_campaign_texts(session, rules_pages.texts_payload(form)),
        rules_pages.texts_page, rules_pages.text_problem, rules_pages.text_field)


def _sms_texts_page(session: ConsoleSession, **shown) -> str:
    own, sample = clinic_settings.message_templates(session)
    return sms_texts.page(session, own, sample, **shown)


@app.get("/panel/ustawienia/sms")
def sms_texts_form() -> Response:
    session = _session()
    return http.html(200, _sms_texts_page(session, saved=_query().get("ok")))


@app.post("/panel/ustawienia/sms")
def save_sms_text() -> Response:
    """One kind's text saved, or restored to the default ("Przywróć domyślny")."""
    session, form = _posted("settings")
    kind = form.get("kind", "")
    text = None if form.get("action") == "restore" else form.get(f"text_{kind}", "")
    try:
        clinic_settings.save_message_template(session, kind, text)
    except OverrideRefused as error:
        logger.info("console form refused", extra={"field": error.field, "reason": error.reason})
        typed = {"kind": kind, "text": text or ""}
        return http.html(400, _sms_texts_page(session, typed=typed, wrong=kind, problem_text=sms_texts.problem(error)))
    return http.see_other(f"/panel/ustawienia/sms?ok={quote(kind)}#{quote(kind)}")


# ---------------------------------------------------------------------------------------------
# Part 2, manual bookings (manager and reception): one visit, or a CSV file planned row by row,
# then imported; each visit through the clinic API's own input parsing and upsert.


@app.get("/panel/wizyty")
def booking_form() -> Response:
    session = _session()
    console.require(session, "bookings")
    shown = _query().get("ok")
    notice = None
    if shown:
        visit = manual_bookings.visit(session, shown)
        notice = bookings_pages.booked_notice(visit, _query().get("nowa") == "1")
    fresh = {"ref": manual_bookings.new_visit_number()}
    return http.html(200, bookings_pages.bookings_page(session, fresh, notice=notice))


@app.post("/panel/wizyty")
def book_visit() -> Response:
    session, form = _posted("bookings")
    external = form.get("id_wizyty") or form.get("ref", "")
    try:
        booked = manual_bookings.book_visit(session, external, form)
    except (InvalidInput, Conflict) as error:
        logger.info("console form refused", extra={"field": error.field, "code": error.code})
        typed = {k: v for k, v in form.items() if k != "csrf"}
        return http.html(400, bookings_pages.bookings_page(
            session, typed, problem=bookings_pages.reason(error.field, error.code),
            wrong=bookings_pages.form_field(error.field)))
    logger.info("visit booked in the console", extra={"appointment_id": booked.appointment.appointment_id,
                                                       "created": booked.created})
    return http.see_other(f"/panel/wizyty?ok={quote(str(booked.appointment.external_id))}"
                          f"&nowa={int(booked.created)}")


@app.get("/panel/wizyty/import")
def import_form() -> Response:
    session = _session()
    console.require(session, "bookings")
    return http.html(200, bookings_pages.import_page(session))


@app.post("/panel/wizyty/import")
def import_visits() -> Response:
    session = _session()
    console.require(session, "bookings")
    event = app.current_event
    raw = event.body or ""
    try:
        fields = bookings_pages.upload_fields(base64.b64decode(raw) if event.is_base64_encoded else raw.encode(),
                                              event.headers.get("content-type", ""))
        form = _form(session, {name: bookings_pages.text_of(fields, name) for name in ("csrf", "action")})
        if form is None:
            return _form_expired(session)
        text = bookings_pages.csv_text(fields)
        if form.get("action") == "importuj":
            done, key = manual_bookings.run_import(session, text)
            logger.info("visits imported", extra={"rows": len(done.rows)})
            return http.see_other(f"/panel/wizyty/import/raport?wpis={quote(key)}")
        plan = manual_bookings.plan_import(session, text)
    except manual_bookings.FileRefused as error:
        logger.info("import refused", extra={"reason": error.reason})
        return http.html(400, bookings_pages.import_page(session, problem=bookings_pages.file_reason(error)))
    return http.html(200, bookings_pages.preview_page(session, plan, text))


@app.get("/panel/wizyty/import/raport")
def import_report() -> Response:
    session = _session()
    report, at = manual_bookings.import_report(session, _query().get("wpis", ""))
    return http.html(200, bookings_pages.report_page(session, report, at))


# ---------------------------------------------------------------------------------------------
# Problems


@app.exception_handler(_SignInFirst)
def sign_in_first(_error: _SignInFirst) -> Response:
    had_session = _cookie(http.SESSION_COOKIE) is not None
    target = "/panel/logowanie" + ("?powod=sesja" if had_session else "")
    return http.see_other(target, cookies=[http.cleared(http.SESSION_COOKIE)] if had_session else None)


@app.exception_handler(DomainError)
def problem(error: DomainError) -> Response:
    session = sessions.current(_cookie(http.SESSION_COOKIE))
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

