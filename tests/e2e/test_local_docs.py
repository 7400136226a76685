"""docs/local.md, walked as a newcomer walks it: in chromium on a 360×740 phone, at whatever hour it
is (the steps say what to do while offers wait for the morning), each recipe on a fresh runner, its
commands run as the doc writes them (its own ```sh blocks, with bash and curl), and every button
pressed and every text checked quoted by the doc, so the doc cannot drift from what the browser
shows. The patient's main buttons must be on the first screen."""
from __future__ import annotations

import json
import re
import subprocess
import time

import pytest
import requests

from tests.e2e.conftest import REPO, demo
from tests.e2e.test_stripe_flow import texts_to, wait_for_text

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
DOC = (REPO / "docs" / "local.md").read_text(encoding="utf-8")
SCREEN = {"width": 360, "height": 740}
TRANSFER = "Przelew Przelewy24 (bank potwierdzi później) / Bank transfer, confirmed later"


def section(title: str) -> str:
    """The doc's section under a heading ("## …" or "### …"), whitespace as one space."""
    found = re.search(rf"^#+ {re.escape(title)}\n(.*?)(?=^## |^### |\Z)", DOC, re.S | re.M)
    assert found, f"docs/local.md has no section {title!r}"
    return found.group(1)


def says(text: str, *quotes: str) -> None:
    """The doc quotes each of these as written (lines may wrap in the doc)."""
    flat = " ".join(text.split())
    for quote in quotes:
        assert " ".join(quote.split()) in flat, f"docs/local.md does not say {quote!r}"


def shell(runner, tmp_path, script: str) -> str:
    """Run one of the doc's ```sh blocks as written, where a reader runs it (the repository, with
    its .local here), against this runner."""
    (tmp_path / ".local").mkdir(exist_ok=True)
    (tmp_path / ".local" / "demo.json").write_text((runner["local_dir"] / "demo.json").read_text())
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script.replace("http://127.0.0.1:3000", runner["base"])],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, re.S)


def setup_block() -> str:
    return blocks(section("Recipes"))[0]


def link_in(text: str, purpose: str) -> str:
    return re.search(rf"https?://\S+/{purpose}/[\w-]+", text).group(0)


def on_first_screen(page, *buttons: str) -> None:
    for name in buttons:
        box = page.get_by_role("button", name=name).or_(page.get_by_role("link", name=name)).first.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= SCREEN["height"], (name, box)


def heading(page) -> str:
    return page.get_by_role("heading", level=1).inner_text()


def submit(button) -> None:
    """Press a form's button and wait for the page it leads to (the POST, then the redirect's GET):
    read before that, the page is mid-navigation and its content empty (seen under load)."""
    with button.page.expect_navigation(timeout=60_000):
        button.click()


def move_to_the_morning_if_offers_wait(page, base: str) -> None:
    """Step 3: while the top line says offers wait, press its button."""
    page.goto(f"{base}/dev/phone")
    if "now they wait for the morning" in page.content():
        page.get_by_role("button", name=re.compile(r"^Move the clock to .* 08:00")).click()


@pytest.fixture
def phone_screen(chromium):
    context = chromium.new_context(viewport=SCREEN, locale="pl-PL")
    yield context.new_page()
    context.close()


def cancel_demo_1(page, runner) -> None:
    """Steps 1–2: from /dev, DEMO-1's link, "Odwołuję wizytę", "Tak, odwołuję wizytę"."""
    page.goto(f"{runner['base']}/dev")
    assert "Runner time" in page.content() and "Warsaw" in page.content()
    page.get_by_role("link", name="DEMO-1's link").click()
    assert heading(page) == "Twoja wizyta"
    on_first_screen(page, "Potwierdzam, przyjdę", "Odwołuję wizytę")
    page.get_by_role("button", name="Odwołuję wizytę").click()
    assert heading(page) == "Odwołać wizytę?"
    on_first_screen(page, "Tak, odwołuję wizytę")
    page.get_by_role("button", name="Tak, odwołuję wizytę").click()
    assert heading(page) == "Wizyta odwołana"


