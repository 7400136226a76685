"""Replies by SMS through the real handlers and real payload shapes: Twilio's form (signed, and the
signature checked against the Twilio SDK's RequestValidator), SMSAPI.pl's callback fields and AWS
End User Messaging's two-way JSON through SNS. Every number with a visit to come is answered;
a reply acts on one visit or asks which; STOP and START always apply; nothing is lost when the
write fails, and nothing is applied twice."""
import copy
import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from pynamodb.exceptions import TransactWriteError
from twilio.request_validator import RequestValidator

from odwolaj.data.models import Appointment, Conversation, FreedSlot, OutboxItem
from odwolaj.language.replies import Context, Intent, parse
from odwolaj.messaging import inbound_sms
from odwolaj.messaging.inbound_sms import InboundSms, Outcome, handle
from odwolaj.messaging.outbound_sms import deliver
from odwolaj_local.lambdas import FakeLambdaContext, load_handler
from tests.conftest import RecordingGateway, load_event, queue_item

TWILIO_URL = "https://odw.pl/webhooks/twilio/sms"
PHONE = "+48600100200"


class Phone:
    """The patient's phone: what the SMS sender function delivered to it, in order."""

    def __init__(self):
        self.gateway = RecordingGateway()
        self.delivered: set[str] = set()

    def receive(self) -> list[str]:
        """Deliver every queued SMS not sent yet (as SmsSenderFunction does off the outbox stream);
        the kinds of message that went out."""
        kinds = []
        for item in sorted(OutboxItem.scan(), key=lambda i: i.created_at):
            if item.kind == "sms" and item.outbox_id not in self.delivered:
                self.delivered.add(item.outbox_id)
                if deliver(item, self.gateway).state == "sent":
                    kinds.append(item.message_kind)
        return kinds

    @property
    def texts(self) -> list[str]:
        return [m.text for m in self.gateway.sent]


@pytest.fixture
def phone(aws):
    return Phone()


@pytest.fixture
def booked(book, phone):
    """Given a visit whose booking SMS (which asks nothing) reached the patient."""

    def _booked(**kwargs):
        appointment = book(**kwargs)
        assert "booked" in phone.receive()
        return appointment

    return _booked


@pytest.fixture
def reminded(booked, phone):
    """Given a visit whose two-way reminder ("Przyjdziesz? Odpisz TAK lub NIE") went out last."""

    def remind(**kwargs):
        appointment = booked(**kwargs)
        OutboxItem(outbox_id=f"{appointment.appointment_id}:sms:reminder:test", kind="sms", message_kind="reminder",
                   appointment_id=appointment.appointment_id, created_at="9999", expires_at=0).save()
        assert phone.receive() == ["reminder"]
        return appointment

    return remind


