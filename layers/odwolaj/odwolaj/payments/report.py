"""The payments report: every payment a facility opened in a period, with its status (pending,
paid, expired, refunded), amount, visit and deadline, as rows for JSON or an .xlsx workbook.

It reads the Payments table's `by_facility_created` index (facility, time), never a scan, and
never more than it answers: JSON in pages (`limit` rows after a cursor), a workbook whole but at
most MAX_XLSX_ROWS rows (a longer period is refused: ask for a shorter one). A payment is opened
when its booking is made (or its link first opened).
"""
from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from odwolaj.core.clock import WARSAW, iso, parse_iso
from odwolaj.core.errors import InvalidInput
from odwolaj.data.models import Payment

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# (row key, column heading in the workbook, kind: text, time or money)
COLUMNS = (
    ("external_id", "Wizyta (identyfikator)", "text"),
    ("starts_at", "Termin wizyty", "time"),
    ("status", "Status płatności", "text"),
    ("amount", "Kwota (zł)", "money"),
    ("kind", "Rodzaj", "text"),
    ("deadline", "Termin płatności", "time"),
    ("created_at", "Utworzono", "time"),
    ("paid_at", "Opłacono", "time"),
    ("refunded_at", "Zwrócono", "time"),
    ("outcome", "Wynik", "text"),
)
STATUS_LABELS = {"pending": "oczekuje", "paid": "opłacona", "expired": "wygasła", "refunded": "zwrócona"}
MAX_XLSX_ROWS = 10_000  # a workbook is built in memory and answered whole (Lambda's answer is at most 6 MB)


def payment_page(facility_id: str, start: datetime, end: datetime, *, limit: int,
                 after: tuple[str, str] | None = None) -> tuple[list[dict[str, Any]], tuple[str, str] | None]:
    """At most `limit` rows of the facility's payments opened between start and end (UTC), oldest
    first, after `after` (created_at, appointment_id of the previous page's last row); and the
    `after` of the next page, or None when this is the last."""
    payments = _query(facility_id, start, end, limit + 1, after)
    page = payments[:limit]
    following = (page[-1].created_at, page[-1].appointment_id) if len(payments) > limit else None
    return [_row(payment) for payment in page], following


def workbook_rows(facility_id: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Every row of the period for a workbook; InvalidInput when there are more than MAX_XLSX_ROWS."""
    payments = _query(facility_id, start, end, MAX_XLSX_ROWS + 1, None)
    if len(payments) > MAX_XLSX_ROWS:
        raise InvalidInput(f"the period holds more than {MAX_XLSX_ROWS} payments, more than one workbook takes: "
                           "ask for a shorter period, or page through it as JSON", field="to")
    return [_row(payment) for payment in payments]


def _query(facility_id: str, start: datetime, end: datetime, limit: int,
           after: tuple[str, str] | None) -> list[Payment]:
    start_key = None
    if after:
        start_key = {"facility_id": {"S": facility_id}, "created_at": {"S": after[0]},
                     "appointment_id": {"S": after[1]}}
    return list(Payment.by_facility_created.query(facility_id, Payment.created_at.between(iso(start), iso(end)),
                                                  limit=limit, last_evaluated_key=start_key))


def _row(payment: Payment) -> dict[str, Any]:
    return {
        "external_id": payment.external_id,
        "starts_at": payment.starts_at,
        "status": payment.status,
        "amount": int(payment.amount),
        "currency": payment.currency,
        "kind": payment.kind,
        "deadline": payment.deadline,
        "created_at": payment.created_at,
        "paid_at": payment.paid_at,
        "refunded_at": payment.refunded_at,
        "outcome": payment.outcome,
    }


def to_xlsx(rows: list[dict[str, Any]], start: datetime, end: datetime) -> bytes:
    """One sheet for people: Polish headings, local (Warsaw) times, amounts in złoty."""
    from openpyxl import Workbook  # only the spreadsheet path pays for importing it
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Płatności"
    sheet.append([heading for _, heading, _ in COLUMNS])
    for row in rows:
        sheet.append([_cell(row[key], kind, key) for key, _, kind in COLUMNS])
    for index, (_key, heading, kind) in enumerate(COLUMNS, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(len(heading), 17) + 2
        for cell in sheet[letter][1:]:
            cell.number_format = {"time": "yyyy-mm-dd hh:mm", "money": "#,##0.00"}.get(kind, "General")
        sheet.cell(row=1, column=index).font = Font(bold=True)
    sheet.freeze_panes = "A2"
    workbook.properties.title = f"Płatności {start.astimezone(WARSAW):%Y-%m-%d} – {end.astimezone(WARSAW):%Y-%m-%d}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cell(value: Any, kind: str, key: str) -> Any:
    if value is None:
        return None
    if kind == "time":
        return parse_iso(value).astimezone(WARSAW).replace(tzinfo=None)  # Excel has no time zones
    if kind == "money":
        return value / 100
    if key == "status":
        return STATUS_LABELS.get(value, value)
    return value
