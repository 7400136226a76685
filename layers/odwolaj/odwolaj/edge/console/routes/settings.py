"""The manager's settings: the results' settings (the late-cancellation threshold, visits' values)
and, part 2 (docs/console.md), the rules: prepayment (the facility's and each specialist's), the
offer strategy, the campaign texts and the SMS texts, validated by the clinic API's own domain
code, audited. Each form saves and redirects back (Post/Redirect/Get), or shows its page again with
the problem and what was typed (nothing changed)."""
from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import quote

from aws_lambda_powertools.event_handler import Response

from odwolaj.core.errors import InvalidInput
from odwolaj.data.models import ConsoleSession
from odwolaj.edge.console import http, pages, rules as rules_pages, sms_texts
from odwolaj.edge.console.forms import grosze
from odwolaj.edge.console.routes.common import ConsoleRouter, form_expired, logger
from odwolaj.language.message_overrides import OverrideRefused
from odwolaj.usecases import clinic_settings, console

router = ConsoleRouter()

SETTINGS_PROBLEMS = {
    "late_cancellation_hours": "Próg późnego odwołania: wpisz liczbę godzin od 1 do 72.",
    "visit_value": "Wartość wizyty: wpisz kwotę w złotych, np. 150 albo 150,50.",
    "service_values": "Wartość wizyty poradni: wpisz kwotę w złotych, np. 150 albo 150,50.",
}


def _saved_notice() -> str | None:
    """The notice a settings page shows after its form was saved (…?ok=zapisano)."""
    return "Zapisano." if router.query().get("ok") == "zapisano" else None


def _settings_payload(form: dict[str, str]) -> dict[str, Any]:
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


@router.get("/panel/ustawienia")
def settings_form() -> Response:
    session = router.session()
    return http.html(200, pages.settings_page(session, _settings_values(session), console.known_services(session),
                                              notice=_saved_notice()))


@router.post("/panel/ustawienia")
def save_settings() -> Response:
    session = router.session()
    console.require(session, "settings")
    form = router.form(session)
    if form is None:
        return form_expired(session)
    try:
        console.save_stats_settings(session, _settings_payload(form))
    except InvalidInput as error:
        typed = {k: v for k, v in form.items() if k != "csrf"}
        return http.html(400, pages.settings_page(session, typed, console.known_services(session),
                                                  problem=SETTINGS_PROBLEMS.get(error.field or "", error.message)))
    return http.see_other("/panel/ustawienia?ok=zapisano")


def _refused(page: Callable[..., str], *, form: dict[str, str], error: InvalidInput, problem: str,
             wrong: str | None) -> Response:
    """`page` again with the problem and what was typed (nothing was changed)."""
    logger.info("console form refused", extra={"field": error.field})
    typed = {k: v for k, v in form.items() if k != "csrf"}
    return http.html(400, page(typed, problem=problem, wrong=wrong))


@router.get("/panel/ustawienia/przedplaty")
def payment_rules_form() -> Response:
    session = router.session()
    current = clinic_settings.payment_rules(session)
    return http.html(200, rules_pages.payment_page(session, clinic_settings.specialists(session), current.specialists,
                                                   rules_pages.payment_values(current), notice=_saved_notice()))


@router.post("/panel/ustawienia/przedplaty")
def save_payment_rules() -> Response:
    session, form = router.posted("settings")
    try:
        clinic_settings.save_payment_rules(session, rules_pages.payment_payload(form))
    except InvalidInput as error:
        page = partial(rules_pages.payment_page, session, clinic_settings.specialists(session),
                       clinic_settings.payment_rules(session).specialists)
        return _refused(page, form=form, error=error, problem=rules_pages.problem_for(error.field),
                        wrong=rules_pages.wrong_field(error.field))
    return http.see_other("/panel/ustawienia/przedplaty?ok=zapisano")


@router.get("/panel/ustawienia/przedplaty/specjalista")
def specialist_rules_form() -> Response:
    session = router.session()
    current = clinic_settings.payment_rules(session)
    name = router.query().get("kto", "").strip()
    if not name or len(name) > 120:
        raise InvalidInput("no specialist named", field="kto")
    own = current.specialists.get(name)
    return http.html(200, rules_pages.specialist_page(session, name, rules_pages.specialist_values(own or {}, current),
                                                      has_own=own is not None, notice=_saved_notice()))


@router.post("/panel/ustawienia/przedplaty/specjalista")
def save_specialist_rules() -> Response:
    session, form = router.posted("settings")
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
    session = router.session()
    return http.html(200, page(session, values(session), notice=_saved_notice()))


def _settings_saved(path: str, save: Callable[[ConsoleSession, dict[str, str]], object], page: Callable[..., str],
                    problem: Callable[[str | None], str], wrong: Callable[[str | None], str | None]) -> Response:
    """A settings page's form: saved then back to `path` (Post/Redirect/Get), or the page again
    with the problem and what was typed."""
    session, form = router.posted("settings")
    try:
        save(session, form)
    except InvalidInput as error:
        return _refused(partial(page, session), form=form, error=error, problem=problem(error.field),
                        wrong=wrong(error.field))
    return http.see_other(f"{path}?ok=zapisano")


def _settings_page(path: str, page: Callable[..., str], *, values: Callable[[ConsoleSession], dict[str, str]],
                   save: Callable[[ConsoleSession, dict[str, str]], object], problem: Callable[[str | None], str],
                   wrong: Callable[[str | None], str | None]) -> None:
    """Routes a settings page of one form at `path`: GET shows `page` with the saved `values`, POST
    saves (see `_settings_saved`)."""
    router.get(path)(lambda: _settings_shown(page, values))
    router.post(path)(lambda: _settings_saved(path, save, page, problem, wrong))


_settings_page(
    "/panel/ustawienia/propozycje", rules_pages.strategy_page,
    values=lambda session: rules_pages.strategy_values(clinic_settings.offer_strategy(session)),
    save=lambda session, form: clinic_settings.save_offer_strategy(session, rules_pages.strategy_payload(form)),
    problem=lambda field: rules_pages.problem_for(field, strategy=True), wrong=lambda field: field)
_settings_page(
    "/panel/ustawienia/wiadomosci", rules_pages.texts_page,
    values=lambda session: rules_pages.texts_values(clinic_settings.campaign_texts(session)),
    save=lambda session, form: clinic_settings.save_campaign_texts(session, rules_pages.texts_payload(form)),
    problem=rules_pages.text_problem, wrong=rules_pages.text_field)


def _sms_texts_page(session: ConsoleSession, **shown: Any) -> str:
    own, sample = clinic_settings.message_templates(session)
    return sms_texts.page(session, own, sample, **shown)


@router.get("/panel/ustawienia/sms")
def sms_texts_form() -> Response:
    session = router.session()
    return http.html(200, _sms_texts_page(session, saved=router.query().get("ok")))


@router.post("/panel/ustawienia/sms")
def save_sms_text() -> Response:
    """One kind's text saved, or restored to the default ("Przywróć domyślny")."""
    session, form = router.posted("settings")
    kind = form.get("kind", "")
    text = None if form.get("action") == "restore" else form.get(f"text_{kind}", "")
    try:
        clinic_settings.save_message_template(session, kind, text)
    except OverrideRefused as error:
        logger.info("console form refused", extra={"field": error.field, "reason": error.reason})
        typed = {"kind": kind, "text": text or ""}
        return http.html(400, _sms_texts_page(session, typed=typed, wrong=kind, problem_text=sms_texts.problem(error)))
    return http.see_other(f"/panel/ustawienia/sms?ok={quote(kind)}#{quote(kind)}")
