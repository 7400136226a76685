"""The local runner as a user starts it (`python -m odwolaj_local.runner`), used over HTTP only."""
from __future__ import annotations

import signal
import statistics
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests

from tests.e2e.conftest import Forms, demo

pytestmark = pytest.mark.e2e


def events(runner) -> list[dict]:
    return requests.get(f"{runner['base']}/dev/events", params={"format": "json"}, timeout=5).json()


def wait_for(runner, found, timeout: float = 3.0) -> dict:
    """The newest event on the bus for which found(event) holds; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        hit = next((e for e in events(runner) if found(e)), None)
        if hit:
            return hit
        time.sleep(0.05)
    pytest.fail(f"no such event on the bus within {timeout} s")


def wait_for_cancellation_events(runner, external_id: str) -> None:
    """AppointmentCancelled for the clinic's id, then the SlotFreed of that appointment."""
    cancelled = wait_for(runner, lambda e: e["detail-type"] == "AppointmentCancelled"
                         and e["detail"]["data"]["external_id"] == external_id)
    appointment_id = cancelled["detail"]["data"]["appointment_id"]
    wait_for(runner, lambda e: e["detail-type"] == "SlotFreed" and e["detail"]["event_id"].startswith(appointment_id))


def cancel_form(link: str) -> dict[str, str]:
    """A patient opens the link, presses "Odwołuję wizytę" (a GET to ?step=cancel) and finds the
    form that cancels (its own hidden fields)."""
    page = requests.get(link, timeout=5)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    step = next(f for f in Forms(page.text).forms if f.get("step") == "cancel")
    asked = requests.get(link, params=step, timeout=5)
    return next(f for f in Forms(asked.text).forms if f.get("action") == "cancel")


def cancel_on_page(link: str) -> requests.Response:
    return requests.post(link, data=cancel_form(link), allow_redirects=False, timeout=5)


def test_starts_healthy_with_unknown_routes_answered_like_api_gateway(runner):
    assert requests.get(f"{runner['base']}/healthz", timeout=5).json() == {"status": "ok"}

    missing = requests.get(f"{runner['base']}/no/such/route", timeout=5)
    api = requests.get(f"{runner['base']}/api/v2/appointments", timeout=5)

    # The template's $default route: a Polish page for a browser, JSON for the API.
    assert missing.status_code == 404 and 'lang="pl"' in missing.text and 'href="/c"' in missing.text
    assert api.status_code == 404 and api.json() == {"message": "Not Found"}


def test_demo_file_has_a_working_key_and_links(runner):
    seeded = demo(runner)

    assert seeded["api_key"].startswith("odw_") and seeded["base_url"] == runner["base"]
    assert len(seeded["appointments"]) >= 3
    first = seeded["appointments"][0]
    assert first["cancel_link"].startswith(f"{runner['base']}/c/") and first["phone"].startswith("+48")
    answer = requests.get(f"{runner['base']}/api/v1/appointments/{first['external_id']}",
                          headers={"Authorization": f"Bearer {seeded['api_key']}"}, timeout=5)
    assert answer.status_code == 200


def test_clinic_pushes_a_visit_and_the_patient_cancels_it_through_its_link(runner):
    base, key = runner["base"], demo(runner)["api_key"]
    auth = {"Authorization": f"Bearer {key}"}
    starts = (datetime.now(timezone.utc) + timedelta(days=4)).replace(hour=9, minute=0, second=0, microsecond=0)
    payload = {"patient": {"id": "E2E-P1", "phone": "500 000 099"}, "starts_at": starts.isoformat(),
               "service": "Poradnia kardiologiczna", "specialist": "dr Anna Nowak"}

    created = requests.put(f"{base}/api/v1/appointments/E2E-1", json=payload, headers=auth, timeout=5)
    assert created.status_code == 201, created.text
    read = requests.get(f"{base}/api/v1/appointments/E2E-1", headers=auth, timeout=5).json()
    assert read["status"] == "booked"

    posted = cancel_on_page(read["cancel_link"])

    assert posted.status_code in (200, 303), posted.text
    after = requests.get(f"{base}/api/v1/appointments/E2E-1", headers=auth, timeout=5).json()
    assert after["status"] == "cancelled"
    wait_for_cancellation_events(runner, "E2E-1")


def test_slot_freed_reaches_the_bus_within_seconds_of_the_cancel_button(runner, record_property):
    latencies, answered = [], []
    for visit in demo(runner)["appointments"][:3]:
        form = cancel_form(visit["cancel_link"])
        started = time.monotonic()
        requests.post(visit["cancel_link"], data=form, allow_redirects=False, timeout=5)
        answered.append(time.monotonic() - started)
        wait_for_cancellation_events(runner, visit["external_id"])
        latencies.append(time.monotonic() - started)

    median = statistics.median(latencies)
    record_property("slot_freed_latency_median_s", round(median, 3))
    print(f"\ncancel POST → SlotFreed on /dev/events: median {median:.3f} s of {[round(x, 3) for x in latencies]}"
          f" (the POST itself: {[round(x, 3) for x in answered]})")
    assert median < 3.0


def test_clock_moves_forward_and_shows_the_schedules(runner):
    before = requests.get(f"{runner['base']}/dev/clock", params={"format": "json"}, timeout=5).json()

    moved = requests.post(f"{runner['base']}/dev/clock", json={"advance_hours": 2}, timeout=30)

    assert moved.status_code == 200
    after = moved.json()
    jump = datetime.fromisoformat(after["now"]) - datetime.fromisoformat(before["now"])
    assert timedelta(hours=2) <= jump < timedelta(hours=2, minutes=1)
    assert after["offset_seconds"] == before["offset_seconds"] + 7200
    # Every schedule due within those two hours (rate(5 minutes) is) fired once, coalesced.
    assert all(s["fired"] >= 1 for s in after["schedules"]) and after["fired"]
    assert requests.post(f"{runner['base']}/dev/clock", json={"advance_hours": -1}, timeout=5).status_code == 400


def test_dev_pages_answer(runner):
    base = runner["base"]
    for path in ("/dev", "/dev/phone", "/dev/mail", "/dev/events", "/dev/clock"):
        page = requests.get(base + path, timeout=10)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), path
    # Booking confirmations of the demo visits went out by SMS and show on the phone view.
    assert demo(runner)["appointments"][0]["phone"] in requests.get(f"{base}/dev/phone", timeout=10).text


def test_a_reply_from_the_phone_view_reaches_the_inbound_sms_function(runner):
    phone = demo(runner)["appointments"][-1]["phone"]

    answer = requests.post(f"{runner['base']}/dev/phone/reply", data={"from": phone, "text": "TAK"},
                           allow_redirects=False, timeout=10)

    assert answer.status_code == 303, answer.text
    assert "← from " + phone in requests.get(f"{runner['base']}/dev/phone", timeout=10).text


def test_stops_cleanly_on_sigterm(runner):
    process = runner["process"]

    process.send_signal(signal.SIGTERM)

    assert process.wait(timeout=15) == 0
