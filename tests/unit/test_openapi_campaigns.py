"""The campaign routes of the clinic API answer what docs/openapi.yaml promises: every status of
every operation, from a draft to a launched campaign with its result and a response to handle."""
import json

from odwolaj.messaging.inbound_sms import InboundSms, handle
from odwolaj.security.facilities import issue_api_key
from odwolaj_local.apigw import response_body
from tests.campaign_helpers import (
    Pollers,
    consent_row,
    invoke,
    months_before,
    phone_of,
    visit_row,
    warsaw_time,
    working_day,
)
from tests.reserve_helpers import set_now
from tests.unit.test_openapi import doc, schema_for  # noqa: F401 (fixture)


def test_real_campaign_answers_match_the_documented_schemas(doc, http, facility, aws, monkeypatch):  # noqa: F811
    day = working_day(2)
    set_now(monkeypatch, warsaw_time(day, 10))
    manager = issue_api_key(facility.facility.facility_id, label="manager", rights=["campaigns:launch"])
    rows = [visit_row(n, months_before(day, 13 + 6 * n)) for n in range(4)]
    campaign = "/api/v1/campaigns/{campaign_id}"
    calls = [
        ("POST", "/api/v1/history", None, {"records": rows}, "/api/v1/history", "post", 200),
        ("POST", "/api/v1/history", None, {"records": [{"patient_id": "P-9"}]}, "/api/v1/history", "post", 200),
        ("POST", "/api/v1/history", None, {"rows": []}, "/api/v1/history", "post", 422),
        ("POST", "/api/v1/consents", None, {"records": [consent_row(n) for n in range(4)]}, "/api/v1/consents",
         "post", 200),
        ("POST", "/api/v1/imports", None, {"kind": "history", "format": "csv"}, "/api/v1/imports", "post", 201),
        ("POST", "/api/v1/imports", None, {"kind": "visits", "format": "csv"}, "/api/v1/imports", "post", 422),
        ("GET", "/api/v1/imports/imp_nope", None, None, "/api/v1/imports/{import_id}", "get", 404),
        ("PUT", "/api/v1/campaign-settings", None, {"rate_per_minute": 6000}, "/api/v1/campaign-settings", "put", 200),
        ("PUT", "/api/v1/campaign-settings", None, {"messages": {"24+": "no link"}}, "/api/v1/campaign-settings",
         "put", 422),
        ("GET", "/api/v1/campaign-settings", None, None, "/api/v1/campaign-settings", "get", 200),
        ("PUT", "/api/v1/slots", None, {"slots": [{"id": "S-1", "starts_at": warsaw_time(day, 12).isoformat(),
                                                   "service": "Kardiologia"}]}, "/api/v1/slots", "put", 200),
        ("PUT", "/api/v1/slots", None, {"slots": [{"id": "S-1"}]}, "/api/v1/slots", "put", 422),
        ("GET", "/api/v1/slots", None, None, "/api/v1/slots", "get", 200),
        ("POST", "/api/v1/campaigns", None, {"name": "Powrót", "purpose": "marketing", "inactive_months_min": 12,
                                             "holdout_percent": 0}, "/api/v1/campaigns", "post", 201),
        ("POST", "/api/v1/campaigns", None, {"name": "Powrót", "purpose": "sales", "inactive_months_min": 12},
         "/api/v1/campaigns", "post", 422),
        ("GET", "/api/v1/campaigns", None, None, "/api/v1/campaigns", "get", 200),
        ("GET", "/api/v1/campaigns/cmp_nope", None, None, campaign, "get", 404),
        ("GET", "/api/v1/campaign-responses", None, None, "/api/v1/campaign-responses", "get", 200),
        ("GET", "/api/v1/campaign-responses?limit=0", None, None, "/api/v1/campaign-responses", "get", 422),
        ("POST", "/api/v1/campaign-responses/nope/handled", None, None,
         "/api/v1/campaign-responses/{response_id}/handled", "post", 404),
    ]
    answers = [check(doc, http, facility.api_key, *call) for call in calls]
    campaign_id = answers[13]["campaign_id"]
    path = f"/api/v1/campaigns/{campaign_id}"
    check(doc, http, facility.api_key, "GET", path + "/preview", None, None, campaign + "/preview", "get", 200)
    check(doc, http, facility.api_key, "POST", path + "/launch", None, {}, campaign + "/launch", "post", 403)
    refused = check(doc, http, manager, "POST", path + "/launch", None, {}, campaign + "/launch", "post", 409)
    confirm = {"confirm": refused["error"]["confirmation"]["token"]}
    check(doc, http, manager, "POST", path + "/launch", None, confirm, campaign + "/launch", "post", 202)
    pollers = Pollers(aws)
    pollers.drain()
    invoke("CampaignDispatchFunction", {})
    pollers.drain()
    handle(InboundSms(sender=phone_of(1), text="TAK", message_id="in-1"))
    shown = check(doc, http, facility.api_key, "GET", path, None, None, campaign, "get", 200)
    assert shown["result"]["bands"]["all"]["messaged"]["first_touches"] == 4
    listed = check(doc, http, facility.api_key, "GET", "/api/v1/campaign-responses", None, None,
                   "/api/v1/campaign-responses", "get", 200)
    [response] = listed["responses"]
    check(doc, http, facility.api_key, "POST", f"/api/v1/campaign-responses/{response['response_id']}/handled",
          None, None, "/api/v1/campaign-responses/{response_id}/handled", "post", 200)


def check(doc, http, key, method, path, content_type, payload, template, operation, status):  # noqa: F811
    path, _, query = path.partition("?")
    headers = {"authorization": f"Bearer {key}", "content-type": content_type or "application/json"}
    response = http(method, path, headers=headers, body=json.dumps(payload) if payload is not None else "",
                    query=query)
    answer = json.loads(response_body(response))
    assert response["statusCode"] == status, (method, path, answer)
    errors = [error.message for error in schema_for(doc, template, operation, status).iter_errors(answer)]
    assert not errors, (method, path, errors)
    return answer
