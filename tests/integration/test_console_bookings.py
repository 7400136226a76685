"""Manual bookings in the console (issue 15, point 4), through the template's handler on moto: one
visit from the form and a CSV import (plan, then import, then the per-row report), each visit the
clinic API's way (its input parsing and upsert): same validation, same prepayment rules, the same
visit twice changes nothing; refused input keeps what was typed; audited; CSRF; both roles."""
from __future__ import annotations

import base64
import json
import re
from datetime import datetime, timedelta
from html import unescape

import pytest

from odwolaj.appointments import lifecycle, store
from odwolaj.appointments.inputs import AppointmentInput
from odwolaj.core.clock import WARSAW
from odwolaj.data.models import Appointment, AuditEntry
from odwolaj.payments import rules
from odwolaj.security.facilities import create_facility
from odwolaj.usecases.manual_bookings import MAX_ROWS, visit_payload
from tests.console_helpers import Browser, csrf_of, enrolled, location, signed_in_reception

DAY = (datetime.now(WARSAW) + timedelta(days=10)).date()
VISIT = {"data": DAY.isoformat(), "godzina": "10:30", "usluga": "Poradnia kardiologiczna",
         "specjalista": "dr Anna Nowak", "czas_min": "20", "gabinet": "", "id_wizyty": "", "id_pacjenta": "K-100",
         "telefon": "600 100 200", "email": "", "pesel": ""}


@pytest.fixture
def facility_id(aws):
    return create_facility("Przychodnia A", short_name="A").facility.facility_id


@pytest.fixture
def manager(facility_id, http):
    browser = Browser(http)
    browser.sign_in(enrolled(facility_id, "kierownik@a.pl"))
    return browser


@pytest.fixture
def reception(facility_id, http):
    return signed_in_reception(http, facility_id)


@pytest.fixture
def console_logs(function_logs):
    return function_logs("ConsoleFunction")


def booked_form(browser: Browser, **changes) -> dict:
    page = browser.get("/panel/wizyty")
    ref = re.search(r'name="ref" value="([^"]+)"', page["body"]).group(1)
    return {"csrf": csrf_of(page["body"]), "ref": ref, **VISIT, **changes}


def visits(facility_id: str) -> int:
    return sum(1 for a in Appointment.scan() if a.facility_id == facility_id)


def entries(facility_id: str, action: str) -> list[AuditEntry]:
    return [e for e in AuditEntry.query(facility_id) if e.action == action]


def test_reception_adds_a_visit_once_even_when_the_form_is_sent_twice(reception, facility_id, console_logs):
    """Logged at INFO as deployed (console_logs: the function's logger at its most verbose)."""
    form = booked_form(reception)

    answer = reception.post("/panel/wizyty", form)

    assert location(answer).startswith(f"/panel/wizyty?ok={form['ref']}&nowa=1")
    visit = store.get_by_external(facility_id, form["ref"])
    assert (visit.status, visit.phone, visit.duration_minutes, visit.specialist) == (
        "booked", "+48600100200", 20, "dr Anna Nowak")
    assert visit.starts_at.startswith(DAY.isoformat())
    # The history says staff booked it, not the clinic's system (the statistics' "rejestracja").
    assert [(h.event, h.channel) for h in visit.history] == [("booked", "reception")]
    shown = reception.get("/panel/wizyty", query=location(answer).split("?", 1)[1])
    assert f"Dodano wizytę {form['ref']}" in unescape(shown["body"]) and "zarezerwowana" in shown["body"]
    [entry] = entries(facility_id, "visit_booked")
    assert entry.subject == f"visit:{form['ref']}" and "600" not in (entry.detail or "")

    again = reception.post("/panel/wizyty", form)  # a double click, a resent form

    assert location(again).startswith(f"/panel/wizyty?ok={form['ref']}&nowa=0")
    assert len(entries(facility_id, "visit_booked")) == 1
    assert visits(facility_id) == 1
    logged = console_logs.getvalue()
    assert logged.count('"message":"visit booked in the console"') == 2
    assert "600100200" not in logged and "600 100 200" not in logged and "K-100" not in logged


