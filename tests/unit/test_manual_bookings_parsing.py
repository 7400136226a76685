"""The pure parts of manual bookings and the console's settings forms: a CSV file read as a
spreadsheet writes it, a visit's typed values as the API's body, typed numbers and amounts, what
changed in a setting."""
from __future__ import annotations

import pytest

from odwolaj.core.errors import InvalidInput
from odwolaj.edge.console.forms import grosze, whole
from odwolaj.edge.console.rules import payment_payload, specialist_payload
from odwolaj.usecases.clinic_settings import changes
from odwolaj.usecases.manual_bookings import FileRefused, read_csv, row_id, visit_payload


def test_a_spreadsheet_s_csv_with_a_bom_semicolons_quotes_and_polish_headers():
    text = ('\ufeffData;Godzina;Usługa;ID pacjenta;Telefon;Gabinet\n'
            '2027-03-15;08:00;"Poradnia; dziecięca";K-1;500 000 101;"Gabinet 2, piętro I"\n\n'
            '15.03.2027;08:20;Poradnia;K-2;500000102;\n')
    rows = read_csv(text)
    assert [line for line, _ in rows] == [2, 4]
    assert rows[0][1]["usluga"] == "Poradnia; dziecięca" and rows[0][1]["gabinet"] == "Gabinet 2, piętro I"
    assert rows[1][1]["id_pacjenta"] == "K-2" and rows[1][1]["gabinet"] == ""


@pytest.mark.parametrize(("text", "reason"), [
    ("", "empty"), ("\n\n", "empty"), ("data,godzina,usluga,id_pacjenta,telefon\n", "empty"),
    ("data,godzina,usluga,id_pacjenta,telefon,kolor\n", "unknown_columns"),
    ("data,godzina,telefon\n2027-01-01,10:00,500000101\n", "missing_columns"),
    ("data,godzina,usluga,id_pacjenta,telefon\n" + "x" * 100_001, "too_big"),
])
def test_a_file_that_cannot_be_read_is_refused_with_its_reason(text, reason):
    with pytest.raises(FileRefused) as refused:
        read_csv(text)
    assert refused.value.reason == reason


def test_a_visit_s_values_become_the_api_s_body_in_polish_time():
    body = visit_payload({"data": "15.07.2027", "godzina": "08:05", "usluga": "Poradnia", "id_pacjenta": "K-1",
                          "telefon": "500 000 101", "czas_min": "20", "email": "", "specjalista": " "})
    assert body == {"patient": {"id": "K-1", "phone": "500 000 101"}, "starts_at": "2027-07-15T08:05:00+02:00",
                    "service": "Poradnia", "duration_minutes": 20}
    for hour in ("8:05", "08:05", "08:05:00"):
        assert visit_payload({"data": "2027-01-15", "godzina": hour})["starts_at"] == "2027-01-15T08:05:00+01:00"
    assert visit_payload({"data": "2027-01-15", "godzina": "8:05", "czas_min": "pół"})["duration_minutes"] == "pół"
    for day, hour in (("2027-02-30", "10:00"), ("15/03/2027", "10:00"), ("2027-03-15", "25:00"),
                      ("2027-03-15", "8.05"), ("", "")):
        with pytest.raises(InvalidInput) as refused:
            visit_payload({"data": day, "godzina": hour})
        assert refused.value.field == "starts_at"


def test_a_row_without_an_id_gets_the_same_id_whenever_it_books_the_same_visit():
    row = {"data": "2027-03-15", "godzina": "08:00", "usluga": "Poradnia", "id_pacjenta": "K-1", "telefon": "500"}
    assert row_id(row) == row_id({**row, "usluga": "poradnia "}) and row_id(row).startswith("csv-")
    assert row_id(row) != row_id({**row, "godzina": "08:15"})
    assert row_id({**row, "id_wizyty": "HIS-1"}) == "HIS-1"


def test_typed_numbers_and_amounts():
    assert (whole(""), whole(" 12 "), whole("1,5"), whole("99999999999")) == (None, 12, "1,5", "99999999999")
    assert (grosze("", "amount"), grosze("150", "amount"), grosze("150,5 zł", "amount")) == (None, 15000, 15050)
    with pytest.raises(InvalidInput):
        grosze("sto", "amount")


def test_only_the_chosen_deadline_mode_s_fields_and_what_a_specialist_sets_are_sent():
    form = {"mode": "mandatory", "kind": "full", "amount": "100", "deadline_mode": "before_visit",
            "deadline_hour": "20:00", "deadline_hours_before_visit": "24", "deadline_booking_cutoff": ""}
    assert payment_payload(form)["deadline"] == {"mode": "before_visit", "hours_before_visit": 24}
    assert payment_payload(form)["blacklist_mandatory"] is False and "blacklist" not in payment_payload(form)
    assert specialist_payload({"mode": "", "kind": "deposit", "amount": "", "first_visit_mandatory": "nie",
                               "own_deadline": "", **{k: v for k, v in form.items() if k.startswith("deadline")}}) \
        == {"kind": "deposit", "first_visit_mandatory": False}


def test_what_changed_is_named_by_its_dotted_path():
    before = {"mode": "none", "deadline": {"mode": "by_hour", "hour": "20:00"}, "specialists": {}}
    after = {"mode": "none", "deadline": {"mode": "before_visit", "hours_before_visit": 2},
             "specialists": {"dr X": {"mode": "mandatory"}}}
    assert changes(before, after) == {
        "deadline.hour": {"from": "20:00", "to": None}, "deadline.hours_before_visit": {"from": None, "to": 2},
        "deadline.mode": {"from": "by_hour", "to": "before_visit"},
        "specialists.dr X": {"from": None, "to": {"mode": "mandatory"}}}
    assert changes(before, before) == {}
