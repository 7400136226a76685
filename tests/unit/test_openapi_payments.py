"""The prepayment routes of the clinic API answer what docs/openapi.yaml promises."""
import json
from datetime import timedelta

from odwolaj.core.clock import now
from odwolaj_local.apigw import response_body
from tests.conftest import in_days
from tests.unit.test_openapi import doc, schema_for  # noqa: F401 (fixture)


def test_real_payment_answers_match_the_documented_schemas(doc, http, facility):  # noqa: F811
    auth = {"authorization": f"Bearer {facility.api_key}", "content-type": "application/json"}
    rules, specialist = "/api/v1/payment-rules", "/api/v1/payment-rules/specialists/{specialist}"
    entry = "/api/v1/patients/{patient_id}/blacklist"
    until = (now() + timedelta(days=30)).date().isoformat()
    booking = {"patient": {"id": "P-1", "phone": "600 100 200"}, "starts_at": in_days(10).isoformat(),
               "service": "Poradnia", "specialist": "dr Anna Nowak"}
    calls = [
        ("GET", rules, None, rules, "get", 200),
        ("PUT", rules, {"mode": "optional", "amount": 5000, "blacklist": {"no_shows": 2, "within_months": 6,
                                                                          "days": 90}}, rules, "put", 200),
        ("PUT", rules, {"mode": "mandatory"}, rules, "put", 422),
        ("PUT", "/api/v1/payment-rules/specialists/dr%20Anna%20Nowak", {"mode": "mandatory"}, specialist, "put", 200),
        ("PUT", "/api/v1/payment-rules/specialists/dr%20Anna%20Nowak", {"mode": "x"}, specialist, "put", 422),
        ("PUT", "/api/v1/appointments/HIS-1", booking, "/api/v1/appointments/{external_id}", "put", 201),
        ("PUT", "/api/v1/appointments/HIS-2", {**booking, "payment": {"mode": "none"}},
         "/api/v1/appointments/{external_id}", "put", 403),
        ("DELETE", "/api/v1/payment-rules/specialists/dr%20Anna%20Nowak", None, specialist, "delete", 200),
        ("GET", "/api/v1/patients/P-1/blacklist", None, entry, "get", 200),
        ("GET", "/api/v1/patients/NOBODY/blacklist", None, entry, "get", 404),
        ("PUT", "/api/v1/patients/P-1/blacklist", {"until": until, "reason": "x"}, entry, "put", 200),
        ("PUT", "/api/v1/patients/P-1/blacklist", {"until": "2001-01-01", "reason": "x"}, entry, "put", 422),
        ("DELETE", "/api/v1/patients/P-1/blacklist", {"reason": "x"}, entry, "delete", 200),
    ]
    for method, path, payload, template, operation, status in calls:
        response = http(method, path, headers=auth, body=json.dumps(payload) if payload is not None else "")
        answer = json.loads(response_body(response))

        assert response["statusCode"] == status, (method, path, answer)
        errors = [error.message for error in schema_for(doc, template, operation, status).iter_errors(answer)]
        assert not errors, (method, path, errors)
