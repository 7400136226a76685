"""Part 2 of the console in a real browser (Debian's chromium): the manager's prepayment rules (the
facility's and a specialist's), offer strategy and campaign texts, adding a visit and importing a CSV file (plan,
import, report), on a reception tablet (1024×768) and a phone (360×740), axe finding no violation
on any page, a refused form keeping what was typed; reception cannot reach the settings."""
from __future__ import annotations

import pytest

from odwolaj.appointments import store
from odwolaj.payments.rules import facility_rules
from odwolaj.security import staff
from odwolaj.security.facilities import get_facility
from tests.browser.test_console_browser import assert_accessible, browser_at, fits, sign_in  # noqa: F401
from tests.console_helpers import enrolled
from tests.integration.test_console_bookings import CSV, DAY

pytestmark = pytest.mark.browser


def checked(page) -> None:
    fits(page)
    assert_accessible(page)


@pytest.mark.parametrize("size", [(1024, 768), (360, 740)], ids=["tablet", "phone"])
def test_a_manager_sets_the_prepayment_rules_and_the_offer_strategy(site, facility, browser_at, size):
    facility_id = facility.facility.facility_id
    page = browser_at(*size)
    sign_in(page, site, enrolled(facility_id, "kierownik@a.pl"))
    page.get_by_role("link", name="Ustawienia").click()
    page.get_by_role("link", name="Przedpłaty").click()
    checked(page)

    page.get_by_label("obowiązkowa (wizyta czeka na wpłatę)").check()
    page.get_by_label("Kwota przedpłaty lub zadatku (zł)").fill("sto")
    page.get_by_role("button", name="Zapisz zasady przychodni").click()
    assert "wpisz kwotę w złotych" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Kwota przedpłaty lub zadatku (zł)").input_value() == "sto"
    assert page.get_by_label("obowiązkowa (wizyta czeka na wpłatę)").is_checked()
    checked(page)
    page.get_by_label("Kwota przedpłaty lub zadatku (zł)").fill("80")
    page.get_by_role("button", name="Zapisz zasady przychodni").click()
    assert page.get_by_role("status").inner_text() == "Zapisano."
    assert facility_rules(get_facility(facility_id)).mode == "mandatory"

    page.get_by_label("Inny specjalista (imię i nazwisko)").fill("dr Anna Nowak")
    page.get_by_role("button", name="Ustaw zasady specjalisty").click()
    checked(page)
    page.get_by_label("bez przedpłaty").check()
    page.get_by_role("button", name="Zapisz zasady specjalisty").click()
    assert page.get_by_role("status").inner_text() == "Zapisano."
    assert facility_rules(get_facility(facility_id)).for_specialist("dr Anna Nowak").mode == "none"
    checked(page)

    page.get_by_role("link", name="Propozycje z listy oczekujących").click()
    checked(page)
    page.get_by_label("po kolei: jedna osoba naraz").check()
    page.get_by_role("button", name="Zapisz").click()
    assert page.get_by_role("status").inner_text() == "Zapisano."

    page.get_by_role("link", name="Teksty wiadomości").click()
    checked(page)
    invitation = page.get_by_label("Zaproszenie: 12–18 miesięcy od ostatniej wizyty")
    invitation.fill("$facility: zapraszamy, bez linku.")
    page.get_by_role("button", name="Zapisz").click()
    assert "musi zawierać $facility" in page.get_by_role("alert").inner_text()
    assert invitation.input_value() == "$facility: zapraszamy, bez linku."
    checked(page)


@pytest.mark.parametrize("size", [(1024, 768), (360, 740)], ids=["tablet", "phone"])
def test_reception_adds_a_visit_and_imports_a_csv_but_cannot_reach_the_settings(site, facility, browser_at, size,
                                                                                 tmp_path):
    facility_id = facility.facility.facility_id
    page = browser_at(*size)
    sign_in(page, site, enrolled(facility_id, "rejestracja@a.pl", staff.RECEPTION, with_totp=False), code=False)
    page.get_by_role("button", name="Nie teraz").click()
    assert page.get_by_role("link", name="Ustawienia").count() == 0
    for path in ("/panel/ustawienia/przedplaty", "/panel/ustawienia/propozycje",
                 "/panel/ustawienia/przedplaty/specjalista?kto=dr%20Anna%20Nowak"):
        answer = page.goto(f"{site}{path}")
        assert answer.status == 403 and page.get_by_role("heading", level=1).inner_text() == "Brak dostępu"
    checked(page)

    page.goto(f"{site}/panel")
    page.get_by_role("link", name="Dodaj wizyty").click()
    checked(page)
    page.get_by_label("Data").fill(DAY.isoformat())
    page.get_by_label("Godzina").fill("08:45")
    page.get_by_label("Usługa (poradnia)").fill("Poradnia kardiologiczna")
    page.get_by_label("Identyfikator pacjenta (np. numer kartoteki)").fill("K-77")
    page.get_by_label("Telefon komórkowy").fill("600 12")
    page.get_by_role("button", name="Dodaj wizytę").click()
    assert "Nieprawidłowy numer telefonu" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Usługa (poradnia)").input_value() == "Poradnia kardiologiczna"
    checked(page)
    page.get_by_label("Telefon komórkowy").fill("600 100 277")
    page.get_by_role("button", name="Dodaj wizytę").click()
    assert "Dodano wizytę" in page.get_by_role("status").inner_text()
    checked(page)

    page.get_by_role("link", name="import z pliku CSV").click()
    checked(page)
    upload = tmp_path / "wizyty.csv"
    upload.write_text(CSV, encoding="utf-8")
    page.get_by_label("Plik CSV z wizytami").set_input_files(str(upload))
    page.get_by_role("button", name="Pokaż, co zostanie zaimportowane").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Import wizyt: podgląd"
    checked(page)
    page.get_by_role("button", name="Importuj (3)").first.click()
    assert page.get_by_role("heading", level=1).inner_text() == "Import wizyt: raport"
    assert page.get_by_role("row").filter(has_text="Nieprawidłowy numer telefonu").count() == 1
    checked(page)
    assert store.get_by_external(facility_id, "W-1").status == "booked"