def test_a_booking_names_only_a_known_channel_in_its_history(facility_id):
    data = AppointmentInput.from_payload(visit_payload(VISIT))
    with pytest.raises(ValueError, match="unknown channel"):
        lifecycle.upsert(facility_id, "X-1", data, channel="console")
    assert visits(facility_id) == 0


@pytest.mark.parametrize(("change", "message", "control"), [
    ({"telefon": "12"}, "Nieprawidłowy numer telefonu", "telefon"),
    ({"data": "31.02.2026"}, "Nieprawidłowa data lub godzina", "data"),
    ({"godzina": "25:00"}, "Nieprawidłowa data lub godzina", "data"),
    ({"usluga": ""}, "Brak nazwy usługi", "usluga"),
    ({"czas_min": "3"}, "Czas wizyty: liczba minut od 5 do 480", "czas_min"),
    ({"pesel": "12345678901"}, "Nieprawidłowy PESEL", "pesel"),
    ({"email": "jan@"}, "Nieprawidłowy adres e-mail", "email"),
    ({"id_pacjenta": ""}, "Brak identyfikatora pacjenta", "id_pacjenta"),
])
def test_a_refused_visit_keeps_what_was_typed_and_books_nothing(manager, facility_id, change, message, control):
    form = booked_form(manager, **change)

    refused = manager.post("/panel/wizyty", form)

    assert refused["statusCode"] == 400 and message in unescape(refused["body"])
    assert re.search(rf'id="f-{control}" name="{control}" value="{re.escape(form[control])}"[^>]*aria-invalid="true"',
                     refused["body"])
    assert 'value="Poradnia kardiologiczna"' in refused["body"] or change.get("usluga") == ""
    assert f'name="ref" value="{form["ref"]}"' in refused["body"]  # the same number when sent again
    assert store.find_external(facility_id, form["ref"]) is None and not entries(facility_id, "visit_booked")


def test_a_booking_follows_the_prepayment_rules_as_through_the_api(manager, facility_id):
    rules.save_facility_rules(facility_id, {"mode": "mandatory", "amount": 10000,
                                            "deadline": {"mode": "before_visit", "hours_before_visit": 24}})
    form = booked_form(manager)

    answer = manager.post("/panel/wizyty", form)

    visit = store.get_by_external(facility_id, form["ref"])
    assert visit.status == "awaiting_payment" and visit.payment_amount == 10000
    shown = unescape(manager.get("/panel/wizyty", query=location(answer).split("?", 1)[1])["body"])
    assert "czeka na przedpłatę" in shown and "100 zł do" in shown


def test_a_form_without_the_token_books_nothing(manager, facility_id):
    form = booked_form(manager)
    assert manager.post("/panel/wizyty", {**form, "csrf": "zly"})["statusCode"] == 403
    assert manager.upload("/panel/wizyty/import", {"csrf": "zly", "action": "podglad",
                                                   "plik": b"data,godzina\n"})["statusCode"] == 403
    assert store.find_external(facility_id, form["ref"]) is None


# ---------------------------------------------------------------------------------------------
# CSV import

CSV = (
    "id_wizyty,data,godzina,usluga,specjalista,id_pacjenta,telefon,czas_min\n"
    f"W-1,{DAY},09:00,Poradnia kardiologiczna,dr Anna Nowak,K-1,600 100 201,15\n"      # line 2: good
    f"W-2,{DAY:%d.%m.%Y},09:15,Poradnia kardiologiczna,,K-2,+48 600 100 202,\n"           # 3: good (Polish date)
    f"W-3,{DAY},09:30,Poradnia kardiologiczna,,K-3,12,\n"                                # 4: bad phone
    f"W-1,{DAY},09:00,Poradnia kardiologiczna,dr Anna Nowak,K-1,600 100 201,15\n"      # 5: repeats line 2
    f",{DAY},10:00,Poradnia okulistyczna,,K-4,600 100 204,\n"                            # 6: good, no id
    f",{DAY},10:00,Poradnia okulistyczna,,K-4,600 100 204,\n"                            # 7: repeats line 6
    f"W-5,{DAY},26:00,Poradnia okulistyczna,,K-5,600 100 205,\n"                         # 8: bad time
    f"W-6,{DAY},10:30,,,K-6,600 100 206,\n"                                              # 9: no service
    f"W-7,{DAY},10:45,Poradnia okulistyczna,,K-7,600 100 207,1000\n"                     # 10: bad duration
)


