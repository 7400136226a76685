"""Reception's daily work in a real browser (Debian's chromium): the waiting list (a refused entry
keeps what was typed, then entered; an entry's page, its planned date moved and struck off; a long
list paged through; offers a patient stopped resumed) and today's board (a visit marked attended,
an offer in flight), on a reception tablet (1024×768) and a phone (360×740); axe finds no
violation on any page and nothing is wider than the screen."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from odwolaj.appointments import lifecycle as appointments
from odwolaj.core.clock import WARSAW, now
from odwolaj.data.models import Appointment, WaitingEntry
from odwolaj.reserve import entries, offers
from odwolaj.reserve.entries import EntryInput
from odwolaj.security import staff
from tests.browser.test_console_browser import assert_accessible, fits
from tests.console_helpers import enrolled
from tests.reserve_helpers import entry_payload, set_now, warsaw
from tests.reserve_population import populate

pytestmark = pytest.mark.browser
SIZES = [pytest.param((1024, 768), id="tablet"), pytest.param((360, 740), id="phone")]


@pytest.fixture
def desk(facility, book, monkeypatch):
    """Given 11:00 in Warsaw, reception (no TOTP), two patients waiting for cardiology, a visit at
    11:30 today, and a cardiology visit in two days cancelled: its slot offered to the list."""
    set_now(monkeypatch, warsaw(1, 11))
    facility_id = facility.facility.facility_id
    person = enrolled(facility_id, "rejestracja@a.pl", staff.RECEPTION, with_totp=False)
    waiting = [entries.join(facility_id, EntryInput.from_payload(entry_payload(n, **extra)))
               for n, extra in ((1, {}), (2, {"category": "pilny"}))]
    today = book(external_id="DZIS-1", starts_at=warsaw(1, 11, 30).isoformat())
    freed = book(external_id="ZWOLNIONA", phone="600 999 999", patient_id="P-9", starts_at=warsaw(3, 10).isoformat())
    appointments.cancel(freed, channel="web", reason="cannot_attend")
    offers.offer_freed_slot(freed.appointment_id)
    return person, waiting, today


def signed_in(page, site, person) -> None:
    page.goto(f"{site}/panel")
    page.get_by_label("Adres e-mail").fill(person.email)
    page.get_by_label("Hasło").fill(person.password)
    page.get_by_role("button", name="Zaloguj się").click()
    page.get_by_role("button", name="Nie teraz").click()


@pytest.fixture
def reception_at(chromium, site, desk):
    """A page of the given size, reception signed in."""
    contexts = []

    def open_page(size):
        context = chromium.new_context(viewport={"width": size[0], "height": size[1]}, locale="pl-PL")
        contexts.append(context)
        page = context.new_page()
        signed_in(page, site, desk[0])
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.mark.parametrize("size", SIZES)
def test_reception_works_the_waiting_list(site, desk, reception_at, size):
    _person, (_stable, urgent), _today = desk
    page = reception_at(size)
    page.get_by_role("link", name="Lista oczekujących").click()
    page.get_by_label("Poradnia", exact=True).fill("Poradnia kardiologiczna")
    page.get_by_role("button", name="Pokaż listę").click()
    rows = page.get_by_role("region", name=re.compile("Poradnia kardiologiczna")).locator("tbody tr")
    assert rows.count() == 2 and rows.first.locator("td").nth(2).inner_text() == "pilny"  # urgent first
    assert_accessible(page)
    fits(page)

    planned = (now().astimezone(WARSAW) + timedelta(days=45)).date().isoformat()
    page.get_by_label("Numer skierowania").fill("SK-BROWSER-1")
    page.get_by_label("Identyfikator pacjenta w systemie przychodni").fill("HIS-77")
    page.get_by_label("Telefon komórkowy").fill("601 234 567")
    page.get_by_label("PESEL (nieobowiązkowe)").fill("44051401358")  # a wrong check digit
    page.get_by_label("Rozpoznanie lub powód przyjęcia").fill("I20.8")
    page.get_by_label("Planowany termin").fill(planned)
    page.get_by_label("pilny", exact=True).check()
    page.get_by_label("Pacjent zgodził się na wpis na listę oczekujących").check()
    page.get_by_role("button", name="Wpisz na listę").click()
    assert "Podaj PESEL pacjenta" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Numer skierowania").input_value() == "SK-BROWSER-1"
    assert page.get_by_label("Planowany termin").input_value() == planned
    assert page.get_by_label("pilny", exact=True).is_checked()
    assert_accessible(page)
    fits(page)
    page.get_by_label("PESEL (nieobowiązkowe)").fill("44051401359")
    page.get_by_role("button", name="Wpisz na listę").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Wpis nr 3: Poradnia kardiologiczna"
    assert "Pacjent wpisany na listę" in page.get_by_role("status").inner_text()
    assert_accessible(page)
    fits(page)

    page.goto(f"{site}/panel/lista/{urgent.entry_id}")
    assert "czeka na odpowiedź" in page.get_by_role("region", name="Propozycje terminów").inner_text()
    later = (now().astimezone(WARSAW) + timedelta(days=150)).date().isoformat()
    page.get_by_label("Nowy planowany termin").fill("jutro")
    page.get_by_role("button", name="Zmień termin").click()
    assert "RRRR-MM-DD" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Nowy planowany termin").input_value() == "jutro"
    assert_accessible(page)
    page.get_by_label("Nowy planowany termin").fill(later)
    page.get_by_role("button", name="Zmień termin").click()
    assert "Pacjent dostanie SMS" in page.get_by_role("status").inner_text()
    page.get_by_label("rezygnacja pacjenta").check()
    page.get_by_role("button", name="Skreśl z listy").click()
    assert "Wpis skreślony" in page.get_by_role("status").inner_text()
    assert_accessible(page)
    fits(page)
    assert WaitingEntry.get(urgent.entry_id).status == "struck_off"
    assert WaitingEntry.get(urgent.entry_id).planned_date == later


@pytest.mark.parametrize("size", SIZES)
def test_reception_marks_a_visit_attended_on_the_board_and_sees_the_offer_in_flight(desk, reception_at, size):
    _person, (_stable, urgent), today = desk
    page = reception_at(size)
    page.get_by_role("link", name="Dziś i jutro").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Dziś i jutro"
    slots = page.locator("section", has=page.get_by_role("heading", name=re.compile("Zwolnione terminy")))
    assert "proponowany osobom z listy" in slots.inner_text() and "wpis nr 2 (pilny)" in slots.inner_text()
    assert_accessible(page)
    fits(page)
    page.get_by_role("button", name=re.compile("^Odbyta – DZIS-1")).click()
    assert page.get_by_role("status").inner_text() == "Zapisano: wizyta odbyta."
    assert "odbyta" in page.get_by_role("row", name=re.compile("DZIS-1")).inner_text()
    assert_accessible(page)
    fits(page)
    assert Appointment.get(today.appointment_id).status == "attended"
    slots.get_by_role("link", name=re.compile("wpis nr 2")).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Wpis nr 2: Poradnia kardiologiczna"
    assert urgent.entry_id in page.url


@pytest.mark.parametrize("size", SIZES)
def test_reception_pages_through_a_long_list_and_resumes_offers_a_patient_stopped(facility, site, desk,
                                                                                    reception_at, size):
    """250 more waiting: the list in pages of 200 (places go on on the second page), the mark of a
    patient who replied STOP, and their offers resumed from the entry's page."""
    long_list = sorted(populate(facility.facility.facility_id, 250, now()), key=lambda e: e.queue_rank)
    quiet = long_list[5]
    WaitingEntry(quiet.entry_id).update(actions=[WaitingEntry.offers_stopped_at.set("2026-11-29T23:30:00Z")])
    page = reception_at(size)
    page.goto(f"{site}/panel/lista?usluga=Poradnia+kardiologiczna")
    rows = page.get_by_role("region", name=re.compile("Poradnia kardiologiczna")).locator("tbody tr")
    assert page.locator(".count").inner_text().replace("\u00a0", " ") == "Na liście: 252 osoby"
    assert rows.count() == 200 and rows.first.locator("td").first.inner_text() == "1"
    marked = rows.filter(has=page.locator(f'a[href="/panel/lista/{quiet.entry_id}"]'))
    assert "nie chce propozycji SMS" in marked.inner_text()
    assert rows.filter(has_text="nie chce propozycji SMS").count() == 1
    assert_accessible(page)
    fits(page)

    page.get_by_role("link", name="Następne 200 →").last.click()  # below the table, where reading ends
    assert rows.count() == 52 and [rows.nth(i).locator("td").first.inner_text() for i in (0, 51)] == ["201", "252"]
    assert page.get_by_role("link", name="Następne 200 →").count() == 0
    assert_accessible(page)
    fits(page)
    page.get_by_role("link", name="← Poprzednie").first.click()
    assert rows.count() == 200 and rows.first.locator("td").first.inner_text() == "1"

    page.goto(f"{site}/panel/lista/{quiet.entry_id}")
    assert "wstrzymane na prośbę pacjenta (STOP, 30.11.2026 00:30)" in page.locator("dl.facts").inner_text()
    assert_accessible(page)
    fits(page)
    page.get_by_role("button", name="Wznów propozycje SMS").click()
    assert "Propozycje SMS wznowione" in page.get_by_role("status").inner_text()
    assert page.get_by_role("button", name="Wznów propozycje SMS").count() == 0
    fits(page)
    assert WaitingEntry.get(quiet.entry_id).offers_stopped_at is None
