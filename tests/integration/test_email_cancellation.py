"""Cancellation by e-mail, end to end through EmailInboundFunction with real mail: each of the 47
raw messages in tests/events/mail (Gmail, Outlook, Onet, WP, Interia, Apple, Thunderbird, Samsung;
broken charsets, HTML only, attachments, forged senders, autoresponders of every kind) is stored
in the mail bucket as SES's S3 action stores it, and the function is invoked with an SES receipt
event carrying the manifest's verdicts. Each outcome is checked against the manifest: cancel,
ask, forward to the clinic, or ignore."""
import copy
import json
import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from pathlib import Path

import pytest
from moto.ses.models import ses_backends

from odwolaj.data.models import Appointment, OutboxItem
from odwolaj_local.aws import REGION
from odwolaj_local.lambdas import FakeLambdaContext, load_handler
from tests.conftest import load_event

MAIL = Path(__file__).resolve().parents[1] / "events" / "mail"
MANIFEST = {entry["file"]: entry for entry in json.loads((MAIL / "manifest.json").read_text(encoding="utf-8"))}
ACCOUNT = "123456789012"


def sent_replies() -> list[EmailMessage]:
    return [message_from_bytes(m.raw_data.encode(), policy=policy.default)
            for m in ses_backends[ACCOUNT][REGION].sent_messages]


@pytest.fixture(autouse=True)
def no_mail_sent(aws):
    ses_backends[ACCOUNT][REGION].sent_messages.clear()


def ses_event(raw: bytes, message_id: str, verdicts: dict) -> dict:
    """The event an SES receipt rule's Lambda action sends (the message itself is in S3)."""
    message = message_from_bytes(raw, policy=policy.compat32)
    event = copy.deepcopy(load_event("ses_inbound.json"))
    ses = event["Records"][0]["ses"]
    sender = parseaddr(str(message.get("From", "")))[1]
    ses["mail"].update(messageId=message_id, source=parseaddr(str(message.get("Return-Path", "")))[1] or sender,
                       headers=[{"name": k, "value": str(v)} for k, v in message.items()])
    ses["mail"]["commonHeaders"].update({
        "from": [str(message.get("From", ""))], "to": [a for _, a in getaddresses(message.get_all("To", []))],
        "subject": str(message.get("Subject", "")), "messageId": str(message.get("Message-ID", "")),
        "date": str(message.get("Date", ""))})
    for key in ("spam", "virus", "spf", "dkim", "dmarc"):
        ses["receipt"][f"{key}Verdict"] = {"status": verdicts[key]}
    return event


def receive(aws, raw: bytes, message_id: str, verdicts: dict) -> None:
    """Given SES stored the message in the mail bucket and invoked the function."""
    aws.client("s3").put_object(Bucket=aws.physical_names()["MailBucket"], Key=f"inbound/{message_id}", Body=raw)
    event = ses_event(raw, message_id, verdicts)
    load_handler("EmailInboundFunction")(event, FakeLambdaContext("EmailInboundFunction"))


def handed_to_clinic() -> list[dict]:
    return [json.loads(i.detail)["data"] for i in OutboxItem.scan() if i.detail_type == "CancellationEmailUnmatched"]


def visits_for(entry: dict, sender: str, book) -> dict[str, Appointment]:
    """Given a visit for every code the message names, its e-mail the sender's when the manifest
    says the From is the visit's address."""
    codes = dict.fromkeys(entry["codes_in_newest_text"] + entry["codes_in_quoted_history"] + entry["codes_in_subject"])
    email = sender if entry["from_matches_visit_email"] else "ktos.inny@example.com"
    visits = {}
    for number, code in enumerate(codes):
        appointment = book(days=3 + number, external_id=f"HIS-{code}", email=email)
        appointment.update(actions=[Appointment.visit_code.set(code)])
        visits[code] = appointment
    return visits


def authenticated(verdicts: dict) -> bool:
    return "PASS" in (verdicts["spf"], verdicts["dkim"]) and verdicts["dmarc"] != "FAIL"
PASSING = {"spam": "PASS", "virus": "PASS", "spf": "PASS", "dkim": "PASS", "dmarc": "PASS"}


