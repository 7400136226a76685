"""The manager's staff page (invite, resend an invitation, change a role, disable, enable) and the
audit log."""
from __future__ import annotations

from aws_lambda_powertools.event_handler import Response

from odwolaj.core.errors import InvalidInput
from odwolaj.edge.console import http, pages
from odwolaj.edge.console.routes.common import ConsoleRouter, form_expired, logger
from odwolaj.security.staff import AccountExists, AlreadyOnStaff
from odwolaj.usecases import console

router = ConsoleRouter()

STAFF_PROBLEMS = {
    AlreadyOnStaff: "Ta osoba już jest w zespole.",
    AccountExists: "Ten adres ma już konto w Odwołaj (w tej albo innej przychodni).",
}
STAFF_NOTICES = {"wyslano": "Zaproszenie wysłane.", "zmieniono": "Zapisano zmianę."}


@router.get("/panel/zespol")
def staff_list() -> Response:
    session = router.session()
    notice = STAFF_NOTICES.get(router.query().get("ok", ""))
    return http.html(200, pages.staff_page(session, console.staff_list(session), notice=notice))


@router.post("/panel/zespol")
def invite() -> Response:
    session = router.session()
    form = router.form(session)
    if form is None:
        return form_expired(session)
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


@router.post("/panel/zespol/<sub>")
def change_person(sub: str) -> Response:
    session = router.session()
    form = router.form(session)
    if form is None:
        return form_expired(session)
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


@router.get("/panel/dziennik")
def audit_log() -> Response:
    session = router.session()
    page = console.audit_log(session, router.query().get("przed"))
    return http.html(200, pages.audit_page(session, page.entries, page.names, page.next_before))
