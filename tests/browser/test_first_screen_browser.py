"""Every patient page, in every state, on a 360×740 phone and a 1280×900 desktop (Debian's
chromium): the main buttons are on the first screen, opposite actions stand at least 16 px apart
and differ in look, radio buttons and the focus ring have 3:1 contrast, and axe finds nothing."""
from __future__ import annotations

import pytest

from odwolaj.appointments import lifecycle as appointments
from odwolaj.core.clock import iso, now, parse_iso
from odwolaj.data.models import Payment
from odwolaj.payments import checkout
from odwolaj.security.links import link_signer
from tests.browser.test_visit_page_browser import assert_accessible
from tests.integration.test_offer_page import first_visits_prepaid, offer, path_of  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser
SCREENS = {"phone": (360, 740), "desktop": (1280, 900)}
MIN_GAP = 16


@pytest.fixture(params=list(SCREENS))
def screen(request, chromium):
    width, height = SCREENS[request.param]
    context = chromium.new_context(viewport={"width": width, "height": height}, locale="pl-PL")
    page = context.new_page()
    page.screen_name = request.param
    yield page
    context.close()


def url(site: str, purpose: str, appointment_id: str) -> str:
    return f"{site}/{purpose}/{link_signer().issue(purpose, appointment_id)}"


def control(page, name: str):
    return page.get_by_role("button", name=name, exact=True).or_(page.get_by_role("link", name=name, exact=True))


def box(page, name: str) -> dict:
    found = control(page, name)
    assert found.count() == 1, f"{name!r}: {found.count()} controls"
    return found.bounding_box()


def assert_first_screen(page, *names: str) -> dict[str, float]:
    """Each named button's whole box lies inside the first viewport; their tops, for the record."""
    height = page.viewport_size["height"]
    tops = {}
    for name in names:
        found = box(page, name)
        assert found["y"] >= 0 and found["y"] + found["height"] <= height, (page.screen_name, name, found)
        tops[name] = round(found["y"])
    return tops


def assert_apart_and_unlike(page, first: str, second: str) -> None:
    """Opposite actions: at least 16 px between their boxes, and a different look (fill or colour)."""
    upper, lower = box(page, first), box(page, second)
    assert lower["y"] - (upper["y"] + upper["height"]) >= MIN_GAP, (upper, lower)
    looks = [control(page, name).evaluate("e => { const s = getComputedStyle(e); "
                                          "return [s.backgroundColor, s.color, s.borderTopColor]; }")
             for name in (first, second)]
    assert looks[0][0] != looks[1][0] and looks[0][1] != looks[1][1], looks


def check(page, *main: str, opposite: tuple[str, str] | None = None) -> None:
    assert_accessible(page)
    assert_first_screen(page, *main)
    if opposite:
        assert_apart_and_unlike(page, *opposite)