def plain_mail(text: str, sender: str = "jan.kowalski@example.com") -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = f"Jan Kowalski <{sender}>", "odwolaj@example.com", "Wizyta"
    message.set_content(text)
    return message.as_bytes()


def reply_text() -> str:
    [reply] = sent_replies()
    return reply.get_body(("plain",)).get_content()


def test_the_answer_names_the_visit_in_full_words_and_promises_nothing_when_nobody_waits(aws, book):
    appointment = book(days=3, email="jan.kowalski@example.com")

    receive(aws, plain_mail(f"Proszę odwołać wizytę {appointment.visit_code}."), "m-words", PASSING)

    text = reply_text()
    assert Appointment.get(appointment.appointment_id).status == "cancelled"
    assert "odwołaliśmy wizytę" in text and "Kod wizyty: " in text
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

    receive(aws, plain_mail(f"Proszę odwołać wizytę {appointment.visit_code}."), "m-waiting", PASSING)

    assert "Ten termin może teraz dostać ktoś, kto czeka na wizytę" in reply_text()


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_every_real_message_gets_the_outcome_the_manifest_expects(aws, book, name):
    entry, raw = MANIFEST[name], (MAIL / name).read_bytes()
    sender = parseaddr(str(message_from_bytes(raw, policy=policy.compat32)["From"]))[1].lower()
    visits = visits_for(entry, sender, book)
    message_id = name.removesuffix(".eml").replace("_", "-")

    receive(aws, raw, message_id, entry["verdicts"])

    statuses = {code: Appointment.get(v.appointment_id).status for code, v in visits.items()}
    replies, tasks = sent_replies(), handed_to_clinic()
    expected = entry["expected"]
    if expected == "cancel":
        [code] = entry["codes_in_newest_text"] or set(entry["codes_in_subject"] + entry["codes_in_quoted_history"])
        assert statuses.pop(code) == "cancelled"
        assert Appointment.get(visits[code].appointment_id).cancellation.channel == "email"
        [reply] = replies
        assert reply["To"] == sender and reply["Auto-Submitted"] == "auto-replied"
        assert f"Kod wizyty: {code[:4]}-{code[4:]}" in reply.get_content()  # the code reaches the patient
        assert tasks == []
    elif expected == "ask":
        [reply] = replies
        assert reply["To"] == sender and "kod" in reply.get_content() and tasks == []
    elif expected == "forward_to_clinic":
        [task] = tasks
        assert task["message_id"] == message_id and set(task) <= {"message_id", "reason", "appointment_id",
                                                                  "external_id"}
        trusted = authenticated(entry["verdicts"])
        assert len(replies) == (1 if trusted else 0)  # a forger learns nothing
    else:
        assert replies == [] and tasks == []
    assert set(statuses.values()) <= {"booked"}  # every other visit named is untouched


def test_the_same_message_delivered_twice_is_handled_and_answered_once(aws, book):
    name = "gmail_code_spaced_lowercase.eml"
    entry, raw = MANIFEST[name], (MAIL / name).read_bytes()
    sender = parseaddr(str(message_from_bytes(raw, policy=policy.compat32)["From"]))[1].lower()
    visits_for(entry, sender, book)

    receive(aws, raw, "twice", entry["verdicts"])
    receive(aws, raw, "twice", entry["verdicts"])

    assert len(sent_replies()) == 1


def test_a_cancellation_under_a_large_attachment_is_read_without_loading_it(aws, book):
    appointment = book(days=3, email="jan@example.com")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "jan@example.com", "odwolaj@przychodnia.local", "Wizyta"
    message["Message-ID"] = "<big@example.com>"
    message.set_content(f"Dzień dobry, nie przyjdę, odwołuję wizytę {appointment.visit_code}.")
    message.add_attachment(b"\x00" * (3 * 1024 * 1024), maintype="application", subtype="octet-stream",
                           filename="skan.bin")

    receive(aws, message.as_bytes(), "big", dict.fromkeys(("spam", "virus", "spf", "dkim", "dmarc"), "PASS"))

    assert Appointment.get(appointment.appointment_id).status == "cancelled"
