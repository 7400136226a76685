"""A patient in a real browser (Debian's chromium): pays a prepayment on the local Stripe stand-in
and comes back to the Polish page; abandons it and can pay later; takes a reserve-list offer."""
import pytest

from odwolaj.core.config import settings
from odwolaj.data.models import Appointment, FreedSlot, Offer
from odwolaj.security.links import link_signer
from tests.browser.test_visit_page_browser import assert_accessible
from tests.integration.test_offer_page import offer, path_of  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser


@pytest.fixture
def checkout(site, stripe_fake, monkeypatch):
    """Given Stripe's return addresses on the test site, and the stand-in's events sent to its webhook."""
    monkeypatch.setenv("PUBLIC_BASE_URL", site)
    settings.cache_clear()
    stripe_fake.webhook_url = f"{site}/webhooks/stripe"
    yield stripe_fake
    settings.cache_clear()


def pay_url(site: str, appointment) -> str:
    return f"{site}/p/{link_signer().issue('p', appointment.appointment_id)}"


def test_patient_pays_on_the_checkout_and_comes_back_to_a_paid_visit(site, checkout, awaiting_payment, phone_page):
    appointment = awaiting_payment(amount=8000)
    page = phone_page

    page.goto(pay_url(site, appointment))
    assert page.url.startswith(checkout.base_url)  # the hosted checkout (here its local stand-in)
    page.get_by_role("button", name="Zapłać / Pay").click()

    assert page.url.startswith(site)
    assert page.get_by_role("heading", level=1).inner_text() == "Dziękujemy za wpłatę"
    assert_accessible(page)
    assert Appointment.get(appointment.appointment_id).status == "confirmed"


def test_an_abandoned_checkout_says_nothing_was_charged_and_offers_to_pay_again(
        site, checkout, awaiting_payment, no_js_page):
    appointment = awaiting_payment(amount=8000)
    page = no_js_page

    page.goto(pay_url(site, appointment))
    page.get_by_role("button", name="Porzuć / Abandon").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Płatność nie została dokończona"
    assert page.get_by_role("link", name="Zapłać 80 zł").is_visible()
    assert Appointment.get(appointment.appointment_id).status == "awaiting_payment"


def test_patient_takes_an_offered_slot_from_the_link_without_javascript(site, offer, no_js_page):  # noqa: F811
    page = no_js_page

    page.goto(f"{site}{path_of(offer)}")
    assert page.get_by_role("heading", level=1).inner_text() == "Zwolnił się termin"
    page.get_by_role("button", name="Tak, biorę ten termin").click()

    assert "Termin jest Twój" in page.content()
    assert FreedSlot.get(offer.slot_id).status == "filled"
    assert Offer.get(offer.offer_id).status == "accepted"


def test_the_offer_page_is_accessible_on_a_phone(site, offer, phone_page):  # noqa: F811
    page = phone_page

    page.goto(f"{site}{path_of(offer)}")

    assert_accessible(page)
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 20


def test_a_patient_who_said_no_changes_their_mind_on_a_phone(site, offer, phone_page):  # noqa: F811
    page = phone_page

    page.goto(f"{site}{path_of(offer)}")
    page.get_by_role("button", name="Nie, dziękuję").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Dziękujemy za odpowiedź"
    assert_accessible(page)
    page.get_by_role("button", name="Jednak biorę ten termin").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Termin jest Twój"
    assert Offer.get(offer.offer_id).status == "accepted"


def test_a_change_of_mind_after_the_slot_went_is_told_on_the_phone(site, offer, phone_page):  # noqa: F811
    page = phone_page
    page.goto(f"{site}{path_of(offer)}")
    page.get_by_role("button", name="Nie, dziękuję").click()
    FreedSlot(offer.slot_id).update(actions=[FreedSlot.status.set("filled")])  # another patient took it

    page.get_by_role("button", name="Jednak biorę ten termin").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Ten termin jest już nieaktualny"
    assert "Zostajesz na liście oczekujących" in page.locator("main").inner_text()
    assert_accessible(page)
    assert Offer.get(offer.offer_id).status == "declined"