CONTRAST = """([fg, bg]) => {
  const lum = c => { const [r, g, b] = c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number).map(v => {
      v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""


def contrast(page, foreground: str, background: str) -> float:
    return page.evaluate(CONTRAST, [foreground, background])


# ---------------------------------------------------------------------------------------------
# The visit page


def test_an_open_visit(site, book, screen):
    screen.goto(url(site, "c", book(days=3).appointment_id))

    assert screen.get_by_role("heading", level=1).inner_text() == "Twoja wizyta"
    check(screen, "Potwierdzam, przyjdę", "Odwołuję wizytę", opposite=("Potwierdzam, przyjdę", "Odwołuję wizytę"))


def test_a_confirmed_visit(site, book, screen):
    appointment = book(days=3)
    appointments.confirm(appointment, channel="web")

    screen.goto(url(site, "c", appointment.appointment_id) + "?done=confirmed")

    assert screen.get_by_role("heading", level=1).inner_text() == "Dziękujemy za potwierdzenie"
    check(screen, "Odwołuję wizytę")


def test_the_cancellation_step_with_its_reasons(site, book, screen):
    screen.goto(url(site, "c", book(days=3).appointment_id) + "?step=cancel")

    assert screen.get_by_role("heading", level=1).inner_text() == "Odwołać wizytę?"
    check(screen, "Tak, odwołuję wizytę", "Nie, zostawiam wizytę",
          opposite=("Tak, odwołuję wizytę", "Nie, zostawiam wizytę"))
    radio = screen.get_by_role("radio").first
    ring = radio.evaluate("e => getComputedStyle(e).borderTopColor")
    assert contrast(screen, ring, "rgb(255, 255, 255)") >= 3  # WCAG 2.1 non-text contrast
    radio.check()
    assert radio.is_checked()


def test_the_focus_ring_stands_out_on_every_button(site, book, screen):
    screen.goto(url(site, "c", book(days=3).appointment_id))

    for _ in range(6):
        screen.keyboard.press("Tab")
        focused = screen.evaluate("() => { const e = document.activeElement, s = getComputedStyle(e); "
                                  "return [e.tagName, s.outlineStyle, parseFloat(s.outlineWidth), s.outlineColor, "
                                  "parseFloat(s.outlineOffset)]; }")
        if focused[0] == "BUTTON":
            break
    tag, style, width, colour, offset = focused
    assert tag == "BUTTON" and style == "solid" and width >= 3 and offset > 0  # a ring set off the button
    assert contrast(screen, colour, "rgb(255, 255, 255)") >= 3


def test_a_cancelled_visit(site, book, screen):
    appointment = book(days=3)
    appointments.cancel(appointment, channel="web", reason="feel_better")

    screen.goto(url(site, "c", appointment.appointment_id) + "?done=cancelled")

    assert screen.get_by_role("heading", level=1).inner_text() == "Wizyta odwołana"
    check(screen, "Proszę o nowy termin")


def test_a_visit_awaiting_payment(site, awaiting_payment, screen):
    appointment = awaiting_payment(amount=5000, deadline_hours=2)

    screen.goto(url(site, "c", appointment.appointment_id))

    assert screen.get_by_role("heading", level=1).inner_text() == "Wizyta czeka na przedpłatę"
    check(screen, "Zapłać 50 zł", "Odwołuję wizytę", opposite=("Zapłać 50 zł", "Odwołuję wizytę"))


def test_a_visit_over_and_an_expired_link(site, book, screen, clock):
    appointment = book(days=1)
    clock(seconds=(parse_iso(appointment.starts_at) - now()).total_seconds() + 3600)  # an hour after it began
    screen.goto(url(site, "c", appointment.appointment_id))
    assert screen.get_by_role("heading", level=1).inner_text() == "Termin tej wizyty już minął"
    assert_accessible(screen)

    clock(days=2)
    screen.goto(url(site, "c", appointment.appointment_id))
    assert screen.get_by_role("heading", level=1).inner_text() == "Link wygasł"
    assert_accessible(screen)


# ---------------------------------------------------------------------------------------------
# The lookup, its lockout, and addresses that lead nowhere


def test_the_lookup_and_its_answer_keep_what_was_typed(site, facility, screen):
    screen.goto(f"{site}/c")
    check(screen, "Pokaż wizytę")

    screen.get_by_label("Kod wizyty").fill("ABCD-2345")
    screen.get_by_label("Numer telefonu").fill("600 100 201")
    screen.get_by_role("button", name="Pokaż wizytę").click()

    assert screen.get_by_role("alert").inner_text().startswith("Nie znaleźliśmy wizyty")
    assert screen.get_by_label("Kod wizyty").input_value() == "ABCD-2345"
    assert screen.get_by_label("Numer telefonu").input_value() == "600 100 201"
    check(screen, "Pokaż wizytę")


def test_the_lockout_page(site, facility, screen):
    screen.goto(f"{site}/c")
    for letter in "ABCDEFGHJKM":
        screen.get_by_label("Kod wizyty").fill(f"ABCDEFG{letter}")
        screen.get_by_label("Numer telefonu").fill("600 100 200")
        screen.get_by_role("button", name="Pokaż wizytę").click()

    assert screen.get_by_role("heading", level=1).inner_text() == "Zbyt wiele prób"
    assert "do godz. " in screen.content() and screen.get_by_role("link", name="+48 22 123 45 67").count() == 1
    assert screen.get_by_role("button").count() == 0  # no form that is still blocked
    assert_accessible(screen)


@pytest.mark.parametrize("path", ["/nie-ma-takiej-strony", "/C/AAAAAAAAAAAAAAAAAA", "/c/AAAAAAAAAAAAAAAAAA/",
                                  "/o/AAAAAAAAAAAAAAAAAA"])
def test_an_address_that_leads_nowhere_gets_a_polish_page_with_a_way_on(site, facility, screen, path):
    answer = screen.goto(site + path)

    assert answer.status == 404 and screen.get_by_role("heading", level=1).inner_text() == "Nie znaleźliśmy tej strony"
    assert screen.get_by_role("link", name="Znajdź wizytę po kodzie").count() == 1
    assert screen.get_by_role("link", name="+48 22 123 45 67").count() == 1
    assert_accessible(screen)


def test_a_capital_letter_from_autocorrect_still_opens_the_visit(site, book, screen):
    appointment = book(days=3)

    screen.goto(url(site, "c", appointment.appointment_id).replace("/c/", "/C/") + "/")

    assert screen.get_by_role("heading", level=1).inner_text() == "Twoja wizyta"


# ---------------------------------------------------------------------------------------------
# The payment page (no provider call is needed for these states)


def payment(appointment, status: str = "pending", **fields) -> None:
    record = checkout.record_for(appointment, now())
    record.status = status
    for name, value in fields.items():
        setattr(record, name, value)
    record.save()


def test_back_from_an_abandoned_checkout(site, awaiting_payment, screen):
    appointment = awaiting_payment(amount=5000)

    screen.goto(url(site, "p", appointment.appointment_id) + "?s=back")

    assert screen.get_by_role("heading", level=1).inner_text() == "Płatność nie została dokończona"
    check(screen, "Zapłać 50 zł")


def test_back_after_paying_is_a_thank_you(site, awaiting_payment, screen):
    appointment = awaiting_payment(amount=5000, email="jan@example.com")
    payment(appointment, "paid")

    screen.goto(url(site, "p", appointment.appointment_id) + "?s=ok")

    assert screen.get_by_role("heading", level=1).inner_text() == "Dziękujemy za wpłatę"
    assert "Potwierdzenie wysłaliśmy SMS-em i e-mailem." in screen.content()
    assert_accessible(screen)


def test_a_transfer_waiting_for_the_bank_before_and_after_the_deadline(site, awaiting_payment, screen):
    appointment = awaiting_payment(amount=5000)
    payment(appointment, transfer_started_at=iso(now()))

    screen.goto(url(site, "p", appointment.appointment_id))
    assert screen.get_by_role("heading", level=1).inner_text() == "Czekamy na potwierdzenie z banku"
    assert "przyjęta" not in screen.content() and "Stripe" not in screen.content()
    assert_accessible(screen)

    appointments.cancel(appointments.get(appointment.appointment_id), channel="payment_expired", reason="unpaid")
    Payment(appointment.appointment_id).update(actions=[Payment.status.set("expired")])
    screen.goto(url(site, "p", appointment.appointment_id))
    assert screen.get_by_role("heading", level=1).inner_text() == "Czekamy na Twój przelew"
    assert_accessible(screen)
    screen.goto(url(site, "c", appointment.appointment_id))
    assert "Twój przelew jest jeszcze w drodze" in screen.content()
    check(screen, "Proszę o nowy termin")


# ---------------------------------------------------------------------------------------------
# The offer page


def test_an_open_offer(site, offer, screen):  # noqa: F811
    screen.goto(site + path_of(offer))

    assert screen.get_by_role("heading", level=1).inner_text() == "Zwolnił się termin"
    check(screen, "Tak, biorę ten termin", "Nie, dziękuję", opposite=("Tak, biorę ten termin", "Nie, dziękuję"))


def test_pay_to_claim_says_the_cost_holds_the_slot_until_a_clock_time_and_pays(
        site, offer, first_visits_prepaid, screen, stripe_fake, monkeypatch):  # noqa: F811
    from odwolaj.core.config import settings

    monkeypatch.setenv("PUBLIC_BASE_URL", site)
    settings.cache_clear()
    stripe_fake.webhook_url = f"{site}/webhooks/stripe"
    screen.goto(site + path_of(offer))
    assert "Przedpłata 150 zł: po „Tak” masz 10 minut na wpłatę." in screen.inner_text("main")
    check(screen, "Tak, biorę ten termin", "Nie, dziękuję", opposite=("Tak, biorę ten termin", "Nie, dziękuję"))

    screen.get_by_role("button", name="Tak, biorę ten termin").click()

    title = screen.get_by_role("heading", level=1).inner_text()
    assert title.startswith("Trzymamy dla Ciebie ten termin dziś do "), title
    assert "Termin będzie Twój po wpłacie 150 zł." in screen.inner_text("main")
    assert "Termin jest Twój" not in screen.content()
    check(screen, "Zapłać 150 zł")

    screen.get_by_role("link", name="Zapłać 150 zł").click()
    screen.get_by_role("button", name="Zapłać / Pay").click()

    assert screen.get_by_role("heading", level=1).inner_text() == "Dziękujemy za wpłatę"
    screen.goto(site + path_of(offer))
    assert screen.get_by_role("heading", level=1).inner_text() == "Termin jest Twój"
    assert_accessible(screen)
    settings.cache_clear()


def test_a_declined_offer(site, offer, screen):  # noqa: F811
    screen.goto(site + path_of(offer))
    screen.get_by_role("button", name="Nie, dziękuję").click()

    assert screen.get_by_role("heading", level=1).inner_text() == "Dziękujemy za odpowiedź"
    assert_accessible(screen)
