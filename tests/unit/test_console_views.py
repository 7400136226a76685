"""The console's views without AWS: Polish numbers, the tables' CSV and XLSX, the charts, the
cookies, and that every export carries exactly the dashboard's tables."""
from __future__ import annotations

import csv
import io
from datetime import date

from openpyxl import load_workbook

from odwolaj.edge.console import charts, exports, http
from odwolaj.edge.console.formats import cell
from odwolaj.edge.console.tables import Days, Minutes, Money, Share, Table, tables
from odwolaj.stats.figures import Period, compute
from odwolaj.stats.settings import StatsSettings

NBSP = "\u00a0"
MARCH = Period(date(2030, 3, 1), date(2030, 3, 31))


def test_numbers_read_as_in_poland():
    assert cell(1234) == f"1{NBSP}234"
    assert cell(Share(0.1234)) == f"12,3{NBSP}%" and cell(Share(None)) == "–"
    assert cell(Share(0.1)) == f"10,0{NBSP}%" and cell(Share(1.0)) == f"100,0{NBSP}%"
    assert cell(Money(123450)) == f"1{NBSP}234,50{NBSP}zł"
    assert cell(Minutes(12.0)) == f"12{NBSP}min" and cell(Minutes(7.25)) == f"7,2{NBSP}min"
    assert cell(Days(1)) == f"1{NBSP}dzień" and cell(Days(2.5)) == f"2,5{NBSP}dnia" and cell(Days(5)) == f"5{NBSP}dni"


TABLE = Table("kanaly", "Odwołania według kanału", ("Kanał", "Odwołania", "Odsetek", "Kwota"),
              (("SMS", 3, Share(0.5), Money(1050)), ("strona wizyty", 0, Share(None), Money(None))), chart="bars")


def test_csv_is_rfc_4180_with_a_bom_and_plain_numbers():
    text = exports.to_csv(TABLE)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows == [["Kanał", "Odwołania", "Odsetek", "Kwota"], ["SMS", "3", "50.0%", "10.50"],
                    ["strona wizyty", "0", "", ""]]


def test_xlsx_has_one_typed_sheet_per_table():
    other = Table("inna", "Inna", ("A", "B"), (("x", 1),))
    book = load_workbook(io.BytesIO(exports.to_xlsx([TABLE, other], "Przychodnia – 01.03.2030–31.03.2030")))
    assert book.sheetnames == ["kanaly", "inna"]
    sheet = book["kanaly"]
    assert sheet["A1"].value == "Odwołania według kanału" and sheet["A2"].value.startswith("Przychodnia")
    assert [c.value for c in sheet[4]] == ["Kanał", "Odwołania", "Odsetek", "Kwota"]
    assert (sheet["B5"].value, sheet["C5"].value, sheet["D5"].value) == (3, 0.5, 10.5)
    assert sheet["C5"].number_format == "0.0%"


def test_bars_are_drawn_to_scale_and_hidden_from_screen_readers():
    drawn = charts.bars(TABLE)
    assert 'width="100.0"' not in drawn[1] and 'aria-hidden="true"' in drawn[0]
    funnel = charts.funnel(Table("lejek", "Lejek", ("Etap", "Terminy"), (("a", 10), ("b", 5), ("c", 0))))
    assert 'width="100.0"' in funnel[0] and 'width="50.0"' in funnel[1] and 'width="0.0"' in funnel[2]


def test_the_line_chart_is_an_image_that_says_its_numbers():
    found = compute([], {}, StatsSettings(), period=MARCH, today=date(2030, 3, 31))
    weeks = next(t for t in tables(found) if t.key == "tygodnie")
    svg, legend = charts.line(weeks, ("Do odbycia", "Odwołania", "Nieobecności", "Zajęte z listy"))
    assert svg.startswith('<svg role="img" aria-labelledby=') and "<desc" in svg and "Do odbycia: 0, 0" in svg
    assert "swatch s4" in legend


def test_every_dashboard_table_has_a_distinct_export_name():
    found = compute([], {}, StatsSettings(), period=MARCH, today=date(2030, 3, 31))
    keys = [t.key for t in tables(found)]
    assert len(keys) == len(set(keys)) == 14 and all(k.replace("-", "").isalpha() for k in keys)


def test_cookies_are_host_only_httponly_secure_and_strict():
    assert str(http.cookie(http.SESSION_COOKIE, "abc")) == \
        "__Host-odwolaj-panel=abc; Path=/; HttpOnly; Secure; SameSite=Strict"
    assert "Max-Age=0" in str(http.cleared(http.SIGNIN_COOKIE))
    assert http.cookie_value(["a=1", "__Host-odwolaj-panel=xyz"], http.SESSION_COOKIE) == "xyz"
    headers = http.security_headers()
    assert "script-src" not in headers["Content-Security-Policy"] and "default-src 'none'" in \
        headers["Content-Security-Policy"] and headers["Cache-Control"] == "no-store"
