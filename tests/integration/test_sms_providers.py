"""Twilio and SMSAPI.pl: outbound requests checked by a local stand-in for their APIs; SMSAPI's
inbound callback guarded by its key."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode

import pytest

from odwolaj.adapters.sms import OutboundSms, ProviderError, SmsApiGateway, TwilioGateway
from odwolaj.data.models import Appointment, OutboxItem
from odwolaj.messaging.outbound_sms import deliver
from tests.conftest import RecordingGateway

MESSAGE = OutboundSms(to="+48600100200", text="Przychodnia: wizyta wt 01.12 o 10:30", sender="+48732100100",
                      ref="abc:sms:booked")


@pytest.fixture
def provider():
    """A loopback HTTP server that records requests and answers with what the test queues."""
    seen, answers = [], []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["content-length"])).decode()
            seen.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                         "form": parse_qs(body)})
            status, payload = answers.pop(0)
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps(payload).encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", seen, answers
    server.shutdown()


def test_twilio_request(provider):
    base, seen, answers = provider
    answers.append((201, {"sid": "SM123"}))

    assert TwilioGateway("AC1", "secret", base_url=base).send(MESSAGE) == "SM123"

    [request] = seen
    assert request["path"] == "/2010-04-01/Accounts/AC1/Messages.json"
    assert request["headers"]["authorization"] == "Basic QUMxOnNlY3JldA=="
    assert request["form"] == {"To": ["+48600100200"], "From": ["+48732100100"], "Body": [MESSAGE.text]}


@pytest.mark.parametrize("status, retryable", [(429, True), (503, True), (400, False)])
def test_twilio_errors(provider, status, retryable):
    base, _, answers = provider
    answers.append((status, {"code": 1}))

    with pytest.raises(ProviderError) as error:
        TwilioGateway("AC1", "secret", base_url=base).send(MESSAGE)
    assert error.value.retryable is retryable


def test_smsapi_request_carries_our_reference_for_its_own_deduplication(provider):
    base, seen, answers = provider
    answers.append((200, {"count": 1, "list": [{"id": "1700000000000", "points": 0.16, "status": "QUEUE"}]}))

    assert SmsApiGateway("tok", base_url=base).send(MESSAGE) == "1700000000000"

    [request] = seen
    assert request["path"] == "/sms.do" and request["headers"]["authorization"] == "Bearer tok"
    form = {k: v[0] for k, v in request["form"].items()}
    assert form["to"] == "48600100200" and form["idx"] == "abc:sms:booked" and form["check_idx"] == "1"


def test_smsapi_error_answer(provider):
    base, _, answers = provider
    answers.append((200, {"error": 13, "message": "No correct phone numbers"}))

    with pytest.raises(ProviderError) as error:
        SmsApiGateway("tok", base_url=base).send(MESSAGE)
    assert error.value.retryable is False


def test_an_unreachable_provider_is_retryable():
    with pytest.raises(ProviderError) as error:
        SmsApiGateway("tok", base_url="http://127.0.0.1:9").send(MESSAGE)
    assert error.value.retryable is True


def smsapi_callback(http, key: str, text: str, msg_id: str = "MO-1"):
    form = {"sms_to": "48732100100", "sms_from": "48600100200", "sms_text": text, "sms_date": "1795000000",
            "username": "clinic", "MsgId": msg_id}
    return http("POST", "/webhooks/smsapi/sms", query=urlencode({"key": key}), body=urlencode(form),
                headers={"content-type": "application/x-www-form-urlencoded"})


def test_smsapi_callback_with_the_key_applies_the_reply_once(http, aws, book):
    appointment = book(days=3)
    deliver(OutboxItem(outbox_id="r", kind="sms", message_kind="reminder", appointment_id=appointment.appointment_id),
            RecordingGateway())

    first = smsapi_callback(http, aws.smsapi_callback_key, "NIE")
    second = smsapi_callback(http, aws.smsapi_callback_key, "NIE")

    assert first["statusCode"] == second["statusCode"] == 200 and first["body"] == "OK"
    assert Appointment.get(appointment.appointment_id).status == "cancelled"
    assert [i.message_kind for i in OutboxItem.scan() if i.kind == "sms"].count("cancelled") == 1


def test_smsapi_callback_without_the_key_is_refused(http, aws, book):
    appointment = book(days=3)

    assert smsapi_callback(http, "wrong-key-wrong-key", "NIE")["statusCode"] == 403
    assert Appointment.get(appointment.appointment_id).status == "booked"


def test_delivery_reports_only_move_forward_whatever_their_order(http, aws, book):
    from twilio.request_validator import RequestValidator

    from odwolaj.data.models import Delivery

    appointment = book(days=3)
    deliver(OutboxItem(outbox_id="o-1", kind="sms", message_kind="booked", appointment_id=appointment.appointment_id),
            RecordingGateway())

    def twilio_status(status):
        params = {"MessageSid": "m-1", "MessageStatus": status, "AccountSid": "AC1"}
        url = "https://odw.pl/webhooks/twilio/status"
        signature = RequestValidator(aws.twilio_auth_token).compute_signature(url, params)
        return http("POST", "/webhooks/twilio/status", body=urlencode(params),
                    headers={"content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature})

    assert Delivery.get("m-1").status == "sent" and Delivery.get("m-1").outbox_id == "o-1"
    assert twilio_status("delivered")["statusCode"] == 204
    twilio_status("sent")  # late and out of order

    assert Delivery.get("m-1").status == "delivered"


def test_smsapi_reports_in_one_callback(http, aws, book):
    from odwolaj.data.models import Delivery

    appointment = book(days=3)
    gateway = RecordingGateway()
    for index in (1, 2):
        deliver(OutboxItem(outbox_id=f"o-{index}", kind="sms", message_kind="booked",
                           appointment_id=appointment.appointment_id), gateway)

    response = http("POST", "/webhooks/smsapi/status", query=urlencode({"key": aws.smsapi_callback_key}),
                    body=urlencode({"MsgId": "m-1,m-2", "status": "404,406"}),
                    headers={"content-type": "application/x-www-form-urlencoded"})

    assert response["body"] == "OK"
    assert (Delivery.get("m-1").status, Delivery.get("m-2").status) == ("delivered", "failed")


def test_end_user_messaging_delivery_events_move_the_delivery_forward(aws, book):
    import copy

    from odwolaj.data.models import Delivery
    from odwolaj.messaging.deliveries import record_sent
    from odwolaj_local.lambdas import FakeLambdaContext, load_handler
    from tests.conftest import load_event

    record_sent("aws", "ed23196c-75ce-4727-93ee-7bf72b64998f", "a1b2c3d4e5f60718:sms:booked")
    delivered = load_event("eum_text_delivered.json")
    late_pending = copy.deepcopy(delivered)
    late_pending["detail"]["eventType"] = "TEXT_PENDING"
    handler = load_handler("SmsDeliveryEventsFunction")

    assert handler(delivered, FakeLambdaContext("SmsDeliveryEventsFunction")) == {"applied": True}
    assert handler(late_pending, FakeLambdaContext("SmsDeliveryEventsFunction")) == {"applied": False}
    assert handler(delivered, FakeLambdaContext("SmsDeliveryEventsFunction")) == {"applied": False}
    assert Delivery.get("ed23196c-75ce-4727-93ee-7bf72b64998f").status == "delivered"
