"""The payments report through the clinic API: JSON checked against docs/openapi.yaml, the .xlsx
read back with openpyxl, the period and the facility respected, the index queried (never a scan)."""
import base64
import io
import json
from datetime import timedelta

import openpyxl
import pytest
import yaml

from odwolaj.core.clock import WARSAW, now, parse_iso
from odwolaj.data.models import Payment
from odwolaj.payments import checkout
from odwolaj.security.facilities import create_facility
from odwolaj_local.apigw import response_body
from tests.unit.test_openapi import DOC_PATH, schema_for

REPORT = "/api/v1/reports/payments"


@pytest.fixture
def payments(awaiting_payment, clock):
    """Three payments today: one pending, one paid, one expired; one of another facility."""
    pending = awaiting_payment(external_id="PENDING", amount=5000)
    paid = awaiting_payment(external_id="PAID", amount=12_345)
    expired = awaiting_payment(external_id="EXPIRED", amount=2000)
    at = now()
    for appointment in (pending, paid, expired):
        checkout.record_for(appointment, at).save()
    Payment(paid.appointment_id).update(actions=[Payment.status.set("paid"), Payment.paid_at.set(paid.created_at),
                                                 Payment.outcome.set("confirmed")])
    Payment(expired.appointment_id).update(actions=[Payment.status.set("expired")])
    other = create_facility("Inna", short_name="Inna")
    stranger = checkout.record_for(pending, at)
    stranger.appointment_id, stranger.facility_id, stranger.external_id = "ffffffffffffffff", \
        other.facility.facility_id, "OTHER"
    stranger.save()
    return {"pending": pending, "paid": paid, "expired": expired}


def report(http, facility, query: str) -> dict:
    return http("GET", REPORT, query=query, headers={"authorization": f"Bearer {facility.api_key}"})


def today() -> str:
    return f"{now().astimezone(WARSAW):%Y-%m-%d}"


def test_the_json_report_lists_the_periods_payments_as_documented(http, facility, payments):
    answer = report(http, facility, f"from={today()}&to={today()}")

    body = json.loads(response_body(answer))
    assert answer["statusCode"] == 200
    assert sorted((row["external_id"], row["status"], row["amount"]) for row in body["payments"]) == [
        ("EXPIRED", "expired", 2000), ("PAID", "paid", 12_345), ("PENDING", "pending", 5000)]
    paid = next(row for row in body["payments"] if row["status"] == "paid")
    assert paid["deadline"] == payments["paid"].payment_deadline and paid["outcome"] == "confirmed"
    doc = yaml.safe_load(DOC_PATH.read_text(encoding="utf-8"))
    assert not list(schema_for(doc, REPORT, "get", 200).iter_errors(body))


def test_the_report_is_empty_outside_the_period(http, facility, payments):
    tomorrow = f"{now().astimezone(WARSAW) + timedelta(days=1):%Y-%m-%d}"

    body = json.loads(response_body(report(http, facility, f"from={tomorrow}&to={tomorrow}")))

    assert body["payments"] == []


def test_the_xlsx_report_holds_the_same_rows_for_people(http, facility, payments):
    answer = report(http, facility, f"from={today()}&to={today()}&format=xlsx")

    assert answer["statusCode"] == 200 and answer["isBase64Encoded"] is True
    assert answer["headers"]["Content-Type"] == \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert answer["headers"]["Content-Disposition"].startswith('attachment; filename="platnosci-')
    sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(answer["body"]))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Wizyta (identyfikator)", "Termin wizyty", "Status płatności", "Kwota (zł)")
    by_visit = {row[0]: row for row in rows[1:]}
    assert set(by_visit) == {"PENDING", "PAID", "EXPIRED"}
    assert by_visit["PAID"][2:4] == ("opłacona", 123.45)
    deadline = parse_iso(payments["paid"].payment_deadline).astimezone(WARSAW).replace(tzinfo=None)
    assert by_visit["PAID"][5] == deadline  # local time, as people read it


@pytest.mark.parametrize("query, field", [
    ("to=2030-01-31", "from"),
    ("from=2030-01-01&to=2031-06-01", "to"),
    ("from=2030-01-01&to=2030-01-31&format=pdf", "format"),
    ("from=2030-01-01&to=2030-01-31&limit=5", "limit"),
])
def test_bad_report_queries_are_refused_with_the_field(http, facility, query, field):
    answer = report(http, facility, query)

    assert answer["statusCode"] == 422 and json.loads(answer["body"])["error"]["field"] == field


def test_the_report_queries_the_facility_time_index_and_never_scans(http, facility, payments, monkeypatch):
    calls = []
    real_query = Payment.by_facility_created.query
    monkeypatch.setattr(Payment, "scan", classmethod(lambda *a, **k: calls.append("scan") or iter(())))
    monkeypatch.setattr(Payment.by_facility_created, "query",
                        lambda *a, **k: calls.append("query") or real_query(*a, **k))

    assert report(http, facility, f"from={today()}&to={today()}")["statusCode"] == 200
    assert calls == ["query"]