def plan_rows(html: str) -> dict[int, tuple[str, str]]:
    """Row number → (what will happen, the reason) from the plan's or report's table."""
    rows = re.findall(r"<tr><td class=num>(\d+)</td><td>[^<]*</td>(?:<td>[^<]*</td><td>[^<]*</td>)?"
                      r"<td>([^<]*)</td><td>([^<]*)</td></tr>", html)
    return {int(line): (unescape(what), unescape(why)) for line, what, why in rows}


def test_a_csv_import_plans_then_imports_good_rows_reports_bad_ones_and_never_doubles(manager, facility_id):
    token = csrf_of(manager.get("/panel/wizyty/import")["body"])

    preview = manager.upload("/panel/wizyty/import", {"csrf": token, "action": "podglad", "plik": CSV.encode()})

    assert preview["statusCode"] == 200
    plan = plan_rows(preview["body"])
    assert {line: what for line, (what, _) in plan.items()} == {
        2: "zostanie dodana", 3: "zostanie dodana", 4: "pominięta", 5: "powtórzenie, pominięta",
        6: "zostanie dodana", 7: "powtórzenie, pominięta", 8: "pominięta", 9: "pominięta", 10: "pominięta"}
    assert "Nieprawidłowy numer telefonu" in plan[4][1] and plan[5][1] == "Powtórzenie wiersza 2 (ta sama wizyta)."
    assert plan[7][1] == "Powtórzenie wiersza 6 (ta sama wizyta)."
    assert "godzina" in plan[8][1] and "usługi" in plan[9][1] and "od 5 do 480" in plan[10][1]
    assert "Importuj (3)" in preview["body"]
    assert store.find_external(facility_id, "W-1") is None  # the plan writes nothing
    carried = re.search(r'name="csv" value="([^"]+)"', preview["body"]).group(1)
    assert base64.b64decode(carried).decode() == CSV

    done = manager.upload("/panel/wizyty/import", {"csrf": token, "action": "importuj", "csv": carried})

    assert location(done).startswith("/panel/wizyty/import/raport?wpis=")
    report = manager.get("/panel/wizyty/import/raport", query=location(done).split("?", 1)[1])
    assert report["statusCode"] == 200
    outcome = plan_rows(report["body"])
    assert [line for line, (what, _) in outcome.items() if what == "dodana"] == [2, 3, 6]
    assert "Nieprawidłowy numer telefonu" in outcome[4][1]
    assert store.get_by_external(facility_id, "W-2").phone == "+48600100202"
    assert [(h.event, h.channel) for h in store.get_by_external(facility_id, "W-2").history] == [
        ("booked", "reception")]
    assert store.find_external(facility_id, "W-3") is None
    [entry] = entries(facility_id, "visits_imported")
    detail = json.loads(entry.detail)
    assert (detail["create"], detail["refused"], detail["duplicate"]) == (3, 4, 2)
    assert "600" not in entry.detail and "K-1" not in entry.detail  # no patient data in the audit

    again = manager.upload("/panel/wizyty/import", {"csrf": token, "action": "importuj", "csv": carried})

    second = plan_rows(manager.get("/panel/wizyty/import/raport", query=location(again).split("?", 1)[1])["body"])
    assert [line for line, (what, _) in second.items() if what == "już była, bez zmian"] == [2, 3, 6]
    assert visits(facility_id) == 3


