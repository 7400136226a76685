"""The payments report: every payment a facility opened in a period, with its status (pending,
paid, expired, refunded), amount, visit and deadline, as rows for JSON or an .xlsx workbook.

It reads the Payments table's `by_facility_created` index (facility, time): one query over the
period, never a scan. A payment is opened when its booking is made (or its link first opened).
"""
from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from odwolaj.core.clock import WARSAW, iso, parse_iso
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


def payment_rows(facility_id: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The facility's payments opened between start and end (UTC), oldest first."""
    condition = Payment.created_at.between(iso(start), iso(end))
    return [_row(payment) for payment in Payment.by_facility_created.query(facility_id, condition)]


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
