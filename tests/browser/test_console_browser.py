"""Clinic staff in a real browser (Debian's chromium): signing in with a TOTP code, a wrong code, a
locked-out account, another facility's data refused, the dashboard with its definitions and its
CSV and XLSX exports, on a desktop, a reception tablet (1024×768) and a phone (360×740); axe finds
no violation on any page."""
from __future__ import annotations

import csv
import io
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from openpyxl import load_workbook

from odwolaj.adapters import cognito
from odwolaj.appointments import lifecycle as appointments
from odwolaj.security import audit, staff
from odwolaj.security.facilities import create_facility
from odwolaj_local.cognito import totp_code
from tests.console_helpers import Person, enrolled
from tests.stats_helpers import deliver, outbox_events

pytestmark = pytest.mark.browser


def assert_accessible(page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def fits(page) -> None:
    """Nothing wider than the screen: no sideways scrolling of the page itself."""
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


@pytest.fixture
def browser_at(chromium):
    contexts = []

    def open_page(width: int, height: int):
        context = chromium.new_context(viewport={"width": width, "height": height}, locale="pl-PL",
                                       accept_downloads=True)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def clinic(facility, book):
    """Given facility A with a manager, a few visits (one cancelled on its page, one by SMS) counted."""
    facility_id = facility.facility.facility_id
    manager = enrolled(facility_id, "kierownik@a.pl")
    kept = book(days=2, external_id="A1")
    appointments.confirm(kept, channel="sms")
    appointments.cancel(book(days=3, external_id="A2", phone="600 100 201", patient_id="P2"), channel="web",
                        reason="cannot_attend")
    appointments.cancel(book(days=4, external_id="A3", phone="600 100 202", patient_id="P3"), channel="sms")
    deliver(outbox_events())
    return facility_id, manager


def sign_in(page, site, person, code=None) -> None:
    page.goto(f"{site}/panel")
    page.get_by_label("Adres e-mail").fill(person.email)
    page.get_by_label("Hasło").fill(person.password)
    page.get_by_role("button", name="Zaloguj się").click()
    if code is not False:
        page.get_by_label("Kod z aplikacji (6 cyfr)").fill(code or totp_code(person.totp_secret))
        page.get_by_role("button", name="Dalej").click()


def tile(page, label: str) -> str:
    named = page.locator(".label", has_text=re.compile(f"^{label}$"))
    return page.locator(".tiles li").filter(has=named).locator(".value").inner_text()


def test_a_manager_signs_in_with_totp_reads_the_dashboard_and_exports_it(site, clinic, browser_at):
    facility_id, manager = clinic
    page = browser_at(1280, 900)
    page.goto(f"{site}/panel")
    assert page.url.endswith("/panel/logowanie")
    assert_accessible(page)
    sign_in(page, site, manager, code=False)
    assert page.get_by_role("heading", level=1).inner_text() == "Weryfikacja dwuetapowa"
    assert_accessible(page)
    page.get_by_label("Kod z aplikacji (6 cyfr)").fill("000000")
    page.get_by_role("button", name="Dalej").click()
    assert "Nieprawidłowy kod" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    page.get_by_label("Kod z aplikacji (6 cyfr)").fill(totp_code(manager.totp_secret))
    page.get_by_role("button", name="Dalej").click()

    assert page.get_by_role("heading", level=1).inner_text().startswith("Wyniki:")
    assert tile(page, "Odwołania") == "0"  # the last 30 days: the visits are still to come
    page.get_by_role("link", name="Najbliższe 14 dni").click()
    assert tile(page, "Odwołania") == "2" and tile(page, "Wizyty do odbycia") == "1"
    assert_accessible(page)
    cancellations = page.locator("section", has=page.get_by_role("heading", name="Odwołania według kanału"))
    assert cancellations.get_by_role("row", name=re.compile("strona wizyty")).inner_text().split()[-1] == "1"
    named = page.locator(".label", has_text=re.compile("^Odsetek nieobecności$"))
    definition = page.locator(".tiles li").filter(has=named).locator("details")
    definition.locator("summary").click()
    assert "Nieobecności ÷ wizyty do odbycia" in definition.inner_text()

    with page.expect_download() as got:
        cancellations.get_by_role("link", name="CSV").click()
    rows = list(csv.reader(io.StringIO(open(got.value.path(), encoding="utf-8-sig").read())))
    assert rows[0] == ["Kanał", "Odwołania"] and ["SMS", "1"] in rows and ["strona wizyty", "1"] in rows
    with page.expect_download() as got:
        page.get_by_role("link", name="XLSX").first.click()
    assert re.fullmatch(r"odwolaj-wszystko-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.xlsx", got.value.suggested_filename)
    with open(got.value.path(), "rb") as saved:
        book = load_workbook(io.BytesIO(saved.read()))
    assert "kanaly" in book.sheetnames and len(book.sheetnames) == 14

    page.get_by_label("Zakres", exact=True).select_option(label="Poradnia kardiologiczna")
    page.get_by_role("button", name="Pokaż").click()
    assert "Poradnia kardiologiczna" in page.get_by_role("heading", level=1).inner_text()
    for link, heading in (("Definicje", "Definicje wskaźników"), ("Zespół", "Zespół"),
                          ("Dziennik zmian", "Dziennik zmian"), ("Ustawienia", "Ustawienia wyników")):
        page.get_by_role("navigation", name="Panel").get_by_role("link", name=link).click()
        assert page.get_by_role("heading", level=1).inner_text() == heading
        assert_accessible(page)
    page.get_by_role("button", name="Wyloguj").click()
    assert page.get_by_role("status").inner_text() == "Wylogowano."
    page.goto(f"{site}/panel")
    assert page.url.endswith("/panel/logowanie")


def test_a_locked_out_account_is_told_so_on_a_phone(site, clinic, browser_at):
    _, manager = clinic
    page = browser_at(360, 740)
    page.goto(f"{site}/panel/logowanie")
    for attempt in range(5):
        page.get_by_label("Adres e-mail").fill(manager.email)
        page.get_by_label("Hasło").fill(f"Zle-Haslo-{attempt}0")
        page.get_by_role("button", name="Zaloguj się").click()
        assert page.get_by_role("alert").inner_text() == "Nieprawidłowy e-mail lub hasło."
    page.get_by_label("Hasło").fill(manager.password)  # the e-mail address stayed
    page.get_by_role("button", name="Zaloguj się").click()
    assert "chwilowo wstrzymane" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    fits(page)


def test_another_facility_s_data_is_refused(site, clinic, browser_at, book):
    """Given facility B's manager signed in; B's dashboard shows none of A's visits, an address
    naming a facility is refused, and a form aimed at A's staff finds nobody."""
    a_facility, a_manager = clinic
    b = create_facility("Przychodnia B", short_name="B").facility.facility_id
    b_manager = enrolled(b, "kierownik@b.pl")
    page = browser_at(1280, 900)
    sign_in(page, site, b_manager)
    page.get_by_role("link", name="Najbliższe 14 dni").click()
    assert tile(page, "Odwołania") == "0" and tile(page, "Wizyty do odbycia") == "0"
    refused = page.goto(f"{site}/panel?facility={a_facility}")
    assert refused.status == 400
    assert_accessible(page)
    page.goto(f"{site}/panel/zespol")
    assert "kierownik@a.pl" not in page.content()
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    answer = page.request.post(f"{site}/panel/zespol/{a_manager.sub}", form={"csrf": csrf, "action": "disable"},
                               max_redirects=0)
    assert answer.status == 404
    assert cognito.get_user(a_manager.sub).enabled


@pytest.mark.parametrize("size", [(1024, 768), (360, 740)], ids=["tablet", "phone"])
def test_the_console_fits_a_tablet_and_a_phone(site, clinic, browser_at, size, facility):
    facility_id, manager = clinic
    page = browser_at(*size)
    sign_in(page, site, manager)
    page.get_by_role("link", name="Najbliższe 14 dni").click()
    fits(page)
    assert_accessible(page)
    for path in ("/panel/definicje", "/panel/zespol", "/panel/dziennik", "/panel/ustawienia"):
        page.goto(f"{site}{path}")
        fits(page)
    # reception, first time: the offered two-step verification, with its QR code, on this screen
    person = enrolled(facility_id, "recepcja@a.pl", staff.RECEPTION, with_totp=False)
    page.get_by_role("button", name="Wyloguj").click()
    sign_in(page, site, person, code=False)
    assert page.get_by_role("img", name="Kod QR do dodania Odwołaj w aplikacji").is_visible()
    fits(page)
    assert_accessible(page)
    page.get_by_role("button", name="Nie teraz").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Wyniki:")
    assert page.get_by_role("link", name="Ustawienia").count() == 0


def test_an_invited_manager_s_first_sign_in_on_the_reception_tablet(site, facility, browser_at):
    """Given an invitation's temporary password; the first sign-in sets the person's own password,
    then the TOTP set-up a manager cannot skip (the key read off the page, as typed into an app),
    and only then the dashboard. Both pages fit the tablet and pass axe."""
    facility_id = facility.facility.facility_id
    invitation = staff.invite(facility_id, "nowa@a.pl", staff.MANAGER, by=audit.Actor(audit.SYSTEM))
    page = browser_at(1024, 768)
    sign_in(page, site, Person("nowa@a.pl", invitation.member.sub, invitation.temporary_password), code=False)
    assert page.get_by_role("heading", level=1).inner_text() == "Ustaw własne hasło"
    assert_accessible(page)
    fits(page)
    page.get_by_label("Nowe hasło", exact=True).fill("Haslo-Nowej-2030")
    page.get_by_label("Powtórz nowe hasło").fill("Haslo-Nowej-2030")
    page.get_by_role("button", name="Ustaw hasło").click()

    assert page.get_by_role("heading", level=1).inner_text() == "Weryfikacja dwuetapowa"
    assert page.get_by_role("button", name="Nie teraz").count() == 0
    assert_accessible(page)
    fits(page)
    secret = page.locator(".secret").inner_text().replace(" ", "")
    page.get_by_label("Kod z aplikacji (6 cyfr)").fill(totp_code(secret))
    page.get_by_role("button", name="Włącz weryfikację").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Wyniki:")
    assert cognito.get_user(invitation.member.sub).totp