def test_a_spreadsheet_s_semicolons_and_windows_1250_and_a_changed_row(reception, facility_id):
    token = csrf_of(reception.get("/panel/wizyty/import")["body"])
    first = f"Id_wizyty;Data;Godzina;Usługa;ID pacjenta;Telefon\nW-9;{DAY};11:00;Poradnia żołądkowa;K-9;600100209\n"
    reception.upload("/panel/wizyty/import", {"csrf": token, "action": "importuj", "plik": first.encode("cp1250")})
    assert store.get_by_external(facility_id, "W-9").service == "Poradnia żołądkowa"

    moved = first.replace("11:00", "12:00")
    preview = reception.upload("/panel/wizyty/import", {"csrf": token, "action": "podglad",
                                                        "plik": moved.encode("cp1250")})

    assert plan_rows(preview["body"])[2] == ("zostanie zmieniona", "termin")
    reception.upload("/panel/wizyty/import", {"csrf": token, "action": "importuj", "plik": moved.encode("cp1250")})
    assert [(h.event, h.channel) for h in store.get_by_external(facility_id, "W-9").history] == [
        ("booked", "reception"), ("moved", "reception")]


def test_a_file_past_one_batch_of_reads_meets_each_row_s_own_visit(reception, facility_id):
    """The plan reads what is booked a hundred keys a request: past the first hundred rows each row
    is still planned against its own visit, and another facility's visit under the same id is not
    this facility's."""
    def row(n: int, hour: str | None = None) -> dict[str, str]:
        return {**VISIT, "id_wizyty": f"W-{n}", "id_pacjenta": f"K-{n}", "telefon": f"600 100 {n:03d}",
                "godzina": hour or f"{8 + n // 12:02d}:{n % 12 * 5:02d}"}

    for n in range(120):
        lifecycle.upsert(facility_id, f"W-{n}", AppointmentInput.from_payload(visit_payload(row(n))))
    other_id = create_facility("Przychodnia B", short_name="B").facility.facility_id
    lifecycle.upsert(other_id, "W-125", AppointmentInput.from_payload(visit_payload(row(125))))
    columns = tuple(VISIT)
    file_rows = [row(n, "19:55" if n == 105 else None) for n in range(130)] + [row(7)]
    text = "\n".join([",".join(columns)] + [",".join(values[name] for name in columns) for values in file_rows])
    token = csrf_of(reception.get("/panel/wizyty/import")["body"])

    preview = reception.upload("/panel/wizyty/import", {"csrf": token, "action": "podglad", "plik": text.encode()})

    plan = plan_rows(preview["body"])
    expected = {n + 2: ("już jest, bez zmian", "") for n in range(120)}
    expected |= {n + 2: ("zostanie dodana", "") for n in range(120, 130)}
    expected |= {107: ("zostanie zmieniona", "termin"),
                 132: ("powtórzenie, pominięta", "Powtórzenie wiersza 9 (ta sama wizyta).")}
    assert plan == expected
    assert visits(facility_id) == 120  # the plan writes nothing


@pytest.mark.parametrize(("content", "message"), [
    (b"data,godzina,usluga,id_pacjenta,telefon,kolor\n", "Nieznane kolumny: kolor"),
    (b"data,godzina,usluga\n2030-01-01,10:00,X\n", "Brakuje kolumn: id_pacjenta, telefon"),
    (b"data,godzina,usluga,id_pacjenta,telefon\n", "Plik jest pusty"),
    (b"", "Plik jest pusty"),
    (("data,godzina,usluga,id_pacjenta,telefon\n" + f"{DAY},10:00,X,K,600100200\n" * (MAX_ROWS + 1)).encode(),
     f"najwyżej {MAX_ROWS} wizyt"),
])
def test_a_file_that_cannot_be_imported_is_refused_whole(manager, facility_id, content, message):
    token = csrf_of(manager.get("/panel/wizyty/import")["body"])
    answer = manager.upload("/panel/wizyty/import", {"csrf": token, "action": "podglad", "plik": content})
    assert answer["statusCode"] == 400 and message in unescape(answer["body"])
    assert not entries(facility_id, "visits_imported")