def test_your_first_ten_minutes(fresh_runner, phone_screen):
    runner, page, doc = fresh_runner, phone_screen, section("Your first ten minutes")
    says(doc, "DEMO-1's link", "Twoja wizyta", "Potwierdzam, przyjdę", "Odwołuję wizytę", "Odwołać wizytę?",
         "Tak, odwołuję wizytę", "Wizyta odwołana", "Dziękujemy! Termin może dostać ktoś, kto czeka na wizytę.",
         "now they wait for the morning", "Move the clock to … 08:00", "Zwolnił się termin", "Tak, biorę ten termin",
         "Nie, dziękuję", "Termin jest Twój", "Demo: umowiono wizyte",
         "Chcesz go? Odpisz TAK lub NIE albo wybierz tutaj")

    cancel_demo_1(page, runner)
    assert "Dziękujemy! Termin może dostać ktoś, kto czeka na wizytę." in page.content()
    wait_for_text(runner, "+48500000001", "odwolana. Dziekujemy!")
    move_to_the_morning_if_offers_wait(page, runner["base"])
    offer = wait_for_text(runner, "+48500000011", "zwolnil sie termin")
    assert "Chcesz go? Odpisz TAK lub NIE albo wybierz tutaj" in offer

    page.goto(link_in(offer, "o"))
    assert heading(page) == "Zwolnił się termin"
    on_first_screen(page, "Tak, biorę ten termin", "Nie, dziękuję")
    page.get_by_role("button", name="Tak, biorę ten termin").click()

    assert heading(page) == "Termin jest Twój"
    wait_for_text(runner, "+48500000011", "Demo: umowiono wizyte")
    expected = {"AppointmentCancelled", "SlotFreed", "SlotOffered", "OfferClaimed", "SlotFilled"}
    deadline = time.monotonic() + 30  # the outbox dispatcher publishes a poll after the SMS went
    while not expected <= (types := {event["detail-type"] for event in requests.get(
            f"{runner['base']}/dev/events", params={"format": "json"}, timeout=10).json()}):
        assert time.monotonic() < deadline, types
        time.sleep(0.2)
    says(doc, "`AppointmentCancelled`", "`SlotFreed`", "`SlotOffered`", "`OfferClaimed`", "`SlotFilled`")


def book_with_the_prepaid_specialist(runner, tmp_path, external_id: str, phone: str) -> dict:
    """The first recipe's booking command, as written, for another visit and phone."""
    command = blocks(section("Pay a prepayment by card"))[0]
    command = command.replace("PAY-1", external_id).replace("500 000 091", phone)
    return json.loads(shell(runner, tmp_path, setup_block() + command))


def test_recipe_pay_a_prepayment_by_card(fresh_runner, phone_screen, tmp_path):
    runner, page, doc = fresh_runner, phone_screen, section("Pay a prepayment by card")
    says(doc, '"status":"awaiting_payment"', "czeka na przedplate 100 zl. Zaplac dzis do", "Przedpłata za wizytę:",
         "Wizyta czeka na przedpłatę", "Zapłać 100 zł", "Lokalna atrapa Stripe Checkout", "Zapłać / Pay",
         "Dziękujemy za wpłatę", "Potwierdzenie wysłaliśmy SMS-em i e-mailem.", "dziekujemy za wplate 100 zl",
         "Potwierdzenie wpłaty za wizytę:")

    booked = json.loads(shell(runner, tmp_path, setup_block() + blocks(doc)[0]))

    assert booked["status"] == "awaiting_payment"
    says(doc, "after about 22:00 Warsaw time \"Zaplac jutro do …\"")
    text = wait_for_text(runner, "+48500000091", "czeka na przedplate 100 zl. Zaplac ")
    assert "Przedpłata za wizytę:" in requests.get(f"{runner['base']}/dev/mail", timeout=10).text
    page.goto(booked["cancel_link"])
    assert heading(page) == "Wizyta czeka na przedpłatę"
    on_first_screen(page, "Zapłać 100 zł", "Odwołuję wizytę")
    page.goto(link_in(text, "p"))
    assert "Lokalna atrapa Stripe Checkout" in page.content() and "czas warszawski" in page.content()
    page.get_by_role("button", name="Zapłać / Pay").click()
    assert heading(page) == "Dziękujemy za wpłatę"
    assert "Potwierdzenie wysłaliśmy SMS-em i e-mailem." in page.content()
    wait_for_text(runner, "+48500000091", "dziekujemy za wplate 100 zl")
    assert "Potwierdzenie wpłaty za wizytę:" in requests.get(f"{runner['base']}/dev/mail", timeout=10).text


