"""docs/console.md's "Trying the waiting list and today's board on the local runner", walked on a
fresh runner in chromium on a 360×740 phone: reception signs in, marks DEMO-D1 attended, sees the
offers in flight after DEMO-1 is cancelled, enters a patient (a wrong PESEL first, the form kept)
and strikes the entry off; the manager's audit log lists it all. Every button pressed and text
checked is quoted by the doc, so the doc cannot drift from what the browser shows."""
from __future__ import annotations

import re
import time
from datetime import date, timedelta

import pytest

from odwolaj_local.cognito import totp_code
from tests.e2e.conftest import REPO, demo
from tests.e2e.test_local_docs import move_to_the_morning_if_offers_wait, says

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
DOC = (REPO / "docs" / "console.md").read_text(encoding="utf-8")
STEPS = DOC[DOC.index("### Trying the waiting list and today's board"):]


@pytest.fixture
def phone_screen(chromium):
    context = chromium.new_context(viewport={"width": 360, "height": 740}, locale="pl-PL")
    yield context
    context.close()


def sign_in(page, base: str, person: dict) -> None:
    page.goto(f"{base}/panel")
    page.get_by_label("Adres e-mail").fill(person["email"])
    page.get_by_label("Hasło").fill(person["password"])
    page.get_by_role("button", name="Zaloguj się").click()
    if "totp_secret" in person:
        page.get_by_label("Kod z aplikacji (6 cyfr)").fill(totp_code(person["totp_secret"]))
        page.get_by_role("button", name="Dalej").click()
    else:
        page.get_by_role("button", name="Nie teraz").click()


def test_reception_s_day_as_the_doc_tells_it(fresh_runner, phone_screen):
    base, seeded = fresh_runner["base"], demo(fresh_runner)
    page = phone_screen.new_page()
    says(STEPS, "Zaloguj się", "Nie teraz", "Dziś i jutro", "Dziś", "niepotwierdzona", "Odbyta",
         "Zapisano: wizyta odbyta.", "odwołana: SMS")
    sign_in(page, base, seeded["console"]["reception"])
    page.get_by_role("link", name="Dziś i jutro").click()
    today = page.locator("section", has=page.get_by_role("heading", name=re.compile("^Dziś,")))
    assert "niepotwierdzona" in today.get_by_role("row", name=re.compile("DEMO-D1")).inner_text()
    today.get_by_role("button", name=re.compile("^Odbyta – DEMO-D1")).click()
    assert page.get_by_role("status").inner_text() == "Zapisano: wizyta odbyta."
    assert "odbyta" in page.get_by_role("row", name=re.compile("DEMO-D1")).inner_text()
    assert "odwołana: SMS" in page.get_by_role("row", name=re.compile("DEMO-D3")).inner_text()

    says(STEPS, "Odwołuję wizytę", "Tak, odwołuję wizytę", "Zwolnione terminy", "proponowany osobom z listy",
         "wpis nr 1 (pilny)", "wpis nr 2 (stabilny)", "czeka na odpowiedź", "Sesja wygasła. Zaloguj się ponownie.")
    patient = phone_screen.new_page()
    patient.goto(seeded["appointments"][0]["cancel_link"])
    patient.get_by_role("button", name="Odwołuję wizytę").click()
    patient.get_by_role("button", name="Tak, odwołuję wizytę").click()
    move_to_the_morning_if_offers_wait(patient, base)
    slots = page.locator("section", has=page.get_by_role("heading", name=re.compile("^Zwolnione terminy")))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        page.get_by_role("link", name="Dziś i jutro").click()
        if page.get_by_role("heading", level=1).inner_text() != "Dziś i jutro":
            # the clock moved to the morning, past the session's 30 idle minutes
            assert page.get_by_role("status").inner_text() == "Sesja wygasła. Zaloguj się ponownie."
            sign_in(page, base, seeded["console"]["reception"])
            continue
        if "wpis nr 2 (stabilny)" in slots.inner_text():
            break
        time.sleep(1)
    shown = slots.inner_text()
    assert "proponowany osobom z listy" in shown and "wpis nr 1 (pilny)" in shown and "czeka na odpowiedź" in shown

    says(STEPS, "Lista oczekujących", "Poradnia kardiologiczna", "Pokaż listę", "Wpisz pacjenta na listę",
         "SK-DEMO-1", "DEMO-P99", "500 000 099", "44051401358", "stabilny", "Wpisz na listę", "44051401359",
         "Wpis nr 3: Poradnia kardiologiczna", "Pacjent wpisany na listę")
    page.get_by_role("link", name="Lista oczekujących").click()
    page.get_by_label("Poradnia", exact=True).fill("Poradnia kardiologiczna")
    page.get_by_role("button", name="Pokaż listę").click()
    rows = page.get_by_role("region", name=re.compile("Poradnia kardiologiczna")).locator("tbody tr")
    assert "DEMO-W1" in rows.nth(0).inner_text() and "DEMO-W2" in rows.nth(1).inner_text()
    page.get_by_label("Numer skierowania").fill("SK-DEMO-1")
    page.get_by_label("Identyfikator pacjenta w systemie przychodni").fill("DEMO-P99")
    page.get_by_label("Telefon komórkowy").fill("500 000 099")
    page.get_by_label("PESEL (nieobowiązkowe)").fill("44051401358")
    page.get_by_label("Rozpoznanie lub powód przyjęcia").fill("I20.8")
    page.get_by_label("Planowany termin").fill((date.today() + timedelta(days=60)).isoformat())
    page.get_by_label("stabilny", exact=True).check()
    page.get_by_label("Pacjent zgodził się na wpis na listę oczekujących").check()
    page.get_by_role("button", name="Wpisz na listę").click()
    assert "PESEL" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Numer skierowania").input_value() == "SK-DEMO-1"
    page.get_by_label("PESEL (nieobowiązkowe)").fill("44051401359")
    page.get_by_role("button", name="Wpisz na listę").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Wpis nr 3: Poradnia kardiologiczna"
    assert "Pacjent wpisany na listę" in page.get_by_role("status").inner_text()

    says(STEPS, "rezygnacja pacjenta", "Skreśl z listy", "Wpis skreślony z listy.", "Wróć do listy",
         "Na liście: 2 osoby", "Dziennik zmian")
    page.get_by_label("rezygnacja pacjenta").check()
    page.get_by_role("button", name="Skreśl z listy").click()
    assert page.get_by_role("status").inner_text() == "Wpis skreślony z listy."
    page.get_by_role("link", name="Wróć do listy").click()
    assert page.locator(".count").inner_text().replace("\u00a0", " ") == "Na liście: 2 osoby"
    page.get_by_role("link", name=re.compile("DEMO-W1")).click()
    assert "czeka na odpowiedź" in page.get_by_role("region", name="Tabela propozycji terminów").inner_text()

    manager = phone_screen.new_page()
    phone_screen.clear_cookies()
    sign_in(manager, base, seeded["console"]["manager"])
    manager.get_by_role("link", name="Dziennik zmian").click()
    log = manager.get_by_role("region", name="Wpisy dziennika").inner_text()
    for action in ("wizyta odbyta", "wpis na listę oczekujących", "skreślenie z listy oczekujących"):
        assert action in log, action
