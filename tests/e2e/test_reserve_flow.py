"""The reserve list on the local runner, as people see it: a visit is cancelled and within seconds
the offer is on the waiting patients' phones; one takes it by replying TAK, the other is told it
is gone; a second freed slot is taken through the offer's link; a patient who answers hours
later, after the clock has moved on, still gets the slot nobody took."""
from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.e2e.conftest import Forms, demo, move_clock, runner_now

pytestmark = pytest.mark.e2e
WARSAW = ZoneInfo("Europe/Warsaw")
SERVICE = "Poradnia neurologiczna"
WAITING = {"A": "+48500000201", "B": "+48500000202", "C": "+48500000203"}


def messages_to(runner, phone: str) -> list[str]:
    html = requests.get(f"{runner['base']}/dev/phone", timeout=10).text
    rows = re.findall(r"<tr class=out><td>[^<]*<br>→ to ([^<]+)</td><td><pre>(.*?)</pre>", html, flags=re.S)
    return [unescape(re.sub(r"<[^>]+>", "", text)) for to, text in rows if to.strip() == phone]  # links are <a>


def wait_for(runner, phone: str, text: str, timeout: float = 30.0, *, seen: int = 0) -> str:
    """The newest SMS to `phone` containing `text`, once more than `seen` such have arrived."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in messages_to(runner, phone) if text in m]
        if len(found) > seen:
            return found[0]
        time.sleep(0.1)
    pytest.fail(f"no SMS with {text!r} to {phone} within {timeout} s: {messages_to(runner, phone)}")


def events_of(base: str, detail_type: str, *, after: int, timeout: float = 30.0) -> list[dict]:
    """The data of the bus's `detail_type` events after `after`, once there is one: the outbox
    dispatcher publishes them a poll after the SMS that the same transaction queued."""
    deadline = time.monotonic() + timeout
    while True:
        page = requests.get(f"{base}/dev/events", params={"format": "json", "after": after}, timeout=10).json()
        found = [e["event"]["detail"]["data"] for e in page["events"] if e["event"]["detail-type"] == detail_type]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


@pytest.fixture(scope="module")
def clinic(runner):
    """Given the runner's clock at 10:00 in Warsaw (sending hours) and three waiting patients."""
    base = runner["base"]
    auth = {"Authorization": f"Bearer {demo(runner)['api_key']}"}
    local = runner_now(runner).astimezone(WARSAW)
    if not 9 <= local.hour < 16:
        target = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), WARSAW) + timedelta(hours=10)
        minutes = int((target - local).total_seconds() // 60) + 1
        move_clock(runner, advance_minutes=minutes)
    planned = (runner_now(runner) + timedelta(days=100)).date().isoformat()
    for number, (name, phone) in enumerate(WAITING.items(), start=1):
        entry = {"referral": f"E2E-{name}", "patient": {"id": f"W-{name}", "phone": phone, "pesel": "44051401359"},
                 "reason": "G43 migrena", "category": "stabilny", "planned_date": planned,
                 "entered_by": "rejestracja", "consent": True, "service": SERVICE}
        answer = requests.post(f"{base}/api/v1/waiting-list", json=entry, headers=auth, timeout=10)
        assert answer.status_code == 201, answer.text
        wait_for(runner, phone, f"miejsce {number}")
    return {"base": base, "auth": auth}


def free_a_slot(runner, clinic, external_id: str, hours_ahead: int) -> float:
    """Book a visit a few hours ahead today and cancel it through the API; returns when it was cancelled."""
    base, auth = clinic["base"], clinic["auth"]
    starts = (runner_now(runner) + timedelta(hours=hours_ahead)).astimezone(timezone.utc).replace(second=0,
                                                                                                 microsecond=0)
    visit = {"patient": {"id": f"P-{external_id}", "phone": "+48500000299"}, "starts_at": starts.isoformat(),
             "service": SERVICE}
    assert requests.put(f"{base}/api/v1/appointments/{external_id}", json=visit, headers=auth,
                        timeout=10).status_code == 201
    cancelled_at = time.monotonic()
    answer = requests.post(f"{base}/api/v1/appointments/{external_id}/outcome",
                           json={"outcome": "cancelled", "reason": "cannot_attend"}, headers=auth, timeout=10)
    assert answer.status_code == 200, answer.text
    return cancelled_at


def test_a_freed_slot_reaches_the_waiting_patients_and_tak_by_sms_takes_it(runner, clinic):
    cancelled_at = free_a_slot(runner, clinic, "E2E-1", hours_ahead=3)

    # Short notice: the first wave asks everyone on this short list at once.
    wait_for(runner, WAITING["A"], "Odpisz TAK lub NIE")
    print(f"\nfreeing → first offer on the phone: {time.monotonic() - cancelled_at:.2f} s")
    wait_for(runner, WAITING["B"], "Odpisz TAK lub NIE")
    wait_for(runner, WAITING["C"], "Odpisz TAK lub NIE")

    for phone, text in ((WAITING["B"], "TAK"), (WAITING["A"], "tak")):
        assert requests.post(f"{clinic['base']}/dev/phone/reply", data={"from": phone, "text": text},
                             allow_redirects=False, timeout=15).status_code == 303

    wait_for(runner, WAITING["B"], "umowiono wizyte")
    wait_for(runner, WAITING["A"], "zajal juz ktos inny")
    assert events_of(clinic["base"], "SlotFilled", after=0)


def test_the_next_freed_slot_is_taken_through_the_offer_link(runner, clinic):
    free_a_slot(runner, clinic, "E2E-2", hours_ahead=4)
    # A answered the last offer, so is not cooling down; C's offer lapsed when B took the slot.
    offer_sms = wait_for(runner, WAITING["A"], "Odpisz TAK lub NIE", seen=1)
    link = re.search(r"https?://\S+/o/[A-Za-z0-9_-]{18}", offer_sms).group(0)

    page = requests.get(link, timeout=10)
    assert page.status_code == 200 and "Zwolnił się termin" in page.text
    accept = next(form for form in Forms(page.text).forms if form.get("action") == "accept")
    answer = requests.post(link, data=accept, allow_redirects=False, timeout=15)
    assert answer.status_code == 303

    assert "Termin jest Twój" in requests.get(link, timeout=10).text
    wait_for(runner, WAITING["A"], "umowiono wizyte")


def test_fifty_concurrent_acceptances_over_http_make_one_booking(runner, clinic):
    """A slot 96 minutes away leaves one wave before the cut-off: ten patients at once. Each of
    them presses 'take it' five times at the same moment: 50 concurrent POSTs of /o/{token}."""
    base, auth = clinic["base"], clinic["auth"]
    phones = [f"+48500000{n:03d}" for n in range(300, 310)]
    planned = (runner_now(runner) + timedelta(days=100)).date().isoformat()
    for n, phone in enumerate(phones):
        entry = {"referral": f"RACE-{n}", "patient": {"id": f"R-{n}", "phone": phone, "pesel": "44051401359"},
                 "reason": "-", "category": "stabilny", "planned_date": planned, "entered_by": "rejestracja",
                 "consent": True, "service": "Poradnia alergologiczna"}
        assert requests.post(f"{base}/api/v1/waiting-list", json=entry, headers=auth, timeout=10).status_code == 201
    starts = (runner_now(runner) + timedelta(minutes=96)).astimezone(timezone.utc).replace(second=0, microsecond=0)
    visit = {"patient": {"id": "P-race", "phone": "+48500000399"}, "starts_at": starts.isoformat(),
             "service": "Poradnia alergologiczna"}
    assert requests.put(f"{base}/api/v1/appointments/RACE-1", json=visit, headers=auth, timeout=10).status_code == 201
    assert requests.post(f"{base}/api/v1/appointments/RACE-1/outcome", json={"outcome": "cancelled"}, headers=auth,
                         timeout=10).status_code == 200
    links = [re.search(r"https?://\S+/o/[A-Za-z0-9_-]{18}", wait_for(runner, phone, "zwolnil sie")).group(0)
             for phone in phones]
    forms = [next(f for f in Forms(requests.get(link, timeout=10).text).forms if f.get("action") == "accept")
             for link in links]
    start = threading.Barrier(50)

    def press(index: int) -> int:
        start.wait()
        return requests.post(links[index % 10], data=forms[index % 10], allow_redirects=False,
                             timeout=60).status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        assert set(pool.map(press, range(50))) == {303}

    booked = [phone for phone in phones if wait_any(runner, phone, ("umowiono wizyte", "zajal juz ktos inny"))
              == "umowiono wizyte"]
    assert len(booked) == 1
    taken = [m for phone in phones for m in messages_to(runner, phone) if "zajal juz ktos inny" in m]
    assert len(taken) == 9
    listed = requests.get(f"{base}/api/v1/waiting-list", params={"service": "Poradnia alergologiczna"},
                          headers=auth, timeout=10).json()["entries"]
    assert len(listed) == 9  # the winner is served; the others keep their places


def wait_any(runner, phone: str, texts: tuple[str, ...], timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for text in texts:
            if any(text in m for m in messages_to(runner, phone)):
                return text
        time.sleep(0.2)
    pytest.fail(f"none of {texts} reached {phone}")


def phone_json(base: str, **params) -> dict:
    return requests.get(f"{base}/dev/phone", params={"format": "json", **params}, timeout=10).json()


def test_a_late_yes_by_sms_after_the_clock_moved_on_takes_the_slot_nobody_took(runner, clinic):
    """One patient on the list of a service; a slot two days ahead is offered to them; three hours
    pass on the runner's clock (the offer timer runs through them); then they reply TAK."""
    base, auth = clinic["base"], clinic["auth"]
    service, phone = "Poradnia endokrynologiczna", "+48500000410"
    entry = {"referral": "E2E-LATE", "patient": {"id": "W-late", "phone": phone, "pesel": "44051401359"},
             "reason": "E05 nadczynnosc tarczycy", "category": "stabilny",
             "planned_date": (runner_now(runner) + timedelta(days=100)).date().isoformat(),
             "entered_by": "rejestracja", "consent": True, "service": service}
    assert requests.post(f"{base}/api/v1/waiting-list", json=entry, headers=auth, timeout=10).status_code == 201
    starts = (runner_now(runner) + timedelta(days=2)).astimezone(timezone.utc).replace(second=0, microsecond=0)
    visit = {"patient": {"id": "P-late", "phone": "+48500000411"}, "starts_at": starts.isoformat(), "service": service}
    assert requests.put(f"{base}/api/v1/appointments/E2E-LATE", json=visit, headers=auth, timeout=10).status_code == 201
    assert requests.post(f"{base}/api/v1/appointments/E2E-LATE/outcome", json={"outcome": "cancelled"}, headers=auth,
                         timeout=10).status_code == 200
    wait_for(runner, phone, "Odpisz TAK lub NIE")
    [offer] = [m for m in phone_json(base, phone=phone, after=0)["messages"] if m["kind"] == "offer"]
    assert (offer["slot_external_id"], offer["slot_starts_at"]) == ("E2E-LATE", starts.strftime("%Y-%m-%dT%H:%M:%SZ"))
    events_before = requests.get(f"{base}/dev/events", params={"format": "json", "after": 0}, timeout=10).json()

    assert "OfferTimerFunction-rate(1 minute)" in move_clock(runner, advance_hours=3)["fired"]
    reply = requests.post(f"{base}/dev/phone/reply", json={"from": phone, "text": "TAK"}, timeout=30)

    assert reply.status_code == 200 and reply.json()["direction"] == "in"
    booked = wait_for(runner, phone, "umowiono wizyte")
    assert "zajal juz ktos inny" not in booked
    filled = events_of(base, "SlotFilled", after=events_before["next_after"])
    assert [(f["offer_id"], f["after_hold"]) for f in filled] == [(offer["offer_id"], True)]
    later = phone_json(base, phone=phone, after=offer["seq"])["messages"]
    assert [m["kind"] for m in later if m["direction"] == "out"] == ["booked"]
    assert later[-1]["runner_time"] >= offer["runner_time"] and later[-1]["wall_time"] >= offer["wall_time"]
