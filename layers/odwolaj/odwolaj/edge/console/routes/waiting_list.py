"""The NFZ waiting list (reception and the manager): the list of a service a page at a time, adding
a referral, an entry's page, striking it off, moving its planned date, resuming SMS offers."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.event_handler import Response

from odwolaj.core.errors import InvalidInput
from odwolaj.data.models import ConsoleSession
from odwolaj.edge.console import http, waiting
from odwolaj.edge.console.routes.common import ConsoleRouter, logger
from odwolaj.reserve.entries import DuplicateReferral
from odwolaj.usecases import console_waiting

router = ConsoleRouter()


def _waiting_list_page(session: ConsoleSession, service: str, status: int = 200, *, after: str = "",
                       before: str = "", **shown: Any) -> Response:
    found = console_waiting.waiting_list(session, service, after=after, before=before)
    return http.html(status, waiting.list_page(session, found, **shown))


def _entry_page(session: ConsoleSession, entry_id: str, status: int = 200, **shown: Any) -> Response:
    found = console_waiting.entry_page(session, entry_id)
    return http.html(status, waiting.entry_page(session, found.entry, found.position, found.offers, **shown))


@router.get("/panel/lista")
def waiting_list() -> Response:
    session = router.session()
    query = router.query()
    return _waiting_list_page(session, query.get("usluga", ""), after=query.get("po", ""),
                              before=query.get("przed", ""), notice=waiting.NOTICES.get(query.get("ok", "")))


@router.post("/panel/lista")
def add_waiting_entry() -> Response:
    session, form = router.posted("waiting_list")
    try:
        payload = waiting.entry_payload(form, entered_by=(session.email or session.sub or "")[:120])
        entry = console_waiting.add_entry(session, payload)
    except (InvalidInput, DuplicateReferral) as error:
        problem = waiting.DUPLICATE if isinstance(error, DuplicateReferral) else waiting.ENTRY_PROBLEMS.get(
            error.field or "", waiting.ENTRY_PROBLEMS["patient"])
        return _waiting_list_page(session, form.get("service", ""), 400, values=waiting.typed(form), problem=problem)
    logger.info("waiting-list entry added", extra={"entry_id": entry.entry_id})
    return http.see_other(f"/panel/lista/{entry.entry_id}?ok=dopisano")


@router.get("/panel/lista/<entry_id>")
def waiting_entry(entry_id: str) -> Response:
    session = router.session()
    return _entry_page(session, entry_id, notice=waiting.NOTICES.get(router.query().get("ok", "")))


def _entry_changed(session: ConsoleSession, entry_id: str, change: Callable[[], object], *, done: str, ok: str,
                   logged: dict[str, Any] | None = None, **refused: Any) -> Response:
    """An entry's form: `change` made (logged as `done`), then the entry's page with the `ok`
    notice; or, the input refused, the page again (400) showing `refused`."""
    try:
        change()
    except InvalidInput:
        return _entry_page(session, entry_id, 400, **refused)
    logger.info(done, extra={"entry_id": entry_id, **(logged or {})})
    return http.see_other(f"/panel/lista/{entry_id}?ok={ok}")


@router.post("/panel/lista/<entry_id>/skresl")
def strike_off_entry(entry_id: str) -> Response:
    session, form = router.posted("waiting_list")
    reason = form.get("reason", "")
    return _entry_changed(session, entry_id, lambda: console_waiting.strike_off(session, entry_id, reason),
                          done="waiting-list entry struck off", logged={"reason": form.get("reason")}, ok="skreslono",
                          problem=waiting.ENTRY_PROBLEMS["reason_strike"])


@router.post("/panel/lista/<entry_id>/termin")
def move_planned_date(entry_id: str) -> Response:
    session, form = router.posted("waiting_list")
    planned = form.get("planned_date", "")
    return _entry_changed(session, entry_id, lambda: console_waiting.change_planned_date(session, entry_id, planned),
                          done="planned date changed", ok="termin", planned=planned,
                          problem=waiting.ENTRY_PROBLEMS["planned_date"])


@router.post("/panel/lista/<entry_id>/wznow-propozycje")
def resume_offers(entry_id: str) -> Response:
    session, _form = router.posted("waiting_list")
    return _entry_changed(session, entry_id, lambda: console_waiting.resume_offers(session, entry_id),
                          done="offers resumed by the console", ok="wznowiono")
