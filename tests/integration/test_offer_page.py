"""The offer page (/o/{token}) through the template's route and handler, against moto."""
from __future__ import annotations

import pytest

from odwolaj.appointments import lifecycle as appointments
from odwolaj.data.models import FreedSlot, Offer, WaitingEntry
from odwolaj.reserve import entries, offers
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
    assert page["statusCode"] == 200 and "Zwolnił się wcześniejszy termin" in page["body"]
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


def test_declining_on_the_page_keeps_the_place(http, offer):
    press(http, path_of(offer), "decline")
    assert WaitingEntry.get(offer.entry_id).status == "active"
    assert "Zostajesz na liście" in http("GET", path_of(offer))["body"]


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
