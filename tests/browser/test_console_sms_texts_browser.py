"""The manager's "SMS-y do pacjentów" page in a real browser (Debian's chromium), on a reception
tablet (1024×768) and a phone (360×740): a refused text keeps what was typed with a Polish
message, a saved one shows in the preview, "Przywróć domyślny" clears it, axe finds no violation;
reception is refused the page."""
from __future__ import annotations

import pytest

from odwolaj.data.models import Facility
from odwolaj.security import staff
from tests.browser.test_console_browser import browser_at, sign_in  # noqa: F401
from tests.browser.test_console_rules_and_bookings_browser import checked
from tests.console_helpers import enrolled

pytestmark = pytest.mark.browser
OWN = "$facility: zapisaliśmy Cię na $when, $service. Kod: $code. Odwołanie: $link"


def own_texts(facility_id: str) -> dict:
    templates = Facility.get(facility_id).message_templates
    return templates.as_dict() if templates else {}


@pytest.mark.parametrize("size", [(1024, 768), (360, 740)], ids=["tablet", "phone"])
def test_a_manager_sets_a_patient_sms_text_sees_its_preview_and_restores_the_default(site, facility, browser_at,
                                                                                     size):
    facility_id = facility.facility.facility_id
    page = browser_at(*size)
    sign_in(page, site, enrolled(facility_id, "kierownik@a.pl"))
    page.get_by_role("link", name="Ustawienia").click()
    page.get_by_role("link", name="SMS-y do pacjentów").click()
    checked(page)

    booked = page.locator("#booked")
    booked.locator("summary").click()
    text = booked.get_by_label("Tekst: Umówienie wizyty")
    text.fill("$facility: wizyta $when 🙂 $link")
    booked.get_by_role("button", name="Zapisz").click()

    assert "nie da się wysłać SMS-em: 🙂" in page.get_by_role("alert").inner_text()
    assert page.locator("#booked").get_attribute("open") is not None
    assert page.get_by_label("Tekst: Umówienie wizyty").input_value() == "$facility: wizyta $when 🙂 $link"
    assert own_texts(facility_id) == {}
    checked(page)

    page.get_by_label("Tekst: Umówienie wizyty").fill(OWN)
    page.locator("#booked").get_by_role("button", name="Zapisz").click()

    assert page.get_by_role("status").inner_text() == "Zapisano: Umówienie wizyty."
    assert own_texts(facility_id) == {"booked": OWN}
    assert "Przychodnia: zapisalismy Cie na " in page.locator("#booked .preview").inner_text()
    checked(page)

    page.locator("#booked").get_by_role("button", name="Przywróć domyślny").click()

    assert own_texts(facility_id) == {}
    assert "Przychodnia: umowiono wizyte " in page.locator("#booked .preview").inner_text()
    checked(page)


def test_reception_is_refused_the_sms_texts(site, facility, browser_at):
    page = browser_at(1024, 768)
    sign_in(page, site, enrolled(facility.facility.facility_id, "rejestracja@a.pl", staff.RECEPTION,
                                 with_totp=False), code=False)
    page.get_by_role("button", name="Nie teraz").click()
    answer = page.goto(f"{site}/panel/ustawienia/sms")
    assert answer.status == 403 and page.get_by_role("heading", level=1).inner_text() == "Brak dostępu"
    checked(page)