def test_another_facility_s_import_report_is_not_found(manager, facility_id, http):
    other_id = create_facility("Przychodnia B", short_name="B").facility.facility_id
    other = Browser(http)
    other.sign_in(enrolled(other_id, "kierownik@b.pl"))
    token = csrf_of(other.get("/panel/wizyty/import")["body"])
    done = other.upload("/panel/wizyty/import", {"csrf": token, "action": "importuj", "plik": CSV.encode()})
    assert manager.get("/panel/wizyty/import/raport", query=location(done).split("?", 1)[1])["statusCode"] == 404


def test_a_booking_the_prepayment_rules_refuse_is_reported_and_the_others_go_on(manager, facility_id):
    # Mandatory prepayment with a cut-off at midnight: every booking that needs it is refused now.
    rules.save_facility_rules(facility_id, {
        "mode": "none", "amount": 10000, "blacklist_mandatory": False,
        "specialists": {"dr Anna Nowak": {"mode": "mandatory", "deadline": {
            "mode": "before_visit", "hours_before_visit": 2, "booking_cutoff": "00:00"}}}})
    refused = manager.post("/panel/wizyty", booked_form(manager))
    assert refused["statusCode"] == 400 and "nie przyjmujemy rezerwacji z obowiązkową przedpłatą" in refused["body"]
    assert 'value="dr Anna Nowak"' in refused["body"]
    token = csrf_of(manager.get("/panel/wizyty/import")["body"])

    done = manager.upload("/panel/wizyty/import", {"csrf": token, "action": "importuj", "plik": CSV.encode()})

    report = plan_rows(manager.get("/panel/wizyty/import/raport", query=location(done).split("?", 1)[1])["body"])
    assert report[2][0] == "pominięta" and "nie przyjmujemy rezerwacji" in report[2][1]  # dr Anna Nowak's
    assert [line for line, (what, _) in report.items() if what == "dodana"] == [3, 6]
    assert store.find_external(facility_id, "W-1") is None


def test_an_import_cut_short_by_a_failure_is_finished_by_importing_the_file_again(manager, facility_id,
                                                                                  monkeypatch, console_logs):
    """A failure mid-file (here the store failing at the second visit) answers 500 and keeps what
    was booked; the same file again books the rest and doubles nothing. No patient data is logged."""
    from odwolaj.appointments import lifecycle

    real, calls = lifecycle.upsert, []

    def failing_second(*args, **kwargs):
        calls.append(args[1])
        if len(calls) == 2:
            raise RuntimeError("DynamoDB unavailable")
        return real(*args, **kwargs)

    token = csrf_of(manager.get("/panel/wizyty/import")["body"])
    monkeypatch.setattr(lifecycle, "upsert", failing_second)
    failed = manager.upload("/panel/wizyty/import", {"csrf": token, "action": "importuj", "plik": CSV.encode()})
    assert failed["statusCode"] == 500 and visits(facility_id) == 1
    monkeypatch.setattr(lifecycle, "upsert", real)

    again = manager.upload("/panel/wizyty/import", {"csrf": token, "action": "importuj", "plik": CSV.encode()})

    report = plan_rows(manager.get("/panel/wizyty/import/raport", query=location(again).split("?", 1)[1])["body"])
    assert {line: what for line, (what, _) in report.items() if line in (2, 3, 6)} == {
        2: "już była, bez zmian", 3: "dodana", 6: "dodana"}
    assert visits(facility_id) == 3
    logged = console_logs.getvalue()
    assert '"message":"visits imported"' in logged and '"message":"console failed"' in logged
    for secret in ("600 100 20", "+4860010020", "K-1,", "Poradnia kardiologiczna"):
        assert secret not in logged
    assert manager.get("/panel/wizyty/import/raport", query="wpis=")["statusCode"] == 404
