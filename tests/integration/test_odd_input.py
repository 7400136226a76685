"""Odd input gets a clear 4xx and changes nothing: never a 500, never a dropped connection (issue 12).
Each case here answered 500 (or crashed the handler) before."""
import copy
import json
import logging
from urllib.parse import urlencode

import pytest
import stripe

from odwolaj.appointments import lifecycle as appointments
from odwolaj.data.models import Appointment, Payment
from odwolaj_local.apigw import response_body
from odwolaj_local.lambdas import FakeLambdaContext, load_handler
from tests.conftest import load_event, queue_item
from tests.integration.test_clinic_api import payload
from tests.integration.test_stripe_webhook import deliver, opened, state, stored
from tests.integration.test_visit_page import FORM, form_token, link_path, look_up, snapshot

LATIN2_BYTES = "Zażółć".encode("iso-8859-2")  # not UTF-8


def api(http, facility, method: str, path: str, body: str | bytes = b"", query: str = "") -> tuple[int, dict]:
    response = http(method, f"/api/v1/{path}", body=body, query=query,
                    headers={"content-type": "application/json", "authorization": f"Bearer {facility.api_key}"})
    return response["statusCode"], json.loads(response_body(response))


# --- the clinic API -------------------------------------------------------------------------------


@pytest.mark.parametrize("starts_at", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00",
                                       "9999-12-31T23:59:59+00:00", "1899-06-01T10:00:00Z"])
def test_a_visit_time_out_of_range_is_refused_with_its_field(http, facility, starts_at):
    status, body = api(http, facility, "PUT", "appointments/HIS-1", json.dumps(payload(starts_at=starts_at)))

    assert status == 422 and body["error"]["field"] == "starts_at", body
    assert list(Appointment.scan()) == []


@pytest.mark.parametrize("bounds", [("0001-01-01", "0001-01-02"), ("9999-12-30", "9999-12-31"),
                                    ("0001-01-01T00:00:00+01:00", "0001-01-01T10:00:00+01:00"),
                                    ("9999-12-31T00:00:00-01:00", "9999-12-31T20:00:00-01:00")])
@pytest.mark.parametrize("path", ["appointments", "reports/payments"])
def test_a_list_or_report_range_out_of_range_is_refused_with_its_field(http, facility, bounds, path):
    status, body = api(http, facility, "GET", path, query=urlencode({"from": bounds[0], "to": bounds[1]}))

    assert status == 422 and body["error"]["field"] in ("from", "to"), body


def test_json_nested_beyond_a_sane_depth_is_a_400(http, facility):
    for depth in (40, 100_000):
        status, body = api(http, facility, "PUT", "appointments/HIS-1", "[" * depth + "]" * depth)
        assert status == 400 and body["error"]["code"] == "malformed_request", body
        nested = json.dumps(payload(service={"a": 1})).replace('{"a": 1}', '{"a": ' * depth + "1" + "}" * depth)
        status, body = api(http, facility, "PUT", "appointments/HIS-1", nested)
        assert status == 400, body
    assert list(Appointment.scan()) == []


def test_a_body_that_is_not_utf8_is_a_400(http, facility):
    status, body = api(http, facility, "PUT", "appointments/HIS-1", b'{"service": "' + LATIN2_BYTES + b'"}')

    assert status == 400 and body["error"]["code"] == "malformed_request", body


@pytest.mark.parametrize("pesel", ["٤٤٠٥١٤٠١٣٥٩", "４４０５１４０１３５９", "44051401359".replace("4", "٤")])
def test_a_pesel_in_digits_other_than_ascii_is_refused(http, facility, pesel):
    body = payload()
    body["patient"]["pesel"] = pesel

    status, answer = api(http, facility, "PUT", "appointments/HIS-1", json.dumps(body))

    assert status == 422 and answer["error"]["field"] == "patient.pesel", answer
    assert list(Appointment.scan()) == []


def test_a_page_limit_in_other_digits_is_refused(http, facility):
    status, body = api(http, facility, "GET", "appointments",
                       query=urlencode({"from": "2030-01-01", "to": "2030-01-02", "limit": "٥"}))

    assert status == 422 and body["error"]["field"] == "limit"


# --- the patient pages ----------------------------------------------------------------------------


def many_fields(**real) -> str:
    return urlencode({**real, **{f"x{i}": "1" for i in range(40)}})


def test_a_visit_form_with_more_fields_than_it_has_is_refused_and_changes_nothing(http, book):
    appointment = book(days=3)
    token = form_token(http("GET", link_path(appointment), query="step=cancel")["body"], "cancel")
    before = snapshot(appointment)

    answer = http("POST", link_path(appointment), headers=FORM, body=many_fields(action="cancel", csrf=token))

    assert answer["statusCode"] == 400 and "Nic nie zostało zmienione" in answer["body"]
    assert snapshot(appointment) == before


