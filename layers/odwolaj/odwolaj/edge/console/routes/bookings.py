"""Manual bookings (the manager and reception, docs/console.md): one visit, or a CSV file planned
row by row (the preview), then imported and reported; each visit through the clinic API's own
input parsing and upsert."""
from __future__ import annotations

import base64
from urllib.parse import quote

from aws_lambda_powertools.event_handler import Response

from odwolaj.core.errors import Conflict, InvalidInput
from odwolaj.edge.console import bookings as bookings_pages, http
from odwolaj.edge.console.routes.common import ConsoleRouter, form_expired, logger
from odwolaj.usecases import console, manual_bookings

router = ConsoleRouter()


@router.get("/panel/wizyty")
def booking_form() -> Response:
    session = router.session()
    console.require(session, "bookings")
    shown = router.query().get("ok")
    notice = None
    if shown:
        visit = manual_bookings.visit(session, shown)
        notice = bookings_pages.booked_notice(visit, router.query().get("nowa") == "1")
    fresh = {"ref": manual_bookings.new_visit_number()}
    return http.html(200, bookings_pages.bookings_page(session, fresh, notice=notice))


@router.post("/panel/wizyty")
def book_visit() -> Response:
    session, form = router.posted("bookings")
    external = form.get("id_wizyty") or form.get("ref", "")
    try:
        booked = manual_bookings.book_visit(session, external, form)
    except (InvalidInput, Conflict) as error:
        logger.info("console form refused", extra={"field": error.field, "code": error.code})
        typed = {k: v for k, v in form.items() if k != "csrf"}
        return http.html(400, bookings_pages.bookings_page(
            session, typed, problem=bookings_pages.reason(error.field, error.code),
            wrong=bookings_pages.form_field(error.field)))
    # Not "created": a LogRecord attribute, which logging refuses as an extra key (KeyError, a 500).
    logger.info("visit booked in the console", extra={"appointment_id": booked.appointment.appointment_id,
                                                       "new_visit": booked.created})
    return http.see_other(f"/panel/wizyty?ok={quote(str(booked.appointment.external_id))}"
                          f"&nowa={int(booked.created)}")


@router.get("/panel/wizyty/import")
def import_form() -> Response:
    session = router.session()
    console.require(session, "bookings")
    return http.html(200, bookings_pages.import_page(session))


@router.post("/panel/wizyty/import")
def import_visits() -> Response:
    session = router.session()
    console.require(session, "bookings")
    event = router.current_event
    raw = event.body or ""
    try:
        fields = bookings_pages.upload_fields(base64.b64decode(raw) if event.is_base64_encoded else raw.encode(),
                                              event.headers.get("content-type", ""))
        form = router.form(session, {name: bookings_pages.text_of(fields, name) for name in ("csrf", "action")})
        if form is None:
            return form_expired(session)
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


@router.get("/panel/wizyty/import/raport")
def import_report() -> Response:
    session = router.session()
    report, at = manual_bookings.import_report(session, router.query().get("wpis", ""))
    return http.html(200, bookings_pages.report_page(session, report, at))
