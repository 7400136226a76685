"""Reminders and replies on the local runner, as a person would see them: the clock is moved to
the reminder's moment, the reminder shows in the phone view, a reply NIE cancels the visit and
the thank-you arrives; a reply in the patient's own words to the booking SMS cancels and the slot
reaches the waiting list; STOP stops the reminders and START brings them back."""
import re
import time
from datetime import datetime, timedelta, timezone
from html import unescape

import pytest
import requests

from tests.e2e.conftest import demo, move_clock, runner_now
from tests.e2e.test_reserve_flow import WARSAW, messages_to, wait_for

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
    move_clock(runner, advance_minutes=minutes)

    wait_for_sms(runner, "Odpisz TAK lub NIE")
    assert requests.post(f"{base}/dev/phone/reply", data={"from": PHONE, "text": "Nie, nie przyjdę"},
                         allow_redirects=False, timeout=10).status_code == 303

    wait_for_sms(runner, "odwolana. Dziekujemy")  # the thanks
    after = requests.get(f"{base}/api/v1/appointments/SMS-1", headers=auth, timeout=5).json()
    assert after["status"] == "cancelled" and after["cancellation"]["channel"] == "sms"


SERVICE = "Poradnia reumatologiczna"  # no other end-to-end module offers its slots
WAITING = "+48500000301"


def sending_hours(runner) -> None:
    """The runner's clock moved to 10:00 in Warsaw tomorrow unless it is already 9:00–16:00."""
    local = runner_now(runner).astimezone(WARSAW)
    if not 9 <= local.hour < 16:
        target = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), WARSAW) + timedelta(hours=10)
        minutes = int((target - local).total_seconds() // 60) + 1
        move_clock(runner, advance_minutes=minutes)


def reply(runner, phone: str, text: str) -> None:
    assert requests.post(f"{runner['base']}/dev/phone/reply", data={"from": phone, "text": text},
                         allow_redirects=False, timeout=15).status_code == 303


def test_booking_sms_then_nie_moge_przyjsc_cancels_thanks_and_offers_the_slot_to_the_waiting_list(runner):
    base, key = runner["base"], demo(runner)["api_key"]
    auth = {"Authorization": f"Bearer {key}"}
    sending_hours(runner)
    planned = (runner_now(runner) + timedelta(days=100)).date().isoformat()
    entry = {"referral": "E2E-REPLY", "patient": {"id": "W-REPLY", "phone": WAITING, "pesel": "44051401359"},
             "reason": "M06 RZS", "category": "stabilny", "planned_date": planned, "entered_by": "rejestracja",
             "consent": True, "service": SERVICE}
    assert requests.post(f"{base}/api/v1/waiting-list", json=entry, headers=auth, timeout=10).status_code == 201
    patient = "+48500000302"
    starts = (runner_now(runner) + timedelta(days=2)).astimezone(timezone.utc).replace(minute=0, second=0,
                                                                                      microsecond=0)
    visit = {"patient": {"id": "P-REPLY", "phone": patient}, "starts_at": starts.isoformat(), "service": SERVICE}
    assert requests.put(f"{base}/api/v1/appointments/REPLY-1", json=visit, headers=auth, timeout=5).status_code == 201
    booking = wait_for(runner, patient, "umowiono wizyte")
    code = requests.get(f"{base}/api/v1/appointments/REPLY-1", headers=auth, timeout=5).json()["visit_code"]
    assert f"Kod wizyty: {code[:4]}-{code[4:]}" in booking

    reply(runner, patient, "nie moge przyjsc")  # to a message that asked nothing

    wait_for(runner, patient, "Termin moze dostac ktos, kto czeka")
    after = requests.get(f"{base}/api/v1/appointments/REPLY-1", headers=auth, timeout=5).json()
    assert after["status"] == "cancelled" and after["cancellation"]["channel"] == "sms"
    wait_for(runner, WAITING, "Odpisz TAK lub NIE")  # the freed slot goes to the waiting list


def test_stop_is_acknowledged_and_stops_reminders_and_start_restores_them(runner):
    base, key = runner["base"], demo(runner)["api_key"]
    auth = {"Authorization": f"Bearer {key}"}
    patient = "+48500000303"
    starts = (runner_now(runner) + timedelta(days=9)).astimezone(timezone.utc).replace(hour=10, minute=0, second=0,
                                                                                      microsecond=0)
    visit = {"patient": {"id": "P-STOP", "phone": patient}, "starts_at": starts.isoformat(),
             "service": "Poradnia kardiologiczna"}
    assert requests.put(f"{base}/api/v1/appointments/STOP-1", json=visit, headers=auth, timeout=5).status_code == 201
    wait_for(runner, patient, "umowiono wizyte")

    reply(runner, patient, "STOP")
    wait_for(runner, patient, "Aby to cofnac, odpisz START")
    advance_past(runner, starts - timedelta(days=7))  # the 7-day reminder falls due, and is not sent

    assert not [m for m in messages_to(runner, patient) if "Odpisz TAK lub NIE" in m]
    reply(runner, patient, "START")
    wait_for(runner, patient, "znow bedziemy wysylac przypomnienia o wizytach")
    advance_past(runner, starts - timedelta(days=1))
    wait_for(runner, patient, "Przyjdziesz? Odpisz TAK lub NIE")  # the 1-day reminder is sent again
    # Only that one: the 7-day reminder, due while the number was opted out, never went.
    assert len([m for m in messages_to(runner, patient) if "Odpisz TAK lub NIE" in m]) == 1
    assert requests.get(f"{base}/api/v1/appointments/STOP-1", headers=auth, timeout=5).json()["status"] == "booked"


def advance_past(runner, moment: datetime) -> None:
    """Move the runner's clock a few minutes past `moment`; the schedules fire on the way."""
    minutes = int((moment + timedelta(minutes=6) - runner_now(runner)).total_seconds() // 60) + 1
    if minutes > 0:
        move_clock(runner, advance_minutes=minutes)