def test_a_lookup_form_with_many_fields_or_not_utf8_is_a_400(http, book):
    token = form_token(http("GET", "/c")["body"])

    crowded = http("POST", "/c", headers=FORM, body=many_fields(csrf=token, code="ABCDEFGH", phone="600100200"))
    latin2 = http("POST", "/c", headers=FORM, body=b"csrf=" + token.encode() + b"&code=" + LATIN2_BYTES)

    assert crowded["statusCode"] == latin2["statusCode"] == 400
    assert "<form" in crowded["body"] and "<form" in latin2["body"]


def test_a_visit_form_that_is_not_utf8_is_refused(http, book):
    appointment = book(days=3)
    token = form_token(http("GET", link_path(appointment), query="step=cancel")["body"], "cancel")
    before = snapshot(appointment)

    answer = http("POST", link_path(appointment), headers=FORM,
                  body=b"action=cancel&csrf=" + token.encode() + b"&reason=" + LATIN2_BYTES)

    assert answer["statusCode"] == 400 and snapshot(appointment) == before


@pytest.mark.parametrize("reason", ["unpaid", "not_given"])
def test_a_reason_the_page_does_not_offer_is_refused(http, book, reason):
    appointment = book(days=3)
    token = form_token(http("GET", link_path(appointment), query="step=cancel")["body"], "cancel")
    before = snapshot(appointment)

    answer = http("POST", link_path(appointment), headers=FORM,
                  body=urlencode({"action": "cancel", "csrf": token, "reason": reason}))

    assert answer["statusCode"] == 400 and snapshot(appointment) == before


def test_the_lookup_with_digits_other_than_ascii_in_the_code_finds_nothing(http, book):
    book(days=3, phone="600 100 200")

    answer = look_up(http, "ABCD٤٥٦٧", "600 100 200")

    assert answer["statusCode"] == 200 and "Location" not in answer["headers"]


# --- SMS and Stripe webhooks ----------------------------------------------------------------------


def test_sms_provider_callbacks_that_are_not_utf8_are_a_400(http, aws):
    smsapi = http("POST", "/webhooks/smsapi/sms", query=f"key={aws.smsapi_callback_key}", headers=FORM,
                  body=b"MsgId=1&sms_from=48600100200&sms_text=" + LATIN2_BYTES)
    twilio = http("POST", "/webhooks/twilio/sms", headers=FORM, body=b"Body=" + LATIN2_BYTES)

    assert smsapi["statusCode"] == 400
    assert twilio["statusCode"] in (400, 403)  # unsigned anyway; never a 500


def signed(stripe_fake, event: dict) -> tuple[str, dict]:
    body = json.dumps(event)
    signature = stripe.WebhookSignature.generate_signature_header(body, stripe_fake.webhook_secret)
    return body, {"content-type": "application/json", "stripe-signature": signature}


@pytest.mark.parametrize("shape", ["no_data", "no_object", "object_not_a_map", "thin_v2", "no_type", "list"])
def test_a_correctly_signed_but_malformed_stripe_event_is_a_logged_400(http, stripe_fake, awaiting_payment,
                                                                         shape, caplog):
    appointment = awaiting_payment()
    session_id = opened(http, stripe_fake, appointment)
    event = stripe_fake.pay(session_id)
    before = state(appointment)
    malformed = {
        "no_data": {k: v for k, v in event.items() if k != "data"},
        "no_object": {**event, "data": {"previous_attributes": {}}},
        "object_not_a_map": {**event, "data": {"object": "cs_test_1"}},
        "thin_v2": {"id": "evt_test_65R9", "object": "v2.core.event", "type": "v1.billing.meter.error_report_triggered",
                    "created": "2026-11-30T10:00:00.000Z", "livemode": False,
                    "related_object": {"id": "mtr_1", "type": "billing.meter", "url": "/v1/billing/meters/mtr_1"}},
        "no_type": {k: v for k, v in event.items() if k != "type"},
        "list": [event],
    }[shape]
    body, headers = signed(stripe_fake, malformed)

    with caplog.at_level(logging.INFO):
        answer = http("POST", "/webhooks/stripe", headers=headers, body=body)

    assert answer["statusCode"] == 400, answer
    assert state(appointment) == before
    assert "malformed" in caplog.text and "+48600100200" not in caplog.text


