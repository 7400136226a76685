"""The local runner as a user starts it (`python -m odwolaj_local.runner`), used over HTTP only."""
from __future__ import annotations

import signal
import socket
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
import requests

from tests.e2e.conftest import CLOCK_MOVE_TIMEOUT, Forms, demo, move_clock

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

    after = move_clock(runner, advance_hours=2)

    jump = datetime.fromisoformat(after["now"]) - datetime.fromisoformat(before["now"])
    assert timedelta(hours=2) <= jump < timedelta(hours=2, minutes=1)
    # The jump sets the runner's clock to a moment: the offset is 2 hours less the request's own time.
    assert 7200 - CLOCK_MOVE_TIMEOUT < after["offset_seconds"] - before["offset_seconds"] <= 7200
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


def test_functions_running_at_once_never_read_each_others_requests(runner):
    """150 clinic-API calls and 150 patient-page form posts at the same time: every API call is
    answered from its own JSON body (on main, 117-128 of 150 parsed a patient page's form body)."""
    base, key = runner["base"], demo(runner)["api_key"]
    starts = (datetime.now(timezone.utc) + timedelta(days=6)).replace(hour=9, minute=0, second=0, microsecond=0)
    body = {"patient": {"id": "E2E-CONC", "phone": "500 000 097"}, "starts_at": starts.isoformat(),
            "service": "Poradnia kardiologiczna"}
    lookup_form = next(f for f in Forms(requests.get(f"{base}/c", timeout=5).text).forms)

    def api_call(_):
        return requests.put(f"{base}/api/v1/appointments/E2E-CONC", json=body, timeout=60,
                            headers={"Authorization": f"Bearer {key}"})

    def page_post(_):
        return requests.post(f"{base}/c", data={**lookup_form, "code": "ABCDEFGH", "phone": "500000097"},
                             allow_redirects=False, timeout=60)

    with ThreadPoolExecutor(max_workers=40) as pool:
        api_answers = pool.map(api_call, range(150))
        page_answers = pool.map(page_post, range(150))
        api_answers, page_answers = list(api_answers), list(page_answers)

    statuses = sorted({a.status_code for a in api_answers})
    assert statuses in ([200], [200, 201]), [a.text for a in api_answers if a.status_code not in (200, 201)][:3]
    assert all(a.json()["external_id"] == "E2E-CONC" for a in api_answers)
    assert all(a.headers["content-type"].startswith("text/html") for a in page_answers)


def raw_request(runner, data: bytes) -> bytes:
    """What the runner answers to these bytes on a fresh connection (b"" if it hung up)."""
    address = urlsplit(runner["base"])
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(data)
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def test_a_bad_request_gets_an_http_answer_not_a_dropped_connection(runner):
    latin2 = "kod=Zażółć".encode("iso-8859-2")
    form = (b"POST /c HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(latin2), latin2))
    bad_length = b"POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: many\r\nConnection: close\r\n\r\n"
    dev = (b"POST /dev/clock HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           b"Content-Length: 4\r\nConnection: close\r\n\r\n\xff\xfe[]")

    for request, status in ((form, b"400"), (bad_length, b"400"), (dev, b"400")):
        answer = raw_request(runner, request)
        assert answer.startswith(b"HTTP/1.1 " + status), answer[:200]


def test_stops_within_five_seconds_of_sigterm_under_load(runner):
    process, base = runner["process"], runner["base"]
    stop = threading.Event()

    def load():
        while not stop.is_set():
            try:
                requests.get(f"{base}/c", timeout=2)
                requests.get(f"{base}/dev/events", timeout=2)
            except requests.RequestException:
                pass

    workers = [threading.Thread(target=load, daemon=True) for _ in range(12)]
    for worker in workers:
        worker.start()
    time.sleep(2)  # the load is on

    signalled = time.monotonic()
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=30)
    took = time.monotonic() - signalled
    stop.set()

    print(f"\nstopped {took:.2f} s after SIGTERM under load, exit code {code}")
    assert code == 0 and took < 5.0