def twilio(http, aws, text: str, *, sid: str = "SM0001", sender: str = PHONE, signature=None):
    params = {"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid, "AccountSid": "AC123", "From": sender,
              "To": "+48732100100", "Body": text, "NumMedia": "0", "NumSegments": "1", "FromCountry": "PL",
              "ApiVersion": "2010-04-01"}
    if signature is None:
        signature = RequestValidator(aws.twilio_auth_token).compute_signature(TWILIO_URL, params)
    headers = {"content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature}
    return http("POST", "/webhooks/twilio/sms", headers=headers, body=urlencode(params))


def smsapi(http, aws, text: str, *, msg_id: str = "1A2B3C4D5E", sender: str = PHONE.lstrip("+")):
    """SMSAPI.pl's inbound callback: form fields sms_to, sms_from (no plus), sms_text, sms_date, MsgId."""
    form = {"sms_to": "48732100100", "sms_from": sender, "sms_text": text, "sms_date": "1764410000",
            "username": "przychodnia", "MsgId": msg_id}
    return http("POST", "/webhooks/smsapi/sms", query=f"key={aws.smsapi_callback_key}",
                headers={"content-type": "application/x-www-form-urlencoded"}, body=urlencode(form))


def sns(text: str, *, message_id: str = "cae173d2-66b9-564c-8309-21f858e9fb84", sender: str = PHONE):
    """AWS End User Messaging two-way SMS, as its SNS topic delivers it."""
    event = copy.deepcopy(load_event("sns_two_way_inbound.json"))
    message = json.loads(event["Records"][0]["Sns"]["Message"])
    message.update(originationNumber=sender, messageBody=text, inboundMessageId=message_id)
    event["Records"][0]["Sns"]["Message"] = json.dumps(message)
    return load_handler("SmsInboundSnsFunction")(event, FakeLambdaContext("SmsInboundSnsFunction"))


def status(appointment) -> str:
    return Appointment.get(appointment.appointment_id).status


def queued(kind: str) -> list[OutboxItem]:
    return [i for i in OutboxItem.scan() if i.message_kind == kind]


def events(detail_type: str) -> list[dict]:
    return [json.loads(i.detail)["data"] for i in OutboxItem.scan() if i.detail_type == detail_type]


# ---------------------------------------------------------------------------------------------
# A reply to the booking SMS, which asked nothing


def test_a_clear_cancellation_after_the_booking_sms_cancels_thanks_and_frees_the_slot(http, aws, booked, phone):
    appointment = booked(days=3)

    response = smsapi(http, aws, "nie moge przyjsc, odwoluje")

    assert response["statusCode"] == 200 and response["body"] == "OK"
    assert status(appointment) == "cancelled"
    assert Appointment.get(appointment.appointment_id).cancellation.channel == "sms"
    assert FreedSlot.get(appointment.appointment_id).status == "free"  # for the reserve list
    assert phone.receive() == ["cancelled"]
    assert "odwolana. Dziekujemy" in phone.texts[-1]  # nobody waits: no promise the slot goes to someone


def test_a_bare_nie_to_the_booking_sms_gets_one_question_and_the_answer_decides(http, aws, booked, phone):
    appointment = booked(days=3)

    twilio(http, aws, "NIE", sid="SM1")

    assert status(appointment) == "booked"
    assert phone.receive() == ["question"]
    assert "Odpisz TAK, jesli przyjdziesz, albo NIE, by odwolac wizyte" in phone.texts[-1]

    twilio(http, aws, "Nie", sid="SM2")  # the question bound the answer to this visit

    assert status(appointment) == "cancelled"
    assert phone.receive() == ["cancelled"]


def test_a_yes_to_the_question_confirms(http, aws, booked, phone):
    appointment = booked(days=3)
    twilio(http, aws, "nie.", sid="SM1")
    phone.receive()

    twilio(http, aws, "TAK", sid="SM2")

    assert status(appointment) == "confirmed" and phone.receive() == ["confirmed"]


def test_a_bare_tak_to_the_booking_sms_is_unclear_but_bede_confirms(http, aws, booked, phone):
    first = booked(days=3)

    twilio(http, aws, "Tak", sid="SM1")
    assert status(first) == "booked" and phone.receive() == ["help"]

    twilio(http, aws, "Dziękuję, będę", sid="SM2")
    assert status(first) == "confirmed"


def test_the_booking_sms_carries_the_visit_code(booked, phone):
    appointment = booked(days=3)

    code = appointment.visit_code
    assert f"Kod wizyty: {code[:4]}-{code[4:]}." in phone.texts[0]


# ---------------------------------------------------------------------------------------------
# A reply to a reminder, which asked TAK/NIE


def test_nie_to_a_reminder_cancels_and_the_thank_you_is_queued(http, aws, reminded, phone):
    appointment = reminded(days=3)

    response = twilio(http, aws, "Nie, nie przyjdę")

    assert response["statusCode"] == 200 and "<Response>" in response["body"]
    assert status(appointment) == "cancelled" and phone.receive() == ["cancelled"]


def test_a_clear_yes_confirms_through_sns(aws, reminded, phone):
    appointment = reminded(days=3)

    sns("Tak, będę")
    sns("Tak, będę")  # SNS may deliver twice

    assert status(appointment) == "confirmed"
    assert phone.receive() == ["confirmed"]


@pytest.mark.parametrize("text", ["Nie wiem", "nie rozumiem o co chodzi", "Czy mogę odwołać?", "Chyba nie dam rady",
                                  "Nie odwołuję", "Nie mogę się dodzwonić do rejestracji"])
def test_replies_that_do_not_refuse_never_cancel(http, aws, reminded, text):
    appointment = reminded(days=3)

    twilio(http, aws, text)

    assert status(appointment) == "booked"


def test_an_unclear_reply_gets_one_helpful_answer_a_day_with_the_link_and_the_phone(http, aws, reminded, phone):
    appointment = reminded(days=3)

    twilio(http, aws, "a o której?", sid="SM1")
    twilio(http, aws, "halo?", sid="SM2")

    assert status(appointment) == "booked"
    assert phone.receive() == ["help"]
    assert "https://odw.pl/c/" in phone.texts[-1] and "+48 22 123 45 67" in phone.texts[-1]


def test_stop_opts_out_once_and_start_restores(http, aws, reminded, phone):
    appointment = reminded(days=3)

    twilio(http, aws, "Proszę nie wysyłać mi SMS-ów", sid="SM1")
    twilio(http, aws, "STOP", sid="SM2")  # already out: not acknowledged again

    assert status(appointment) == "booked"  # an opt-out is never a cancellation
    assert Conversation.get(PHONE).opted_out
    assert phone.receive() == ["stopped"]
    reminder = queue_item("r2", "reminder", appointment.appointment_id)
    assert deliver(reminder, RecordingGateway()).state == "skipped"
    assert [e["channel"] for e in events("PatientOptedOut")] == ["sms"]

    twilio(http, aws, "START", sid="SM3")

    assert not Conversation.get(PHONE).opted_out and phone.receive() == ["started"]
    assert deliver(queue_item("r3", "reminder", appointment.appointment_id), RecordingGateway()).state == "sent"
    assert len(events("PatientOptedIn")) == 1


def test_stop_after_the_booking_sms_also_applies(http, aws, booked, phone):
    booked(days=3)

    smsapi(http, aws, "STOP")

    assert Conversation.get(PHONE).opted_out and phone.receive() == ["stopped"]


# ---------------------------------------------------------------------------------------------
# Several visits, no visit


def test_a_reply_that_could_mean_several_visits_asks_about_the_latest_and_binds_the_answer(http, aws, booked, phone):
    first = booked(days=3, external_id="A")
    second = booked(days=5, external_id="B")

    twilio(http, aws, "nie przyjdę", sid="SM1")

    assert status(first) == status(second) == "booked"
    [clarify] = queued("clarify")
    assert clarify.appointment_id == second.appointment_id  # the one the latest message was about
    assert clarify.links.count("https://odw.pl/c/") == 1  # the other visit's page
    assert phone.receive() == ["clarify"]

    twilio(http, aws, "NIE", sid="SM2")

    assert status(second) == "cancelled" and status(first) == "booked"


def test_a_number_with_no_visit_to_come_gets_nothing(http, aws, booked):
    appointment = booked(days=3)

    twilio(http, aws, "NIE", sender="+48511222333")
    from odwolaj.appointments import lifecycle

    lifecycle.cancel(appointment, channel="web")
    before = len(list(OutboxItem.scan()))
    twilio(http, aws, "Nie przyjdę", sid="SM9")  # its only visit is cancelled now

    assert len(list(OutboxItem.scan())) == before
    assert queued("help") == queued("question") == []
    with pytest.raises(Conversation.DoesNotExist):
        Conversation.get("+48511222333")


def test_visits_no_longer_open_are_forgotten_by_the_conversation(http, aws, reminded):
    from odwolaj.appointments import lifecycle

    past = reminded(days=3, external_id="A")
    lifecycle.cancel(past, channel="web")
    current = reminded(days=5, external_id="B")

    twilio(http, aws, "TAK")

    assert status(current) == "confirmed"
    assert not Conversation.get(PHONE).awaiting


# ---------------------------------------------------------------------------------------------
# Once, in order or not


def test_a_duplicate_delivery_changes_nothing_twice_and_answers_once(http, aws, reminded, phone):
    reminded(days=3)

    twilio(http, aws, "TAK")
    twilio(http, aws, "TAK")

    assert phone.receive() == ["confirmed"]


def test_a_message_id_seen_before_gets_its_outcome_even_past_the_idempotency_store(aws, booked, phone):
    appointment = booked(days=3)
    sms = InboundSms(sender=PHONE, text="NIE", message_id="m-1")

    assert handle(sms) is Outcome.ASKED
    assert handle(sms) is Outcome.ASKED  # not a second question, and not taken as the answer to it

    assert len(queued("question")) == 1 and status(appointment) == "booked"


def test_yes_and_no_delivered_out_of_order_never_cancel_on_a_guess(aws, reminded, phone):
    appointment = reminded(days=3)

    assert handle(InboundSms(PHONE, "TAK", "m-2")) is Outcome.CONFIRMED
    # The "NIE" the patient sent first arrives last: the reminder is answered, so it is asked about.
    assert handle(InboundSms(PHONE, "NIE", "m-1")) is Outcome.ASKED

    assert status(appointment) == "confirmed"


def test_a_reply_racing_another_change_of_the_conversation_is_decided_again(aws, reminded, phone, monkeypatch):
    appointment = reminded(days=3)
    real_load = inbound_sms.conversations.load
    raced = []

    def load_then_race(number):
        conversation = real_load(number)
        if not raced:  # a message is being sent to the number right now
            raced.append(True)
            Conversation(number).update(actions=[Conversation.version.add(1)])
        return conversation

    monkeypatch.setattr(inbound_sms.conversations, "load", load_then_race)

    assert handle(InboundSms(PHONE, "NIE", "m-1")) is Outcome.CANCELLED
    assert raced and status(appointment) == "cancelled"


# ---------------------------------------------------------------------------------------------
# No reply is lost: a failed write leaves everything for the retry


def test_a_throttled_cancellation_changes_nothing_and_the_retry_applies_it_once(http, aws, reminded, phone,
                                                                               throttle_next):
    appointment = reminded(days=3)
    before = Conversation.get(PHONE)
    failed_write = throttle_next()

    # The invocation fails (API Gateway answers 500); SMSAPI retries a callback that did not answer OK.
    with pytest.raises(TransactWriteError):
        smsapi(http, aws, "NIE", msg_id="RETRIED1")

    # The failed transaction held the cancellation, the thank-you and the conversation together.
    written = json.dumps(failed_write, default=str)
    assert "ConversationsTable" in written and "AppointmentsTable" in written and "sms:cancelled" in written
    assert status(appointment) == "booked" and phone.receive() == []
    after = Conversation.get(PHONE)
    assert (after.awaiting, after.version, after.handled) == (before.awaiting, before.version, before.handled)

    smsapi(http, aws, "NIE", msg_id="RETRIED1")

    assert status(appointment) == "cancelled" and phone.receive() == ["cancelled"]
    assert not Conversation.get(PHONE).awaiting


@pytest.mark.parametrize("text, expected", [("NIE", ["question"]), ("STOP", ["stopped"]), ("hmm", ["help"])])
def test_a_throttled_answer_is_not_lost_either(aws, booked, phone, throttle_next, text, expected):
    booked(days=3)
    sms = InboundSms(PHONE, text, "m-1")
    throttle_next()

    with pytest.raises(TransactWriteError):
        handle(sms)
    assert phone.receive() == [] and not Conversation.get(PHONE).handled

    handle(sms)

    assert phone.receive() == expected


# ---------------------------------------------------------------------------------------------
# Providers' shapes and signatures


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl"])
def test_unsigned_or_forged_requests_are_refused_and_change_nothing(http, aws, reminded, phone, signature):
    appointment = reminded(days=3)

    response = twilio(http, aws, "NIE", signature=signature)

    assert response["statusCode"] == 403
    assert status(appointment) == "booked" and phone.receive() == []


def test_a_signature_for_another_url_is_refused(http, aws, reminded):
    appointment = reminded(days=3)
    params = {"MessageSid": "SM9", "From": PHONE, "Body": "NIE"}
    signature = RequestValidator(aws.twilio_auth_token).compute_signature("https://evil.example/x", params)

    response = http("POST", "/webhooks/twilio/sms", body=urlencode(params),
                    headers={"content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature})

    assert response["statusCode"] == 403 and status(appointment) == "booked"


def test_smsapi_without_its_key_is_refused(http, aws, reminded):
    appointment = reminded(days=3)

    response = http("POST", "/webhooks/smsapi/sms", query="key=wrong-key-wrong-key",
                    headers={"content-type": "application/x-www-form-urlencoded"},
                    body=urlencode({"sms_from": PHONE.lstrip("+"), "sms_text": "NIE", "MsgId": "X1"}))

    assert response["statusCode"] == 403 and status(appointment) == "booked"


def test_our_signature_matches_the_twilio_sdk_for_repeated_and_unicode_params():
    from werkzeug.datastructures import MultiDict

    from odwolaj.adapters.twilio import signature

    params = {"Body": ["Odwołuję ą"], "To": ["+48 1"], "A": ["2", "1"]}
    sdk_params = [("Body", "Odwołuję ą"), ("To", "+48 1"), ("A", "2"), ("A", "1")]
    expected = RequestValidator("token").compute_signature(TWILIO_URL, MultiDict(sdk_params))
    assert signature("token", TWILIO_URL, params) == expected


# ---------------------------------------------------------------------------------------------
# Properties


UNCLEAR_WORDS = ["nie", "wiem", "czy", "może", "chyba", "przyjdę", "odwołać", "jak", "jutro", "?", "a", "o",
                 "której", "rozumiem", "halo", "😊", "tak", "SMS", "wizyta"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(UNCLEAR_WORDS), min_size=1, max_size=6))
def test_an_unclear_reply_never_changes_a_visit(aws, book, words):
    """Whatever an unclear reply says, the visit it could be about stays as it was."""
    text = " ".join(words)
    if parse(text, Context.REMINDER) is not Intent.UNKNOWN or parse(text, Context.BOOKING) is not Intent.UNKNOWN:
        return
    found = list(Appointment.by_phone.query(PHONE))
    appointment = Appointment.get(found[0].appointment_id) if found else book(days=3)
    deliver(queue_item(f"r-{text}", "reminder", appointment.appointment_id), RecordingGateway())

    handle(InboundSms(PHONE, text, f"p-{text}"))

    after = Appointment.get(appointment.appointment_id)
    assert (after.status, after.version) == ("booked", appointment.version)