def test_an_event_with_an_expanded_payment_intent_is_applied(http, stripe_fake, awaiting_payment):
    appointment = awaiting_payment()
    session_id = opened(http, stripe_fake, appointment)
    event = stripe_fake.pay(session_id)
    intent = event["data"]["object"]["payment_intent"]
    event["data"]["object"]["payment_intent"] = {"id": intent, "object": "payment_intent", "status": "succeeded"}
    body, headers = signed(stripe_fake, event)

    answer = http("POST", "/webhooks/stripe", headers=headers, body=body)

    assert answer["statusCode"] == 200
    assert stored(appointment).status == "confirmed"
    assert Payment.get(appointment.appointment_id).payment_intent == intent


def test_a_late_success_event_after_a_full_refund_in_the_dashboard_is_a_2xx_no_op(http, stripe_fake, awaiting_payment):
    """Given a visit paid, then refunded in full by the clinic in Stripe's dashboard: a late
    success event for the same payment (a new event id) changes nothing and refunds nothing again."""
    appointment = awaiting_payment()
    session_id = opened(http, stripe_fake, appointment)
    paid = stripe_fake.pay(session_id)
    deliver(http, stripe_fake, paid)
    refunded_event = stripe_fake.dashboard_refund(stripe_fake.sessions[session_id]["payment_intent"])
    deliver(http, stripe_fake, refunded_event)
    assert Payment.get(appointment.appointment_id).status == "refunded"
    before = state(appointment)
    late = stripe_fake.event("checkout.session.async_payment_succeeded", paid["data"]["object"])

    answers = [deliver(http, stripe_fake, late)["statusCode"] for _ in range(2)]
    again = stripe_fake.event("checkout.session.completed", paid["data"]["object"])  # another copy, another id

    assert answers == [200, 200] and deliver(http, stripe_fake, again)["statusCode"] == 200
    assert state(appointment) == before and stripe_fake.refunds == {}
    assert stored(appointment).status == "confirmed"


# --- SNS two-way messages ---------------------------------------------------------------------------


@pytest.mark.parametrize("message", ["not json {", "[1, 2]", '"text"', "{}", '{"originationNumber": "+48600100200"}',
                                     '{"inboundMessageId": "m-1", "messageBody": "TAK"}',
                                     '{"originationNumber": 48600100200, "inboundMessageId": "m-2"}'])
def test_an_sns_message_that_is_not_json_or_lacks_fields_is_logged_and_acknowledged(aws, message, caplog):
    event = load_event("sns_two_way_inbound.json")
    broken = copy.deepcopy(event)
    broken["Records"][0]["Sns"]["Message"] = message
    broken["Records"].append(copy.deepcopy(event["Records"][0]))  # a good one in the same delivery
    handler = load_handler("SmsInboundSnsFunction")

    with caplog.at_level(logging.INFO):
        handler(broken, FakeLambdaContext("SmsInboundSnsFunction"))  # no exception: no crash loop

    assert "malformed" in caplog.text and "+48600100200" not in caplog.text and "Tak, będę" not in caplog.text


def test_a_good_sns_message_after_a_malformed_one_is_still_handled(aws, book):
    appointment = book(days=3)
    event = load_event("sns_two_way_inbound.json")
    event["Records"].insert(0, copy.deepcopy(event["Records"][0]))
    event["Records"][0]["Sns"]["Message"] = "garbage"
    message = json.loads(event["Records"][1]["Sns"]["Message"])
    message["messageBody"] = "NIE"
    event["Records"][1]["Sns"]["Message"] = json.dumps(message)
    reminded = queue_item("r", "reminder", appointment.appointment_id)  # saved: the sender records its progress on it
    from odwolaj.messaging import outbound_sms
    from tests.conftest import RecordingGateway

    outbound_sms.deliver(reminded, RecordingGateway())

    load_handler("SmsInboundSnsFunction")(event, FakeLambdaContext("SmsInboundSnsFunction"))

    assert appointments.get(appointment.appointment_id).status == "cancelled"


def test_link_tokens_with_odd_characters_are_not_found(http):
    for token in ("%ff%fe" * 3, "٤" * 18, "A" * 4000):
        answer = http("GET", f"/c/{token}")
        assert answer["statusCode"] == 404, token


@pytest.mark.parametrize("method, path", [("POST", "/panel/logowanie"), ("POST", "/api/v1/history")])
def test_a_body_that_is_not_utf8_is_a_400_on_the_console_and_the_campaign_routes(http, facility, method, path):
    """Found by make fuzz on the merged routes: reading the body raised UnicodeDecodeError (a 500)."""
    headers = {**FORM, "authorization": f"Bearer {facility.api_key}"} if path.startswith("/api/") else FORM
    answer = http(method, path, headers=headers, body=b"j\xd7\xce\x86\xac\xee\xaeP\x8f\xdb")

    assert answer["statusCode"] == 400
