"""Reminders and replies on the local runner, as a person would see them: the clock is moved to
the reminder's moment, the reminder shows in the phone view, a reply NIE cancels the visit and
the thank-you arrives."""
import re
import time
from datetime import datetime, timedelta, timezone
from html import unescape

import pytest
import requests

from tests.e2e.conftest import demo

pytestmark = pytest.mark.e2e
PHONE = "+48500000098"


def phone_view(runner) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", requests.get(f"{runner['base']}/dev/phone", timeout=10).text))


def wait_for_sms(runner, text: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in phone_view(runner):
            return
        time.sleep(0.2)
    pytest.fail(f"no SMS with {text!r} in the phone view within {timeout} s")


def runner_now(runner) -> datetime:
    return datetime.fromisoformat(requests.get(f"{runner['base']}/dev/clock", params={"format": "json"},
                                               timeout=5).json()["now"])


def test_reminder_then_reply_nie_cancels_and_thanks(runner):
    base, key = runner["base"], demo(runner)["api_key"]
    auth = {"Authorization": f"Bearer {key}"}
    starts = (runner_now(runner) + timedelta(days=9)).astimezone(timezone.utc).replace(
        hour=10, minute=0, second=0, microsecond=0)  # 11:00 in Warsaw in winter, 12:00 in summer
    payload = {"patient": {"id": "SMS-P1", "phone": PHONE}, "starts_at": starts.isoformat(),
               "service": "Poradnia kardiologiczna"}
    assert requests.put(f"{base}/api/v1/appointments/SMS-1", json=payload, headers=auth, timeout=5).status_code == 201
    wait_for_sms(runner, "umowiono wizyte")  # the booking confirmation

    # Move the runner's clock just past the 7-day reminder; the sweep schedule fires on the way.
    week_before = starts - timedelta(days=7) + timedelta(minutes=6)
    minutes = int((week_before - runner_now(runner)).total_seconds() // 60) + 1
    moved = requests.post(f"{base}/dev/clock", json={"advance_minutes": minutes}, timeout=60)
    assert moved.status_code == 200, moved.text

    wait_for_sms(runner, "Odpisz TAK lub NIE")
    assert requests.post(f"{base}/dev/phone/reply", data={"from": PHONE, "text": "Nie, nie przyjdę"},
                         allow_redirects=False, timeout=10).status_code == 303

    wait_for_sms(runner, "wizyta odwolana")  # the thanks (nobody waits for it: no promise it goes to someone)
    after = requests.get(f"{base}/api/v1/appointments/SMS-1", headers=auth, timeout=5).json()
    assert after["status"] == "cancelled" and after["cancellation"]["channel"] == "sms"
