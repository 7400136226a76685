"""Cancellation by e-mail: stored by SES, matched by visit code and sender or phone, answered
once; what cannot be matched goes to the clinic as an event."""
import copy
import json
import re
from email.message import EmailMessage

import pytest
from moto.ses.models import ses_backends

from odwolaj.data.models import Appointment, OutboxItem
from odwolaj_local.aws import REGION
from odwolaj_local.lambdas import FakeLambdaContext, load_handler
from tests.conftest import load_event

MESSAGE_ID = "o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1"


def replies():
    return [(m.destinations, m.raw_data) for m in ses_backends["123456789012"][REGION].sent_messages]


@pytest.fixture(autouse=True)
def no_mail_sent(aws):
    ses_backends["123456789012"][REGION].sent_messages.clear()


def receive(aws, body: str, *, sender="jan.kowalski@example.com", subject="Odwołanie wizyty", headers=None,
            spam="PASS", message_id=MESSAGE_ID) -> None:
    """Given SES stored a message in the mail bucket and invoked the function."""
    message = EmailMessage()
    message["From"] = f"Jan Kowalski <{sender}>"
    message["To"] = "odwolaj@przychodnia.local"
    message["Subject"] = subject
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    bucket = aws.physical_names()["MailBucket"]
    aws.client("s3").put_object(Bucket=bucket, Key=f"inbound/{message_id}", Body=message.as_bytes())
    event = copy.deepcopy(load_event("ses_inbound.json"))
    event["Records"][0]["ses"]["mail"]["messageId"] = message_id
    event["Records"][0]["ses"]["receipt"]["spamVerdict"]["status"] = spam
    load_handler("EmailInboundFunction")(event, FakeLambdaContext("EmailInboundFunction"))


def status(appointment) -> str:
    return Appointment.get(appointment.appointment_id).status


def handed_to_clinic() -> list[dict]:
    return [json.loads(i.detail)["data"] for i in OutboxItem.scan() if i.detail_type == "CancellationEmailUnmatched"]


def test_code_and_the_patients_address_cancel_and_are_answered(aws, book):
    appointment = book(days=3, email="Jan.Kowalski@example.com")
    code = appointment.visit_code

    receive(aws, f"Dzień dobry, nie mogę przyjść. Kod wizyty: {code[:4].lower()}-{code[4:]}. Pozdrawiam")

    assert status(appointment) == "cancelled"
    assert Appointment.get(appointment.appointment_id).cancellation.channel == "email"
    [(to, raw)] = replies()
    assert to == ["jan.kowalski@example.com"] and "Auto-Submitted: auto-replied" in raw


def reply_text(raw: str) -> str:
    from email import message_from_string, policy

    return message_from_string(raw, policy=policy.default).get_body(("plain",)).get_content()


def test_the_answer_names_the_visit_in_full_words_and_promises_nothing_when_nobody_waits(aws, book):
    appointment = book(days=3, email="jan.kowalski@example.com")

    receive(aws, f"Proszę odwołać wizytę {appointment.visit_code}.")

    [(_, raw)] = replies()
    text = reply_text(raw)
    assert "odwołaliśmy wizytę" in text and f"Kod wizyty: {appointment.visit_code}" in text
    assert "Świadczenie: Poradnia kardiologiczna" in text and "tel. +48 22 123 45 67" in text
    assert "Termin: " in text and not re.search(r"\b(pn|wt|śr|czw|pt|sob|nd) \d\d\.\d\d\b", text)
    assert "kto czeka" not in text and "inny pacjent" not in text and "dałeś" not in text


def test_the_answer_says_the_visit_may_go_to_someone_only_when_someone_waits_for_it(aws, book, facility):
    from odwolaj.reserve import entries

    entries.join(facility.facility.facility_id, entries.EntryInput.from_payload({
        "referral": "R-1", "patient": {"id": "W-1", "phone": "600 100 999", "pesel": "44051401359"},
        "reason": "I20.8", "category": "stabilny", "planned_date": "2027-06-01", "entered_by": "test",
        "consent": True, "service": "Poradnia kardiologiczna"}))
    appointment = book(days=3, email="jan.kowalski@example.com")

    receive(aws, f"Proszę odwołać wizytę {appointment.visit_code}.")

    [(_, raw)] = replies()
    assert "Ten termin może teraz dostać ktoś, kto czeka na wizytę" in reply_text(raw)


def test_code_and_the_patients_phone_in_the_text_cancel(aws, book):
    appointment = book(days=3)

    receive(aws, f"Odwołuję wizytę {appointment.visit_code}, mój telefon 600-100-200", sender="corka@example.com")

    assert status(appointment) == "cancelled"


def test_a_code_without_proof_is_not_enough_and_goes_to_the_clinic(aws, book):
    appointment = book(days=3)

    receive(aws, f"Proszę odwołać {appointment.visit_code}", sender="ktos@example.com")

    assert status(appointment) == "booked"
    assert handed_to_clinic() == [{"message_id": MESSAGE_ID, "reason": "not_matched"}]
    [(to, raw)] = replies()
    assert to == ["ktos@example.com"] and "Auto-Submitted: auto-replied" in raw


def test_the_same_message_delivered_twice_is_handled_and_answered_once(aws, book):
    appointment = book(days=3)
    text = f"Odwołuję {appointment.visit_code}, tel. +48 600 100 200"

    receive(aws, text)
    receive(aws, text)

    assert status(appointment) == "cancelled" and len(replies()) == 1


def test_spam_is_not_answered_but_the_clinic_still_hears(aws, book):
    appointment = book(days=3)

    receive(aws, f"Odwołuję {appointment.visit_code} 600100200", spam="FAIL")

    assert status(appointment) == "booked" and replies() == []
    assert handed_to_clinic()[0]["reason"] == "spam_or_virus"


def test_auto_replies_are_never_answered(aws, book):
    receive(aws, "I am out of office", headers={"Auto-Submitted": "auto-replied"})

    assert replies() == []
    assert handed_to_clinic()[0]["reason"] == "not_matched"
