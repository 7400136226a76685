"""Queued SMS → provider: composed at send time, sent once, retried with back-off, skipped when
no longer relevant."""
import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto.sns.models import sns_backends

from odwolaj.adapters.sms import EndUserMessagingGateway, OutboundSms, ProviderError
from odwolaj.appointments import lifecycle as appointments
from odwolaj.data.models import OutboxItem
from odwolaj.messaging.outbound_sms import deliver
from odwolaj_local.aws import REGION
from odwolaj_local.lambdas import FakeLambdaContext, load_handler
from tests.conftest import RecordingGateway, queue_item


def sent_sms() -> list[tuple[str, str]]:
    """What moto's SNS recorded as sent to phones (the runner's moto runs in this process)."""
    return list(sns_backends["123456789012"][REGION].sms_messages.values())


def stream_event(items: list[OutboxItem]) -> dict:
    """The DynamoDB stream records Lambda would get for these inserted outbox items."""
    return {"Records": [{
        "eventID": f"{index}",
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "dynamodb": {"Keys": {"outbox_id": {"S": item.outbox_id}}, "NewImage": item.serialize(),
                     "SequenceNumber": f"{index:021d}", "StreamViewType": "NEW_IMAGE"},
        "eventSourceARN": "arn:aws:dynamodb:eu-central-1:123456789012:table/outbox/stream/x",
    } for index, item in enumerate(items, start=1)]}


def queued(message_kind: str) -> OutboxItem:
    [item] = [i for i in OutboxItem.scan() if i.kind == "sms" and i.message_kind == message_kind]
    return item


def send(items: list[OutboxItem]) -> dict:
    return load_handler("SmsSenderFunction")(stream_event(items), FakeLambdaContext("SmsSenderFunction"))


@pytest.fixture(autouse=True)
def empty_phone_log(aws):
    sns_backends["123456789012"][REGION].sms_messages.clear()


def test_cancellation_thanks_the_patient_in_gsm7_and_promises_nothing_when_nobody_waits(book):
    appointment = book(days=3)
    appointments.cancel(appointment, channel="web")

    assert send([queued("cancelled")]) == {"batchItemFailures": []}

    [(phone, text)] = sent_sms()
    assert phone == "+48600100200"
    assert "odwolana" in text and "Dziekujemy" in text and "Nowy termin? Zadzwon: +48 22 123 45 67" in text
    assert "kto czeka" not in text and "inny pacjent" not in text


def test_cancellation_says_the_visit_may_go_to_someone_only_when_someone_waits_for_it(book, facility):
    from odwolaj.reserve import entries

    entries.join(facility.facility.facility_id, entries.EntryInput.from_payload({
        "referral": "R-1", "patient": {"id": "W-1", "phone": "600 100 999", "pesel": "44051401359"},
        "reason": "I20.8", "category": "stabilny", "planned_date": "2027-06-01", "entered_by": "test",
        "consent": True, "service": "Poradnia kardiologiczna"}))
    appointment = book(days=3)
    appointments.cancel(appointment, channel="web")

    send([queued("cancelled")])

    [text] = [text for phone, text in sent_sms() if phone == "+48600100200"]
    assert "Termin moze dostac ktos, kto czeka na wizyte" in text


def test_the_waiting_list_is_read_once_for_a_cancellation_message(book, monkeypatch):
    from odwolaj.messaging import outbound_sms

    reads = []
    monkeypatch.setattr(outbound_sms, "anyone_waiting", lambda *key: reads.append(key) or False)
    appointment = book(days=3)
    appointments.cancel(appointment, channel="web")

    send([queued("cancelled")])

    assert len(sent_sms()) == 1 and len(reads) == 1  # the text and the conversation share one choice


def test_the_same_record_delivered_twice_sends_once(book):
    book(days=3)
    item = queued("booked")

    send([item])
    send([item])
    send([item, item])

    assert len(sent_sms()) == 1
    assert "https://odw.pl/c/" in sent_sms()[0][1]


def test_a_booking_message_for_a_visit_cancelled_meanwhile_is_not_sent(book):
    appointment = book(days=3)
    appointments.cancel(appointment, channel="sms")

    send([queued("booked")])

    assert sent_sms() == []


def test_end_user_messaging_request_and_retry_with_back_off(book):
    appointment = book(days=3)
    gateway = EndUserMessagingGateway(boto3.client("pinpoint-sms-voice-v2", region_name=REGION),
                                      configuration_set="odwolaj")
    expected = {
        "DestinationPhoneNumber": "+48600100200",
        "MessageBody": ANY,
        "MessageType": "TRANSACTIONAL",
        "Context": {"ref": "ref-1"},
        "ConfigurationSetName": "odwolaj",
    }
    sleeps = []
    with Stubber(gateway.client) as stub:
        stub.add_client_error("send_text_message", "ThrottlingException", expected_params=expected)
        stub.add_response("send_text_message", {"MessageId": "m-1"}, expected_params=expected)

        item = queue_item("ref-1", "booked", appointment.appointment_id)
        assert deliver(item, gateway, sleep=sleeps.append).provider_message_id == "m-1"
        stub.assert_no_pending_responses()
    assert sleeps == [0.5]


def test_a_refused_message_is_not_retried_in_the_function():
    gateway = EndUserMessagingGateway(boto3.client("pinpoint-sms-voice-v2", region_name=REGION))
    with Stubber(gateway.client) as stub:
        stub.add_client_error("send_text_message", "ValidationException")
        with pytest.raises(ProviderError) as refused:
            gateway.send(OutboundSms(to="+48600100200", text="x", sender=None, ref="r"))
    assert refused.value.retryable is False


def test_a_facility_override_is_used_and_a_one_way_sender_gets_the_link_reminder(facility, book):
    from odwolaj.data.models import Facility

    Facility(facility.facility.facility_id).update(actions=[
        Facility.message_templates.set({"cancelled": "$facility: odwolano wizyte $when. Dziekujemy!"}),
        Facility.sms_two_way.set(False),
        Facility.sms_sender.set("Przychodnia"),
    ])
    cancelled = book(days=10)
    appointments.cancel(cancelled, channel="web")
    upcoming = book(days=10, external_id="X2")
    gateway = RecordingGateway()

    deliver(queued("cancelled"), gateway)
    deliver(queue_item("r", "reminder", upcoming.appointment_id), gateway)

    thanks, reminder = gateway.sent
    assert thanks.text.startswith("Przychodnia: odwolano wizyte") and thanks.sender == "Przychodnia"
    assert "TAK" not in reminder.text and "https://odw.pl/c/" in reminder.text


def test_a_text_saved_through_the_clinic_api_is_what_the_patient_then_receives(http, facility, book):
    import json

    own = "$facility: zapisaliśmy Cię na $when ($service). Kod: $code. Nie możesz? Odwołaj: $link"
    response = http("PUT", "/api/v1/message-templates", body=json.dumps({"messages": {"booked": own}}),
                    headers={"authorization": f"Bearer {facility.api_key}", "content-type": "application/json"})
    assert response["statusCode"] == 200
    appointment = book(days=3)

    assert send([queued("booked")]) == {"batchItemFailures": []}

    [(phone, text)] = sent_sms()
    assert phone == "+48600100200"
    assert text.startswith("Przychodnia: zapisalismy Cie na ") and "(Poradnia kardiologiczna). Kod: " in text
    assert "Nie mozesz? Odwolaj: https://odw.pl/c/" in text and "Kod wizyty" not in text
    assert appointment.visit_code.replace("-", "")[:4] in text.replace("-", "")
