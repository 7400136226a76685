"""The reserve list on the local runner, as people see it: a visit is cancelled and within seconds
the offer is on the waiting patients' phones; one takes it by replying TAK, the other is told it
is gone; a second freed slot is taken through the offer's link."""
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

from tests.e2e.conftest import Forms, demo

pytestmark = pytest.mark.e2e
WARSAW = ZoneInfo("Europe/Warsaw")
SERVICE = "Poradnia neurologiczna"
WAITING = {"A": "+48500000201", "B": "+48500000202", "C": "+48500000203"}


def messages_to(runner, phone: str) -> list[str]:
    html = requests.get(f"{runner['base']}/dev/phone", timeout=10).text
    rows = re.findall(r"<tr class=out><td>[^<]*<br>→ to ([^<]+)</td><td><pre>(.*?)</pre>", html, flags=re.S)
    return [unescape(re.sub(r"<[^>]+>", "", text)) for to, text in rows if to.strip() == phone]  # links are <a>


def wait_for(runner, phone: str, text: str, timeout: float = 15.0, *, seen: int = 0) -> str:
    """The newest SMS to `phone` containing `text`, once more than `seen` such have arrived."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in messages_to(runner, phone) if text in m]
        if len(found) > seen:
            return found[0]
        time.sleep(0.1)
    pytest.fail(f"no SMS with {text!r} to {phone} within {timeout} s: {messages_to(runner, phone)}")


def runner_now(runner) -> datetime:
    return datetime.fromisoformat(requests.get(f"{runner['base']}/dev/clock", params={"format": "json"},
                                               timeout=5).json()["now"])


@pytest.fixture(scope="module")
def clinic(runner):
    """Given the runner's clock at 10:00 in Warsaw (sending hours) and three waiting patients."""
    base = runner["base"]
    auth = {"Authorization": f"Bearer {demo(runner)['api_key']}"}
    local = runner_now(runner).astimezone(WARSAW)
    if not 9 <= local.hour < 16:
        target = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), WARSAW) + timedelta(hours=10)
        minutes = int((target - local).total_seconds() // 60) + 1
        assert requests.post(f"{base}/dev/clock", json={"advance_minutes": minutes}, timeout=60).status_code == 200
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

    # Three hours ahead leaves little time: the plan offers it to two patients at once.
    wait_for(runner, WAITING["A"], "Odpowiedz TAK lub NIE")
    print(f"\nfreeing → first offer on the phone: {time.monotonic() - cancelled_at:.2f} s")
    wait_for(runner, WAITING["B"], "Odpowiedz TAK lub NIE")
    assert not [m for m in messages_to(runner, WAITING["C"]) if "zwolnil sie" in m]

    for phone, text in ((WAITING["B"], "TAK"), (WAITING["A"], "tak")):
        assert requests.post(f"{clinic['base']}/dev/phone/reply", data={"from": phone, "text": text},
                             allow_redirects=False, timeout=15).status_code == 303

    wait_for(runner, WAITING["B"], "umowiono wizyte")
    wait_for(runner, WAITING["A"], "zajal juz ktos inny")
    events = requests.get(f"{clinic['base']}/dev/events", params={"format": "json"}, timeout=5).json()
    assert "SlotFilled" in {e["detail-type"] for e in events}


def test_the_next_freed_slot_is_taken_through_the_offer_link(runner, clinic):
    free_a_slot(runner, clinic, "E2E-2", hours_ahead=4)
    # Four hours leave time for one patient at a time: the head of the list, A (who answered the
    # last offer, so is not cooling down), not C.
    offer_sms = wait_for(runner, WAITING["A"], "Odpowiedz TAK lub NIE", seen=1)
    link = re.search(r"https?://\S+/o/[A-Za-z0-9_-]{18}", offer_sms).group(0)

    page = requests.get(link, timeout=10)
    assert page.status_code == 200 and "Zwolnił się termin" in page.text
    accept = next(form for form in Forms(page.text).forms if form.get("action") == "accept")
    answer = requests.post(link, data=accept, allow_redirects=False, timeout=15)
    assert answer.status_code == 303

    assert "Termin jest Twój" in requests.get(link, timeout=10).text
    wait_for(runner, WAITING["A"], "umowiono wizyte")
    assert not [m for m in messages_to(runner, WAITING["C"]) if "zwolnil sie" in m]


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