def test_recipe_a_bank_transfer_that_arrives_after_the_deadline(fresh_runner, phone_screen, tmp_path):
    runner, page, doc = fresh_runner, phone_screen, section("A bank transfer, and one that arrives after the deadline")
    says(doc, TRANSFER, "Czekamy na potwierdzenie z banku", "Stripe stand-in: checkout sessions",
         "(czeka na bank / waits for the bank)",
         "Bank potwierdza / Bank confirms", "advance by **150** minutes", "zostala odwolana, bo przelew nie dotarl na "
         "czas. Gdy dotrze, przywrocimy wizyte, jesli termin bedzie wolny, a jesli nie, zwrocimy cala kwote.",
         "Czekamy na Twój przelew", "dotarla po czasie, ale termin wizyty byl wolny")
    book_with_the_prepaid_specialist(runner, tmp_path, "PAY-2", "500 000 092")
    link = link_in(wait_for_text(runner, "+48500000092", "/p/"), "p")

    page.goto(link)
    page.get_by_role("button", name=TRANSFER).click()
    assert heading(page) == "Czekamy na potwierdzenie z banku"
    page.goto(f"{runner['base']}/dev/clock")
    page.get_by_label("Advance by").first.fill("150")
    page.get_by_role("button", name="Advance").first.click()
    wait_for_text(runner, "+48500000092", "zostala odwolana, bo przelew nie dotarl na czas. Gdy dotrze, przywrocimy "
                                         "wizyte, jesli termin bedzie wolny, a jesli nie, zwrocimy cala kwote.")
    page.goto(link)
    assert heading(page) == "Czekamy na Twój przelew"

    page.goto(f"{runner['base']}/dev")
    page.get_by_role("link", name="Stripe stand-in: checkout sessions").click()
    page.locator("li", has_text="czeka na bank / waits for the bank").get_by_role("link").click()
    page.get_by_role("button", name="Bank potwierdza / Bank confirms").click()

    wait_for_text(runner, "+48500000092", "dotarla po czasie, ale termin wizyty byl wolny")


def test_recipe_pay_to_take_a_slot_from_the_waiting_list_and_undo(fresh_runner, phone_screen, tmp_path):
    runner, page, doc = fresh_runner, phone_screen, section("Pay to take a slot from the waiting list")
    says(doc, "Przedplata: 100 zl. Chcesz go?", "Przedpłata 100 zł: po „Tak” masz 10 minut na wpłatę.",
         "Trzymamy dla Ciebie ten termin dziś do", "Zapłać 100 zł", "trzymamy dla Ciebie termin",
         "Bedzie Twoj po wplacie 100 zl", "Dziękujemy za wpłatę", "Termin jest Twój")
    make_prepaid, undo = blocks(doc)
    rules = f"{runner['base']}/api/v1/payment-rules"
    auth = {"Authorization": f"Bearer {demo(runner)['api_key']}"}
    before = requests.get(rules, headers=auth, timeout=10).json()
    shell(runner, tmp_path, setup_block() + make_prepaid)
    assert requests.get(rules, headers=auth, timeout=10).json()["first_visit_mandatory"] is True

    cancel_demo_1(page, runner)
    move_to_the_morning_if_offers_wait(page, runner["base"])
    offer = wait_for_text(runner, "+48500000011", "Przedplata: 100 zl. Chcesz go?")
    page.goto(link_in(offer, "o"))
    assert "Przedpłata 100 zł: po „Tak” masz 10 minut na wpłatę." in page.inner_text("main")
    on_first_screen(page, "Tak, biorę ten termin", "Nie, dziękuję")
    page.get_by_role("button", name="Tak, biorę ten termin").click()
    assert heading(page).startswith("Trzymamy dla Ciebie ten termin dziś do")
    on_first_screen(page, "Zapłać 100 zł")
    wait_for_text(runner, "+48500000011", "Bedzie Twoj po wplacie 100 zl")
    offer_page = page.url
    page.get_by_role("link", name="Zapłać 100 zł").click()
    page.get_by_role("button", name="Zapłać / Pay").click()
    assert heading(page) == "Dziękujemy za wpłatę"
    page.goto(offer_page)
    assert heading(page) == "Termin jest Twój"

    shell(runner, tmp_path, setup_block() + undo)  # the undo, as written
    assert requests.get(rules, headers=auth, timeout=10).json() == before


