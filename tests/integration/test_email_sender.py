"""The payment link by e-mail: queued with the booking when the patient's address is known, composed
at send time, sent once through SES (moto), skipped once paid or while the channel is off."""
import re
import sys
from zoneinfo import ZoneInfo

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from moto.ses.models import ses_backends

from odwolaj.core.clock import parse_iso
from odwolaj.data.models import Appointment, OutboxItem
from odwolaj.payments.rules import save_facility_rules
from odwolaj_local.aws import REGION
from odwolaj_local.lambdas import FakeLambdaContext, load_handler
from tests.conftest import queue_item
from tests.integration.test_payment_booking import RULES
from tests.integration.test_sms_sender import stream_event

ADDRESS = "anna.kowalska@example.pl"


def sent_mail() -> list:
    """What moto's SES recorded as sent (the runner's moto runs in this process)."""
    return list(ses_backends["123456789012"][REGION].sent_messages)


def queued_email() -> list[OutboxItem]:
    return [item for item in OutboxItem.scan() if item.kind == "email"]


def send(items: list[OutboxItem]) -> dict:
    return load_handler("EmailSenderFunction")(stream_event(items), FakeLambdaContext("EmailSenderFunction"))


@pytest.fixture(autouse=True)
def empty_mailbox(aws):
    ses_backends["123456789012"][REGION].sent_messages.clear()


@pytest.fixture
def rules(facility):
    """A first visit must be prepaid (150 zł, within 24 hours); later ones may be."""
    return save_facility_rules(facility.facility.facility_id, RULES)


def test_a_prepaid_booking_with_an_address_sends_the_link_and_deadline_in_words_once(book, rules, caplog):
    appointment = book(days=10, email=ADDRESS)

    [item] = queued_email()
    assert item.outbox_id == f"{appointment.appointment_id}:email:payment-link"
    assert item.message_kind == "payment_link"
    assert ADDRESS not in str(item.serialize()) and "Kowalska" not in str(item.serialize())

    load_handler("EmailSenderFunction")
    sys.modules["odwolaj_fn_EmailSenderFunction"].logger.setLevel("INFO")
    assert send([item]) == {"batchItemFailures": []}

    [mail] = sent_mail()
    assert mail.source == "rejestracja@odwolaj.local"
    assert mail.destinations["ToAddresses"] == [ADDRESS]
    assert mail.subject.startswith("Przedpłata za wizytę")
    assert "Przychodnia Przykładowa" in mail.subject
    assert "150 zł" in mail.body and "https://odw.pl/p/" in mail.body
    assert "+48 22 123 45 67" in mail.body
    deadline = parse_iso(appointment.payment_deadline).astimezone(ZoneInfo("Europe/Warsaw"))
    words = re.search(r"po wpłacie 150 zł do (\w+) (\d+) (\w+), godz\. (\d\d:\d\d)\.", mail.body)
    assert words and words.group(2, 4) == (str(deadline.day), f"{deadline:%H:%M}")
    assert words.group(1).endswith(("ku", "dy", "ty", "li")) and words.group(3).endswith("a")  # genitive
    [logged] = [record for record in caplog.records if record.getMessage() == "email"]
    assert (logged.outbox_id, logged.outcome, logged.sent_now) == (item.outbox_id, "sent", True)
    assert ADDRESS not in str(vars(logged)) and "Przedpłata" not in str(vars(logged))


def test_a_booking_without_an_address_queues_no_email(book, rules):
    book(days=10)

    assert queued_email() == []
    assert [i.message_kind for i in OutboxItem.scan() if i.kind == "sms"] == ["payment_link"]


def test_a_booking_without_prepayment_queues_no_email(book):
    book(days=10, email=ADDRESS)

    assert queued_email() == []


def test_the_same_booking_pushed_again_queues_nothing_twice(book, rules):
    book(days=10, email=ADDRESS)
    book(days=10, email=ADDRESS)

    assert len(queued_email()) == 1


def test_a_redelivered_record_sends_once(book, rules):
    book(days=10, email=ADDRESS)
    [item] = queued_email()

    send([item])
    send([item])
    assert send([item, item]) == {"batchItemFailures": []}

    assert len(sent_mail()) == 1


def test_a_booking_paid_before_sending_gets_no_payment_request(book, rules):
    appointment = book(days=10, email=ADDRESS)
    Appointment(appointment.appointment_id).update(actions=[Appointment.status.set("confirmed")])

    assert send(queued_email()) == {"batchItemFailures": []}

    assert sent_mail() == []


def test_an_optional_payment_is_offered_by_email_too(book, rules):
    book(days=10, external_id="HIS-1", email=ADDRESS)
    Appointment(next(Appointment.scan()).appointment_id).update(actions=[Appointment.status.set("confirmed")])
    second = book(days=12, external_id="HIS-2", email=ADDRESS)  # no longer a first visit
    assert second.status == "booked"

    [item] = [i for i in queued_email() if i.appointment_id == second.appointment_id]
    send([item])

    [mail] = sent_mail()
    assert item.message_kind == "payment_optional"
    assert "z góry 150 zł" in mail.body and "https://odw.pl/p/" in mail.body


def test_with_the_channel_off_nothing_is_sent_and_nothing_fails(book, rules, monkeypatch):
    book(days=10, email=ADDRESS)
    monkeypatch.setenv("MAIL_FROM_ADDRESS", "")

    assert send(queued_email()) == {"batchItemFailures": []}

    assert sent_mail() == []


def test_a_record_that_fails_is_reported_and_the_others_sent(book, rules):
    book(days=10, email=ADDRESS)
    [item] = queued_email()
    unknown = queue_item("A-unknown:email:payment-link", "payment_link", "A-unknown", kind="email")  # no such visit

    assert send([item, unknown]) == {"batchItemFailures": [{"itemIdentifier": "000000000000000000002"}]}

    assert len(sent_mail()) == 1


def test_a_send_ses_refuses_is_retried_by_the_stream_and_sent_then(book, rules, monkeypatch):
    book(days=10, email=ADDRESS)
    [item] = queued_email()
    monkeypatch.setenv("MAIL_FROM_ADDRESS", "unverified@odwolaj.local")  # SES refuses an unverified sender

    with pytest.raises(BatchProcessingError):  # every record failed: Lambda retries the batch
        send([item])
    assert sent_mail() == []

    monkeypatch.setenv("MAIL_FROM_ADDRESS", "rejestracja@odwolaj.local")
    assert send([item]) == {"batchItemFailures": []}
    assert len(sent_mail()) == 1
