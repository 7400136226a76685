"""Every dashboard table as CSV (RFC 4180, UTF-8 with a BOM so spreadsheets read the Polish
letters; shares as `12.3%`, money in złoty) and XLSX (numbers typed and formatted), one table or
all of them in one workbook."""
from __future__ import annotations

import csv
import io

from odwolaj.edge.console.tables import Cell, Days, Minutes, Money, Share, Table

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


def _plain(value: Cell) -> str | int | float | None:
    if isinstance(value, Share):
        return None if value.value is None else f"{round(value.value * 100, 2)}%"
    if isinstance(value, Money):
        return None if value.grosze is None else f"{value.grosze / 100:.2f}"
    if isinstance(value, (Minutes, Days)):
        return value.value
    return value


def to_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(["" if (v := _plain(c)) is None else v for c in row])
    return "\ufeff" + out.getvalue()


def _xlsx_cell(value: Cell) -> tuple[object, str]:
    """(value, number format) of a cell in a spreadsheet."""
    if isinstance(value, Share):
        return value.value, "0.0%"
    if isinstance(value, Money):
        return (None if value.grosze is None else value.grosze / 100), '#,##0.00 "zł"'
    if isinstance(value, (Minutes, Days)):
        return value.value, "0.0"
    return value, "General"


def to_xlsx(tables: list[Table], title: str) -> bytes:
    """One sheet per table: its title, the period, then the table with bold headings."""
    from openpyxl import Workbook  # only the export pays for importing it
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in tables:
        sheet = workbook.create_sheet(table.key[:31])
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True)
        sheet.append([title])
        sheet.append([])
        sheet.append(list(table.columns))
        for index in range(1, len(table.columns) + 1):
            sheet.cell(row=4, column=index).font = Font(bold=True)
            sheet.column_dimensions[sheet.cell(row=4, column=index).column_letter].width = 22 if index > 1 else 44
        for row in table.rows:
            sheet.append([_xlsx_cell(c)[0] for c in row])
            for index, value in enumerate(row, start=1):
                sheet.cell(row=sheet.max_row, column=index).number_format = _xlsx_cell(value)[1]
        sheet.freeze_panes = "A5"
    workbook.properties.title = title
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
