"""Prepayment on the local runner, as a person clicks it: a visit that must be prepaid is booked
through the clinic API, its payment link arrives in the phone view, opens the local stand-in for
Stripe's hosted checkout, and its buttons send signed Stripe events to the real webhook."""
import re
import time
from datetime import timedelta
from html import unescape

import pytest
import requests

from tests.e2e.conftest import demo, move_clock, runner_now

pytestmark = pytest.mark.e2e


def texts_to(runner, phone: str) -> list[str]:
    page = requests.get(f"{runner['base']}/dev/phone", timeout=10).text
    rows = re.findall(r"<tr class=out><td>[^<]*<br>→ to ([^<]+)</td><td><pre>(.*?)</pre>", page, re.S)
    return [unescape(re.sub(r"<[^>]+>", "", text)) for to, text in rows if to == phone]  # links are <a> there


def wait_for_text(runner, phone: str, fragment: str, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [text for text in texts_to(runner, phone) if fragment in text]
        if found:
            return found[0]
        time.sleep(0.2)
    pytest.fail(f"no SMS to {phone} with {fragment!r} within {timeout} s: {texts_to(runner, phone)}")


def api(runner, method: str, path: str, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {demo(runner)['api_key']}"}
    return requests.request(method, f"{runner['base']}/api/v1/{path}", headers=headers, timeout=10, **kwargs)


def book_prepaid(runner, external_id: str, phone: str) -> str:
    """Book a visit with the demo's prepaid specialist; the payment link from the SMS."""
    starts = (runner_now(runner) + timedelta(days=5)).replace(hour=9, minute=0, second=0, microsecond=0)
    body = {"patient": {"id": f"P-{external_id}", "phone": phone}, "starts_at": starts.isoformat(),
            "service": "Poradnia ortopedyczna", "specialist": demo(runner)["prepaid_specialist"]}
    answer = api(runner, "PUT", f"appointments/{external_id}", json=body)
    assert answer.status_code == 201 and answer.json()["status"] == "awaiting_payment", answer.text
    text = wait_for_text(runner, phone, "/p/")
    return re.search(r"https?://\S+/p/[\w-]{18}", text).group(0)


def checkout_page(link: str) -> str:
    """Open the payment link: the redirect to the (local) Stripe checkout."""
    answer = requests.get(link, allow_redirects=False, timeout=10)
    assert answer.status_code == 303, answer.text
    page = requests.get(answer.headers["Location"], timeout=10)
    assert page.status_code == 200 and "Zapłać" in page.text and "100,00 PLN" in page.text
    return answer.headers["Location"]


def press(checkout: str, action: str) -> requests.Response:
    return requests.post(f"{checkout}/{action}", allow_redirects=False, timeout=30)


def status_of(runner, external_id: str) -> str:
    return api(runner, "GET", f"appointments/{external_id}").json()["status"]


def report(runner) -> dict:
    now = runner_now(runner)  # from yesterday: a test that moved the clock late in the evening is past midnight
    days = {"from": f"{now - timedelta(days=1):%Y-%m-%d}", "to": f"{now:%Y-%m-%d}"}
    rows = api(runner, "GET", "reports/payments", params=days).json()["payments"]
    return {row["external_id"]: row["status"] for row in rows}


def test_paying_the_link_confirms_the_visit_and_the_patient_is_told(runner):
    phone = "+48500000201"
    link = book_prepaid(runner, "PAY-1", phone)
    checkout = checkout_page(link)
    assert requests.get(link, allow_redirects=False, timeout=10).headers["Location"] == checkout  # reused

    paid = press(checkout, "pay")

    assert paid.status_code == 303 and paid.headers["Location"] == f"{link}?s=ok"
    back_home = requests.get(paid.headers["Location"], timeout=10)
    assert "Dziękujemy za wpłatę" in back_home.text
    assert status_of(runner, "PAY-1") == "confirmed"
    wait_for_text(runner, phone, "dziekujemy za wplate")
    assert report(runner)["PAY-1"] == "paid"


def test_abandoning_the_checkout_changes_nothing_and_the_link_opens_a_new_session(runner):
    link = book_prepaid(runner, "PAY-2", "+48500000202")
    checkout = checkout_page(link)

    abandoned = press(checkout, "abandon")

    assert abandoned.headers["Location"] == f"{link}?s=back"
    assert "Płatność nie została dokończona" in requests.get(abandoned.headers["Location"], timeout=10).text
    assert status_of(runner, "PAY-2") == "awaiting_payment"
    assert checkout_page(link) != checkout


def test_a_payment_arriving_after_the_visit_was_cancelled_is_refunded_and_the_patient_told(runner):
    phone = "+48500000203"
    link = book_prepaid(runner, "PAY-3", phone)
    checkout = checkout_page(link)
    press(checkout, "pay?delayed=1")  # a bank transfer: the bank answers later
    assert status_of(runner, "PAY-3") == "awaiting_payment"
    cancelled = api(runner, "POST", "appointments/PAY-3/outcome", json={"outcome": "cancelled"})
    assert cancelled.status_code == 200

    press(checkout, "bank?ok=1")

    wait_for_text(runner, phone, "dotarla po odwolaniu wizyty, wiec zwracamy cala kwote")
    assert status_of(runner, "PAY-3") == "cancelled"
    assert report(runner)["PAY-3"] == "refunded"
    assert "Wpłata została zwrócona" in requests.get(link, timeout=10).text


def test_an_unpaid_booking_lapses_at_its_deadline_and_a_late_transfer_reinstates_a_still_free_slot(runner):
    """Runs last in this module: it moves the runner's clock past the deadlines."""
    lapsing_phone, late_phone = "+48500000204", "+48500000205"
    lapsing = book_prepaid(runner, "PAY-4", lapsing_phone)
    late = book_prepaid(runner, "PAY-5", late_phone)
    late_checkout = checkout_page(late)
    press(late_checkout, "pay?delayed=1")  # started in time; the bank answers after the deadline

    # Past the 2-hour deadline: the payment-deadline sweep fires on the way and cancels both.
    move_clock(runner, advance_minutes=150)
    wait_for_text(runner, lapsing_phone, "bo przedplata nie dotarla na czas")
    # The transfer is still under way: the patient is told what its arrival will do.
    wait_for_text(runner, late_phone, "bo przelew nie dotarl na czas. Gdy dotrze, przywrocimy wizyte")
    assert status_of(runner, "PAY-4") == status_of(runner, "PAY-5") == "cancelled"
    assert "Termin płatności minął" in requests.get(lapsing, timeout=10).text
    assert "Czekamy na Twój przelew" in requests.get(late, timeout=10).text

    press(late_checkout, "bank?ok=1")

    wait_for_text(runner, late_phone, "dotarla po czasie, ale termin wizyty byl wolny")
    assert status_of(runner, "PAY-5") == "confirmed"
    assert report(runner)["PAY-5"] == "paid"
