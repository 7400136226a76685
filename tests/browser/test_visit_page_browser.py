"""A patient in a real browser (Debian's chromium): opens the link, cancels, finds a visit by code."""
import pytest
from axe_playwright_python.sync_playwright import Axe

from odwolaj.data.models import Appointment
from odwolaj.security.links import link_signer

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/visit_page.png"


def assert_accessible(page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def visit_url(site: str, appointment) -> str:
    return f"{site}/c/{link_signer().issue('c', appointment.appointment_id)}"


def test_patient_cancels_from_the_link_with_a_reason(site, book, phone_page):
    appointment = book(days=3)
    page = phone_page

    page.goto(visit_url(site, appointment))
    assert page.get_by_role("heading", level=1).inner_text() == "Twoja wizyta"
    assert_accessible(page)
    page.screenshot(path=SCREENSHOT, full_page=True)
    font_size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert font_size >= 20

    page.get_by_role("button", name="Odwołuję wizytę").click()  # the reason is asked after the tap
    assert page.get_by_role("heading", level=1).inner_text() == "Odwołać wizytę?"
    page.get_by_label("Czuję się lepiej").check()
    page.get_by_role("button", name="Tak, odwołuję wizytę").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Wizyta odwołana"
    assert_accessible(page)
    stored = Appointment.get(appointment.appointment_id)
    assert stored.status == "cancelled"
    assert (stored.cancellation.channel, stored.cancellation.reason) == ("web", "feel_better")

    page.reload()  # a reload after the redirect shows the same page and changes nothing
    assert page.get_by_role("heading", level=1).inner_text() == "Wizyta odwołana"
    assert Appointment.get(appointment.appointment_id).version == stored.version


def test_lookup_by_code_and_phone_opens_the_visit(site, book, phone_page):
    appointment = book(days=3, phone="600 100 200")
    page = phone_page

    page.goto(f"{site}/c")
    assert_accessible(page)
    page.get_by_label("Kod wizyty").fill("NIEMA2345")
    page.get_by_label("Numer telefonu").fill("600 100 200")
    page.get_by_role("button", name="Pokaż wizytę").click()
    assert page.get_by_role("alert").inner_text().startswith("Nie znaleźliśmy wizyty")
    assert_accessible(page)

    page.get_by_label("Kod wizyty").fill(appointment.visit_code.lower())
    page.get_by_label("Numer telefonu").fill("+48 600-100-200")
    page.get_by_role("button", name="Pokaż wizytę").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Twoja wizyta"
    assert appointment.visit_code in page.content()


def test_cancelling_works_without_javascript(site, book, no_js_page):
    appointment = book(days=3)
    page = no_js_page

    page.goto(visit_url(site, appointment))
    page.get_by_role("button", name="Odwołuję wizytę").click()
    page.get_by_role("button", name="Tak, odwołuję wizytę").click()

    assert "<h1>Wizyta odwołana</h1>" in page.content()
    stored = Appointment.get(appointment.appointment_id)
    assert stored.status == "cancelled" and stored.cancellation.reason == "not_given"
