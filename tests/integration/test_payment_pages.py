"""What a patient who must prepay is told, on every page and in every message, through a
payment's life: paid by card (a thank-you and a receipt), a bank transfer under way (never
"przyjęta"), a transfer still under way after the deadline (what its arrival will do), a
transfer the bank declines. Events from the local Stripe stand-in, signed as Stripe signs them."""
import pytest

from odwolaj.core.ids import display_visit_code
from odwolaj.data.models import Appointment, Facility, OutboxItem, Payment
from odwolaj.messaging import outbound_email, outbound_sms
from odwolaj.payments import checkout
from tests.integration.test_payment_link import pay_path
from tests.integration.test_stripe_webhook import deliver, expire_by_the_sweep, opened
from tests.integration.test_visit_page import link_path

ADDRESS = "jan.kowalski@example.com"


def pay_page(http, appointment, query: str = "") -> dict:
    return http("GET", pay_path(appointment), query=query)


def sms(appointment, kind: str) -> str:
    """The SMS of `kind` queued for the visit, composed as the sender would now."""
    [item] = [i for i in OutboxItem.scan() if i.kind == "sms" and i.appointment_id == appointment.appointment_id
              and i.message_kind == kind]
    fresh = Appointment.get(appointment.appointment_id)
    return outbound_sms.compose(kind, fresh, Facility.get(fresh.facility_id), item.outbox_id).text


@pytest.fixture
def transfer(http, stripe_fake, awaiting_payment):
    """Given a visit awaiting 100 zł whose patient started a bank transfer (Przelewy24)."""
    appointment = awaiting_payment(amount=10000, email=ADDRESS)
    session_id = opened(http, stripe_fake, appointment)
    deliver(http, stripe_fake, stripe_fake.pay(session_id, delayed=True))
    return appointment, session_id


def test_paid_by_card_the_patient_is_thanked_and_gets_a_receipt_by_email(http, stripe_fake, awaiting_payment):
    appointment = awaiting_payment(amount=10000, email=ADDRESS)
    deliver(http, stripe_fake, stripe_fake.pay(opened(http, stripe_fake, appointment)))

    back = pay_page(http, appointment, query="s=ok")

    assert back["statusCode"] == 200 and "<h1>Dziękujemy za wpłatę</h1>" in back["body"]
    assert "Potwierdzenie wysłaliśmy SMS-em i e-mailem." in back["body"]
    [receipt] = [i for i in OutboxItem.scan() if i.kind == "email" and i.message_kind == "payment_received"]
    mail = outbound_email.compose(receipt)
    assert mail.to == ADDRESS and "otrzymaliśmy Twoją wpłatę 100 zł" in mail.text
    assert f"Kod wizyty: {display_visit_code(appointment.visit_code)}" in mail.text and "Stripe" not in mail.text
    assert "dziekujemy za wplate 100 zl" in sms(appointment, "payment_received")
    # Opened again later, the link says the visit is paid (no second thank-you, no payment).
    assert "Ta wizyta jest już opłacona" in pay_page(http, appointment)["body"]


def test_a_transfer_under_way_is_awaited_from_the_bank_on_every_page_never_accepted(http, transfer):
    appointment, _session = transfer

    returned = pay_page(http, appointment, query="s=ok")
    visit = http("GET", link_path(appointment))["body"]

    assert Payment.get(appointment.appointment_id).transfer_started_at
    assert checkout.payment_state(Appointment.get(appointment.appointment_id)) == "in_progress"
    assert "Czekamy na potwierdzenie z banku" in returned["body"] and "przyjęta" not in returned["body"]
    assert "jeśli nie, zwrócimy całą kwotę" in returned["body"]  # what a late arrival would do, said at once
    assert "<h1>Czekamy na potwierdzenie z banku</h1>" in visit and "Przelew jest w drodze" in visit
    assert "Zapłać 100 zł" not in visit
    assert "Nic nie zostało pobrane" not in returned["body"] + visit and "Stripe" not in returned["body"] + visit
    assert "Zobacz wizytę lub ją odwołaj</a>" in returned["body"]


def test_after_the_deadline_a_transfer_under_way_is_told_what_its_arrival_will_do(http, transfer):
    appointment, _session = transfer

    expire_by_the_sweep(appointment)

    text = sms(appointment, "payment_expired")
    assert "bo przelew nie dotarl na czas" in text and f"kod {display_visit_code(appointment.visit_code)}" in text
    assert "przywrocimy wizyte, jesli termin bedzie wolny" in text and "zwrocimy cala kwote" in text
    assert text.startswith("Przychodnia Przykladowa: ")  # the full name, on a message about money
    page, visit = pay_page(http, appointment), http("GET", link_path(appointment))["body"]
    assert page["statusCode"] == 410 and "Czekamy na Twój przelew" in page["body"]
    assert "bo przedpłata nie dotarła na czas" in visit and "Twój przelew jest jeszcze w drodze" in visit
    assert "Nic nie zostało pobrane" not in page["body"] + visit
    assert "Zobacz wizytę</a>" in page["body"] and "lub ją odwołaj" not in page["body"]  # nothing left to cancel


def test_the_transfer_arriving_late_reinstates_the_visit_and_the_patient_is_told_by_sms_and_email(
        http, stripe_fake, transfer):
    appointment, session_id = transfer
    expire_by_the_sweep(appointment)

    deliver(http, stripe_fake, stripe_fake.bank_result(session_id, succeeded=True))

    assert Appointment.get(appointment.appointment_id).status == "confirmed"
    assert not Payment.get(appointment.appointment_id).transfer_started_at
    assert "dotarla po czasie, ale termin wizyty byl wolny" in sms(appointment, "payment_reinstated")
    assert [i.message_kind for i in OutboxItem.scan() if i.kind == "email" and "reinstated" in i.outbox_id] == \
        ["payment_reinstated"]


def test_a_declined_transfer_is_no_longer_under_way_and_the_visit_can_be_paid_again(http, stripe_fake, transfer):
    appointment, session_id = transfer

    deliver(http, stripe_fake, stripe_fake.bank_result(session_id, succeeded=False))

    assert not Payment.get(appointment.appointment_id).transfer_started_at
    assert 'Zapłać 100 zł</a>' in http("GET", link_path(appointment))["body"]


def test_a_lapsed_booking_without_a_transfer_says_why_and_claims_nothing_about_charges(http, awaiting_payment):
    appointment = awaiting_payment(amount=10000)
    expire_by_the_sweep(appointment)

    page = pay_page(http, appointment)

    assert page["statusCode"] == 410 and "bo przedpłata nie dotarła na czas" in page["body"]
    assert "Nic nie zostało pobrane" not in page["body"]
    assert "bo przedplata nie dotarla na czas" in sms(appointment, "payment_expired")
