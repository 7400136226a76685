"""Replies by SMS: Twilio (signature checked against the Twilio SDK) and AWS End User Messaging
through SNS; routed to the visit they answer, applied once, never answered in a loop."""
import copy
from urllib.parse import urlencode

import pytest
from twilio.request_validator import RequestValidator

from odwolaj.data.models import Appointment, Conversation, OutboxItem
from odwolaj.messaging.outbound_sms import deliver
from odwolaj_local.lambdas import FakeLambdaContext, load_handler
from tests.conftest import RecordingGateway, load_event, queue_item

TWILIO_URL = "https://odw.pl/webhooks/twilio/sms"


@pytest.fixture
def reminded(book):
    """Given a visit whose two-way reminder went out (so a reply can answer it)."""

    def remind(**kwargs):
        appointment = book(**kwargs)
        reminder = queue_item(f"r-{appointment.appointment_id}", "reminder", appointment.appointment_id)
        deliver(reminder, RecordingGateway())
        return appointment

    return remind


def answers() -> list[str]:
    return sorted(i.message_kind for i in OutboxItem.scan()
                  if i.kind == "sms" and i.message_kind not in ("booked", "reminder"))


def twilio(http, aws, text: str, *, sid: str = "SM0001", sender: str = "+48600100200", signature=None):
    params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": "AC123", "From": sender, "To": "+48732100100",
              "Body": text, "NumMedia": "0"}
    if signature is None:
        signature = RequestValidator(aws.twilio_auth_token).compute_signature(TWILIO_URL, params)
    headers = {"content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature}
    return http("POST", "/webhooks/twilio/sms", headers=headers, body=urlencode(params))


def status(appointment) -> str:
    return Appointment.get(appointment.appointment_id).status


def test_nie_by_twilio_cancels_and_the_thank_you_is_queued(http, aws, reminded):
    appointment = reminded(days=3)

    response = twilio(http, aws, "Nie, nie przyjdę")

    assert response["statusCode"] == 200 and "<Response>" in response["body"]
    assert status(appointment) == "cancelled"
    assert Appointment.get(appointment.appointment_id).cancellation.channel == "sms"
    assert answers() == ["cancelled"]


def test_a_duplicate_delivery_changes_nothing_twice_and_answers_once(http, aws, reminded):
    reminded(days=3)

    twilio(http, aws, "TAK")
    twilio(http, aws, "TAK")

    assert answers() == ["confirmed"]


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl"])
def test_unsigned_or_forged_requests_are_refused_and_change_nothing(http, aws, reminded, signature):
    appointment = reminded(days=3)

    response = twilio(http, aws, "NIE", signature=signature)

    assert response["statusCode"] == 403
    assert status(appointment) == "booked" and answers() == []


def test_a_signature_for_another_url_is_refused(http, aws, reminded):
    appointment = reminded(days=3)
    params = {"MessageSid": "SM9", "From": "+48600100200", "Body": "NIE"}
    signature = RequestValidator(aws.twilio_auth_token).compute_signature("https://evil.example/x", params)

    response = http("POST", "/webhooks/twilio/sms", body=urlencode(params),
                    headers={"content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature})

    assert response["statusCode"] == 403 and status(appointment) == "booked"


def test_an_unknown_number_gets_nothing(http, aws, reminded):
    reminded(days=3)

    twilio(http, aws, "NIE", sender="+48511222333")

    assert answers() == []


def test_an_unclear_reply_gets_one_helpful_answer_a_day(http, aws, reminded):
    appointment = reminded(days=3)

    twilio(http, aws, "a o której?", sid="SM1")
    twilio(http, aws, "halo?", sid="SM2")

    assert answers() == ["help"] and status(appointment) == "booked"


def test_several_visits_awaiting_a_reply_get_a_clarifying_answer_with_links(http, aws, reminded):
    first = reminded(days=3, external_id="A")
    second = reminded(days=5, external_id="B", patient_id="P-1")

    twilio(http, aws, "NIE")

    assert status(first) == status(second) == "booked"
    [clarify] = [i for i in OutboxItem.scan() if i.message_kind == "clarify"]
    assert clarify.links.count("https://odw.pl/c/") == 2


def test_stop_opts_out_of_reminders_but_not_out_of_answers(http, aws, reminded):
    appointment = reminded(days=3)
    twilio(http, aws, "STOP", sid="SM1")
    gateway = RecordingGateway()

    reminder = queue_item("r2", "reminder", appointment.appointment_id)
    thanks = queue_item("c2", "cancelled", appointment.appointment_id)

    assert deliver(reminder, gateway).state == "skipped"
    assert deliver(thanks, gateway).provider_message_id == "m-1"
    assert Conversation.get("+48600100200").opted_out
    assert "stopped" in answers()


def test_sns_two_way_message_confirms(aws, reminded):
    appointment = reminded(days=3)
    event = load_event("sns_two_way_inbound.json")
    handler = load_handler("SmsInboundSnsFunction")

    handler(event, FakeLambdaContext("SmsInboundSnsFunction"))
    handler(copy.deepcopy(event), FakeLambdaContext("SmsInboundSnsFunction"))  # SNS may deliver twice

    assert status(appointment) == "confirmed"
    assert answers() == ["confirmed"]


def test_our_signature_matches_the_twilio_sdk_for_repeated_and_unicode_params():
    from odwolaj.adapters.twilio import signature

    params = {"Body": ["Odwołuję ą"], "To": ["+48 1"], "A": ["2", "1"]}
    sdk_params = [("Body", "Odwołuję ą"), ("To", "+48 1"), ("A", "2"), ("A", "1")]
    from twilio.request_validator import RequestValidator as SdkValidator
    from werkzeug.datastructures import MultiDict

    expected = SdkValidator("token").compute_signature(TWILIO_URL, MultiDict(sdk_params))
    assert signature("token", TWILIO_URL, params) == expected


def test_a_reply_whose_write_failed_is_applied_by_the_retry(aws, reminded, monkeypatch):
    """The confirmation's transaction fails (a 5xx after the SDK's retries): the visit must still
    await the reply, so the retry confirms it. Before, the reply was settled anyway and the retry
    ignored it (found by make faults)."""
    from botocore.exceptions import ClientError

    from odwolaj.appointments import lifecycle

    appointment = reminded(days=3)
    event = load_event("sns_two_way_inbound.json")
    handler = load_handler("SmsInboundSnsFunction")
    real, failures = lifecycle.confirm, []

    def confirm_failing_once(*args, **kwargs):
        if not failures:
            failures.append(1)
            raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, "TransactWriteItems")
        return real(*args, **kwargs)

    monkeypatch.setattr(lifecycle, "confirm", confirm_failing_once)
    with pytest.raises(ClientError):
        handler(event, FakeLambdaContext("SmsInboundSnsFunction"))
    handler(copy.deepcopy(event), FakeLambdaContext("SmsInboundSnsFunction"))  # Lambda's retry

    assert status(appointment) == "confirmed" and answers() == ["confirmed"]


@pytest.mark.parametrize("header", ["żółć", "\u0000", "a" * 28])
def test_a_twilio_signature_header_that_cannot_match_is_refused_not_raised(header):
    """A non-ASCII header raised TypeError in compare_digest: a 500 (found by test_fuzz)."""
    from odwolaj.adapters.twilio import is_valid

    assert not is_valid("token", TWILIO_URL, {"Body": ["NIE"]}, header)


def test_visits_no_longer_open_are_forgotten_by_the_conversation(http, aws, reminded):
    from odwolaj.appointments import lifecycle as appointments

    past = reminded(days=3, external_id="A")
    appointments.cancel(past, channel="web")
    current = reminded(days=5, external_id="B")

    twilio(http, aws, "TAK")

    assert status(current) == "confirmed"
    assert Conversation.get("+48600100200").awaiting is None