def test_recipe_a_prepayment_that_lapses(fresh_runner, phone_screen, tmp_path):
    runner, page, doc = fresh_runner, phone_screen, section("A prepayment that lapses")
    says(doc, "advance by **125** minutes", "zostala odwolana, bo przedplata nie dotarla na czas. Nowy termin? "
         "Zadzwon: +48 22 000 00 00", "została odwołana, bo przedpłata nie dotarła na czas.")
    booked = book_with_the_prepaid_specialist(runner, tmp_path, "PAY-3", "500 000 093")

    page.goto(f"{runner['base']}/dev/clock")
    page.get_by_label("Advance by").first.fill("125")
    page.get_by_role("button", name="Advance").first.click()

    wait_for_text(runner, "+48500000093", "zostala odwolana, bo przedplata nie dotarla na czas. Nowy termin? "
                                         "Zadzwon: +48 22 000 00 00")
    page.goto(booked["cancel_link"])
    assert "została odwołana, bo przedpłata nie dotarła na czas." in page.content()


def test_recipe_cancel_by_email(fresh_runner, phone_screen):
    runner, page, doc = fresh_runner, phone_screen, section("Cancel by e-mail")
    says(doc, "odwolaj@przychodnia.local", "pacjent@example.com", "Mój telefon: 500 000 002", "**Send**",
         "Wizyta odwołana: …, godz. 11:00 – Przychodnia Demo")
    code = demo(runner)["appointments"][1]["visit_code"]

    page.goto(f"{runner['base']}/dev/mail")
    page.get_by_label("From").fill("pacjent@example.com")
    page.get_by_label("Text").fill(f"Proszę odwołać wizytę, kod {code}. Mój telefon: 500 000 002")
    submit(page.get_by_role("button", name="Send"))

    assert "odwolaj@przychodnia.local → pacjent@example.com" in page.content()  # the automatic answer
    assert re.search(r"Wizyta odwołana: \w+, \d+ \w+( \d{4})?, godz\. 11:00 – Przychodnia Demo", page.content())
    assert f"Kod wizyty: {code[:4]}-{code[4:]}" in page.content() and "tel. +48 22 000 00 00" in page.content()
    wait_for_text(runner, "+48500000002", "odwolana")
    answer = requests.get(f"{runner['base']}/api/v1/appointments/DEMO-2", timeout=10,
                          headers={"Authorization": f"Bearer {demo(runner)['api_key']}"}).json()
    assert (answer["status"], answer["cancellation"]["channel"]) == ("cancelled", "email")


def test_recipe_a_reminder_and_a_reply(fresh_runner, phone_screen):
    runner, page, doc = fresh_runner, phone_screen, section("A reminder and a reply")
    says(doc, "advance by **24** hours", "If the top line is then yellow, press its **Move the clock to … 08:00**",
         "Przyjdziesz? Odpisz TAK lub NIE.", "advance by 24 hours once more", "Reply `NIE` in its box")
    reminded = []
    for _ in range(2):  # as the doc says: 24 hours (to 8:00 if that is night), and once more if none arrived
        page.goto(f"{runner['base']}/dev/clock")
        page.get_by_label("Advance by").nth(1).fill("24")
        submit(page.get_by_role("button", name="Advance").nth(1))
        if "now they wait for the morning" in page.content():
            page.get_by_role("button", name=re.compile(r"^Move the clock to .* 08:00")).click()
        time.sleep(3)
        reminded = [visit["phone"] for visit in demo(runner)["appointments"]
                    if any("Przyjdziesz? Odpisz TAK lub NIE." in text for text in texts_to(runner, visit["phone"]))]
        if reminded:
            break
    assert reminded, "no reminder after two days"

    page.goto(f"{runner['base']}/dev/phone")
    box = page.get_by_label(f"reply from {reminded[0]}").first
    box.fill("NIE")
    box.locator("xpath=..").get_by_role("button", name="Reply").click()

    wait_for_text(runner, reminded[0], "odwolana")
