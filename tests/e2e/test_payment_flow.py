"""Prepayment on the local runner, as a person sees it: a booking that must be paid is reserved,
the payment link arrives on the phone with its deadline, the clock moves past the deadline, the
sweep cancels the unpaid booking and the patient is told why."""
import time
from datetime import timedelta, timezone

import pytest
import requests

from tests.e2e.conftest import demo, move_clock, runner_now
from tests.e2e.test_sms_flow import phone_view, wait_for_sms

pytestmark = pytest.mark.e2e
PHONE = "+48500000097"


def wait_for_mail(runner, text: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page = requests.get(f"{runner['base']}/dev/mail", timeout=5).text
        if text in page:
            return page
        time.sleep(0.2)
    pytest.fail(f"no e-mail with {text!r} on /dev/mail within {timeout} s")


def test_an_unpaid_booking_lapses_at_its_deadline_and_the_patient_is_told(runner):
    base, key = runner["base"], demo(runner)["api_key"]
    auth = {"Authorization": f"Bearer {key}"}
    rules = {"mode": "mandatory", "kind": "deposit", "amount": 5000,
             "deadline": {"mode": "after_booking", "hours_after_booking": 2, "hours_before_visit": 2}}
    assert requests.put(f"{base}/api/v1/payment-rules", json=rules, headers=auth, timeout=5).status_code == 200
    starts = (runner_now(runner) + timedelta(days=5)).astimezone(timezone.utc).replace(minute=0, second=0,
                                                                                      microsecond=0)
    payload = {"patient": {"id": "PAY-P1", "phone": PHONE}, "starts_at": starts.isoformat(),
               "service": "Poradnia kardiologiczna"}

    booked = requests.put(f"{base}/api/v1/appointments/PAY-1", json=payload, headers=auth, timeout=5)

    assert booked.status_code == 201 and booked.json()["status"] == "awaiting_payment"
    wait_for_sms(runner, "czeka na przedplate 50 zl. Zaplac ")  # "dzis do", or after 22:00 "jutro do"
    assert f"{base}/p/" in phone_view(runner)

    move_clock(runner, advance_minutes=2 * 60 + 5)

    wait_for_sms(runner, "zostala odwolana, bo przedplata nie dotarla na czas")
    after = requests.get(f"{base}/api/v1/appointments/PAY-1", headers=auth, timeout=5).json()
    assert after["status"] == "cancelled"
    assert (after["cancellation"]["channel"], after["cancellation"]["reason"]) == ("payment_expired", "unpaid")


def test_a_patient_with_an_address_gets_the_payment_link_by_email_too(runner):
    base, key = runner["base"], demo(runner)["api_key"]
    auth = {"Authorization": f"Bearer {key}"}
    rules = {"mode": "mandatory", "kind": "full", "amount": 12050,
             "deadline": {"mode": "after_booking", "hours_after_booking": 24, "hours_before_visit": 2}}
    assert requests.put(f"{base}/api/v1/payment-rules", json=rules, headers=auth, timeout=5).status_code == 200
    starts = (runner_now(runner) + timedelta(days=6)).astimezone(timezone.utc).replace(minute=0, second=0,
                                                                                      microsecond=0)
    payload = {"patient": {"id": "PAY-P2", "phone": "+48500000096", "email": "pacjent@example.pl"},
               "starts_at": starts.isoformat(), "service": "Poradnia kardiologiczna"}

    booked = requests.put(f"{base}/api/v1/appointments/PAY-2", json=payload, headers=auth, timeout=5)

    assert booked.status_code == 201 and booked.json()["status"] == "awaiting_payment"
    page = wait_for_mail(runner, "pacjent@example.pl")
    assert "rejestracja@odwolaj.local" in page and "Przedpłata za wizytę" in page
    assert "po wpłacie 120,50 zł do " in page and f"{base}/p/" in page and "Kod wizyty:" in page
