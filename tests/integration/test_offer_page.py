"""The offer page (/o/{token}) through the template's route and handler, against moto."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from odwolaj.appointments import lifecycle as appointments
from odwolaj.core.clock import WARSAW, now, parse_iso
from odwolaj.core.ids import display_visit_code
from odwolaj.data.models import Appointment, Facility, FreedSlot, Offer, OutboxItem, WaitingEntry
from odwolaj.messaging import outbound_sms
from odwolaj.reserve import entries, messages as reserve_messages, offers
from odwolaj.reserve.entries import EntryInput
from odwolaj.security.links import link_signer
from tests.integration.test_visit_page import form_token, post, press
from tests.reserve_helpers import entry_payload, set_now, warsaw


@pytest.fixture
def offer(facility, book, monkeypatch) -> Offer:
    """Given a waiting patient offered a freed slot."""
    set_now(monkeypatch, warsaw(1, 11))
    entries.join(facility.facility.facility_id, EntryInput.from_payload(entry_payload(1)))
    visit = book(starts_at=warsaw(3, 10).isoformat(), phone="600 999 999", patient_id="P-x")
    appointments.cancel(visit, channel="web")
    offers.offer_freed_slot(visit.appointment_id)
    [made] = list(Offer.scan())
    return made


def path_of(offer: Offer, purpose: str = "o") -> str:
    return f"/o/{link_signer().issue(purpose, offer.offer_id)}"


def test_the_page_shows_the_slot_and_two_buttons_and_changes_nothing(http, offer):
    page = http("GET", path_of(offer))
    assert page["statusCode"] == 200 and "Zwolnił się termin" in page["body"]
    assert "Przedpłata" not in page["body"]  # nothing to pay for this patient: nothing said
    assert "Poradnia kardiologiczna" in page["body"] and "+48601" not in page["body"]
    assert form_token(page["body"], "accept") and form_token(page["body"], "decline")
    assert "script" not in page["headers"]["Content-Security-Policy"].replace("script-src", "")
    assert Offer.get(offer.offer_id).status == "open"


def test_accepting_on_the_page_books_the_slot_and_the_page_then_says_so(http, offer):
    token = form_token(http("GET", path_of(offer))["body"], "accept")
    answer = post(http, path_of(offer), {"action": "accept", "csrf": token})
    assert (answer["statusCode"], answer["headers"]["Location"]) == (303, path_of(offer))
    assert FreedSlot.get(offer.slot_id).status == "filled"
    assert "Termin jest Twój" in http("GET", path_of(offer))["body"]
    again = post(http, path_of(offer), {"action": "accept", "csrf": token})  # a double click
    assert again["statusCode"] == 303
    assert len([o for o in Offer.scan() if o.status == "accepted"]) == 1


def test_declining_on_the_page_keeps_the_place_and_a_change_of_mind_still_takes_the_free_slot(http, offer):
    press(http, path_of(offer), "decline")
    assert WaitingEntry.get(offer.entry_id).status == "active"
    page = http("GET", path_of(offer))["body"]
    assert "Zostajesz na liście" in page and "Jednak biorę ten termin" in page
    assert 'value="decline"' not in page  # said no already: only the yes is offered

    press(http, path_of(offer), "accept")

    assert FreedSlot.get(offer.slot_id).status == "filled"
    assert "Termin jest Twój" in http("GET", path_of(offer))["body"]


def test_after_a_no_the_page_offers_no_yes_once_the_slot_is_gone(http, offer):
    press(http, path_of(offer), "decline")
    FreedSlot(offer.slot_id).update(actions=[FreedSlot.status.set("filled")])  # another patient took it

    page = http("GET", path_of(offer))["body"]

    assert "Zostajesz na liście" in page and 'value="accept"' not in page
    assert "Dziękujemy za odpowiedź" in page  # they said no, and nothing after it


def test_a_change_of_mind_on_the_page_after_the_slot_went_is_said_on_the_page_not_by_sms(http, offer):
    """The "Jednak biorę" form was shown while the slot was free, and pressed after it went: the no
    stands and the page says it (a TAK by SMS gets its answer by SMS: test_offer_replies.py)."""
    press(http, path_of(offer), "decline")
    token = form_token(http("GET", path_of(offer))["body"], "accept")
    FreedSlot(offer.slot_id).update(actions=[FreedSlot.status.set("filled")])  # another patient took it

    answer = post(http, path_of(offer), {"action": "accept", "csrf": token})

    assert (answer["statusCode"], answer["headers"]["Location"]) == (303, f"{path_of(offer)}?odpowiedz=za-pozno")
    page = http("GET", path_of(offer), query="odpowiedz=za-pozno")["body"]
    assert "Ten termin jest już nieaktualny" in page and "Zostajesz na liście" in page
    assert "Dziękujemy za odpowiedź" not in page and 'value="accept"' not in page
    assert Offer.get(offer.offer_id).status == "declined"
    assert [i.message_kind for i in OutboxItem.scan() if i.entry_id == offer.entry_id and i.kind == "sms"
            and i.message_kind not in ("offer", "waitlist_joined")] == ["offer_declined"]


def test_a_cross_site_post_or_a_form_without_its_token_changes_nothing(http, offer):
    page = http("GET", path_of(offer))["body"]
    forged = post(http, path_of(offer), {"action": "accept", "csrf": form_token(page, "accept")},
                  headers={"origin": "https://evil.example"})
    wrong_action = post(http, path_of(offer), {"action": "accept", "csrf": form_token(page, "decline")})
    assert forged["statusCode"] == wrong_action["statusCode"] == 403
    assert Offer.get(offer.offer_id).status == "open"


def test_a_link_for_another_purpose_or_a_forged_one_is_not_found(http, offer):
    assert http("GET", path_of(offer, purpose="c"))["statusCode"] == 404
    assert http("GET", "/o/AAAAAAAAAAAAAAAAAA")["statusCode"] == 404


# --- pay-to-claim: a yes that must be paid -------------------------------------------------------


@pytest.fixture
def first_visits_prepaid(facility):
    """Given the facility asks first-time patients (every waiting patient here) to prepay 150 zł."""
    from odwolaj.payments.rules import save_facility_rules

    save_facility_rules(facility.facility.facility_id, {
        "mode": "optional", "kind": "full", "amount": 15000, "first_visit_mandatory": True,
        "deadline": {"mode": "after_booking", "hours_after_booking": 24, "hours_before_visit": 2}})


def composed(item) -> str:
    if item.entry_id:
        return reserve_messages.compose(item).text
    booking = Appointment.get(item.appointment_id)
    return outbound_sms.compose(item.message_kind, booking, Facility.get(booking.facility_id), item.outbox_id).text


def test_an_offer_that_must_be_prepaid_says_how_much_and_a_yes_holds_it_until_a_clock_time(
        http, offer, first_visits_prepaid):
    page = http("GET", path_of(offer))["body"]
    [offer_sms] = [i for i in OutboxItem.scan() if i.entry_id == offer.entry_id and i.message_kind == "offer"]

    assert "Przedpłata <strong>150 zł</strong>: po „Tak” masz 10 minut na wpłatę." in page
    assert "Przedplata: 150 zl." in composed(offer_sms)

    press(http, path_of(offer), "accept")
    held = http("GET", path_of(offer))["body"]

    booking = Appointment.get(Offer.get(offer.offer_id).appointment_id)
    until = parse_iso(booking.payment_deadline).astimezone(WARSAW)
    assert booking.status == "awaiting_payment" and (until - now()).total_seconds() <= 600
    assert f"<h1>Trzymamy dla Ciebie ten termin dziś do {until:%H:%M}</h1>" in held
    assert "Termin jest Twój" not in held and "umówiona" not in held
    [pay] = re.findall(r'<a class="button primary" href="/p/([^"]+)">Zapłać 150 zł</a>', held)
    assert link_signer().resolve("p", pay) == booking.appointment_id
    [link_sms] = [i for i in OutboxItem.scan() if i.appointment_id == booking.appointment_id
                  and i.message_kind == "payment_link"]
    text = composed(link_sms)
    assert "trzymamy dla Ciebie termin" in text and f"dzis do {until:%H:%M}" in text
    assert f"kod {display_visit_code(booking.visit_code)}" in text
    assert "Bez wplaty zostajesz na liscie na swoim miejscu." in text


def test_a_yes_left_unpaid_past_its_window_says_the_slot_went_back_and_the_place_is_kept(
        http, offer, first_visits_prepaid, monkeypatch):
    from odwolaj.usecases import payment_expiry

    press(http, path_of(offer), "accept")
    set_now(monkeypatch, now() + timedelta(minutes=11))
    payment_expiry.sweep()

    page = http("GET", path_of(offer))["body"]

    assert "Czas na wpłatę minął" in page and "Zostajesz na liście oczekujących na swoim miejscu." in page
    assert "Zapłać" not in page
