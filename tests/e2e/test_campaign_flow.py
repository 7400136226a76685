"""A reactivation campaign on the local runner, as docs/local.md walks through it: the demo history
is uploaded and imported, the consents posted, a campaign previewed and launched by the manager;
messages reach /dev/phone only in working hours and never the control group; a STOP, a TAK, a
slot taken on the page; the clock moves 14 days and the follow-up comes; the result is computed."""
from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests

from odwolaj.core.workdays import in_window, is_working_day
from tests.e2e.conftest import Forms, demo, move_clock, runner_now

pytestmark = pytest.mark.e2e
WARSAW = ZoneInfo("Europe/Warsaw")
CAMPAIGN = "reactivation"  # what a campaign SMS links to: /r/


def advance_to(runner, target: datetime) -> None:
    minutes = int((target - runner_now(runner)).total_seconds() // 60) + 1
    assert minutes > 0
    move_clock(runner, advance_minutes=minutes)


def next_working(runner, hour: int, minute: int = 0, *, days: int = 1) -> datetime:
    """hour:minute Warsaw time on the first working day at least `days` after the runner's today."""
    day = runner_now(runner).astimezone(WARSAW).date() + timedelta(days=days)
    while not is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, datetime.min.time(), WARSAW) + timedelta(hours=hour, minutes=minute)


def campaign_sms(runner) -> list[tuple[str, str]]:
    """(phone, text) of every SMS with a campaign link, oldest first."""
    messages = requests.get(f"{runner['base']}/dev/phone", params={"format": "json"}, timeout=10).json()
    return [(m["phone"], m["text"]) for m in reversed(messages) if m["direction"] == "out" and "/r/" in m["text"]]


def reach(runner, expected: int, timeout: float = 300.0) -> list[tuple[str, str]]:
    """The campaign SMS once there are `expected` of them (then a moment more: no extra may come)."""
    deadline = time.monotonic() + timeout
    while len(found := campaign_sms(runner)) < expected:
        assert time.monotonic() < deadline, f"{len(found)} of {expected} campaign SMS within {timeout} s"
        time.sleep(0.5)
    time.sleep(3)
    return campaign_sms(runner)


@pytest.fixture(scope="module")
def clinic(runner):
    info = demo(runner)
    base = runner["base"]
    return {"base": base, "key": {"Authorization": f"Bearer {info['api_key']}"},
            "manager": {"Authorization": f"Bearer {info['campaigns']['manager_key']}"}, "demo": info}


def test_a_campaign_from_the_demo_history_to_its_result(runner, clinic):
    base, key, manager, info = clinic["base"], clinic["key"], clinic["manager"], clinic["demo"]

    # The demo history, uploaded as a file and imported in the background; the consents posted.
    opened = requests.post(f"{base}/api/v1/imports", json={"kind": "history", "format": "ndjson"}, headers=key,
                           timeout=10).json()
    upload = requests.put(opened["upload"]["url"], data=Path(info["campaigns"]["history_file"]).read_bytes(),
                          timeout=30)
    assert upload.status_code == 200
    deadline = time.monotonic() + 120
    while (imported := requests.get(f"{base}/api/v1/imports/{opened['import_id']}", headers=key,
                                    timeout=10).json())["status"] != "done":
        assert time.monotonic() < deadline, imported
        time.sleep(0.5)
    assert imported["accepted"] == info["campaigns"]["history_records"] and imported["rejected"] == 0
    consents = requests.post(f"{base}/api/v1/consents", data=Path(info["campaigns"]["consents_file"]).read_bytes(),
                             headers={**key, "Content-Type": "text/csv"}, timeout=60).json()
    assert consents["rejected"] == 0
    assert requests.put(f"{base}/api/v1/campaign-settings", json={"rate_per_minute": 600}, headers=key,
                        timeout=10).status_code == 200

    # Evening: the campaign is previewed and launched, but nothing goes out before 9:00.
    advance_to(runner, next_working(runner, 19, 30))
    draft = requests.post(f"{base}/api/v1/campaigns", json={"name": "Wracamy do zdrowia", "purpose": "marketing",
                                                            "inactive_months_min": 12, "specialties": ["Kardiologia"]},
                          headers=key, timeout=10)
    campaign_id = draft.json()["campaign_id"]
    preview = requests.get(f"{base}/api/v1/campaigns/{campaign_id}/preview", headers=key, timeout=30).json()
    assert sum(b["eligible"] for b in preview["bands"].values()) == preview["eligible"] > 40  # a quarter of 300
    assert preview["excluded"]["no_consent"] > 0 and preview["excluded"]["visit_booked"] > 0
    assert preview["excluded"]["deceased_or_struck_off"] > 0
    assert requests.post(f"{base}/api/v1/campaigns/{campaign_id}/launch", json={}, headers=key,
                         timeout=30).status_code == 403
    confirmation = requests.post(f"{base}/api/v1/campaigns/{campaign_id}/launch", json={}, headers=manager,
                                 timeout=30).json()["error"]["confirmation"]
    assert confirmation["numbers"]["to_message"] == preview["to_message"]
    launched = requests.post(f"{base}/api/v1/campaigns/{campaign_id}/launch", json={"confirm": confirmation["token"]},
                             headers=manager, timeout=30)
    assert launched.status_code == 202
    deadline = time.monotonic() + 60
    while requests.get(f"{base}/api/v1/campaigns/{campaign_id}", headers=key, timeout=30).json()["status"] != "sending":
        assert time.monotonic() < deadline
        time.sleep(0.5)
    advance_to(runner, next_working(runner, 8, 55, days=1))
    time.sleep(5)
    assert campaign_sms(runner) == [], "messages before 9:00"

    # 9:01: the messages arrive, one per patient to message, none to the control group.
    advance_to(runner, next_working(runner, 9, 1, days=0))
    first_at = runner_now(runner)
    assert in_window(first_at)
    sent = preview["to_message"]
    phones = [phone for phone, _ in reach(runner, sent)]
    assert len(phones) == sent
    assert len(set(phones)) == len(phones)
    result = requests.get(f"{base}/api/v1/campaigns/{campaign_id}", headers=key, timeout=30).json()["result"]
    assert result["bands"]["all"]["control"]["members"] == preview["control"] > 0

    # Answers: STOP from one, TAK from another, a slot taken on the page by a third.
    (stop_phone, _), (tak_phone, _), (page_phone, page_text) = campaign_sms(runner)[:3]
    for phone, text in ((stop_phone, "STOP"), (tak_phone, "Tak")):
        assert requests.post(f"{base}/dev/phone/reply", data={"from": phone, "text": text}, timeout=30,
                             allow_redirects=False).status_code == 303
    link = re.search(r"https?://\S+/r/\S+", page_text).group(0)
    path = "/r/" + link.rsplit("/r/", 1)[1]
    shown = requests.get(f"{base}{path}", timeout=10).text
    assert "Wolne terminy" in shown
    take = next(f for f in Forms(shown).forms if f.get("action") == "take")
    taken = requests.post(f"{base}{path}", data=take, timeout=30, allow_redirects=False)
    assert taken.headers["location"].endswith("done=booked")
    assert "Wizyta jest umówiona" in requests.get(f"{base}{path}", timeout=10).text
    deadline = time.monotonic() + 30
    while (responses := sorted(e["detail"]["data"]["response"] for e in requests.get(
            f"{base}/dev/events", params={"format": "json"}, timeout=10).json()
            if e["detail-type"] == "ReactivationResponse")) != ["booked", "callback", "opted_out"]:
        assert time.monotonic() < deadline, responses  # events reach the bus through the outbox stream
        time.sleep(0.5)
    listed = requests.get(f"{base}/api/v1/campaign-responses", headers=key, timeout=10).json()["responses"]
    assert sorted(r["response"] for r in listed) == ["booked", "callback"]
    to_stopped = requests.get(f"{base}/dev/phone", timeout=10).text
    assert "nie bedziemy wysylac zaproszen" in to_stopped

    # 14 days on: one follow-up to whoever did not answer; nothing to the three who did.
    advance_to(runner, next_working(runner, 10, 0, days=14))
    later = reach(runner, 2 * sent - 3)[sent:]
    follow_ups = [phone for phone, text in later if "przypominamy" in text]
    assert len(follow_ups) == len(later) == sent - 3
    assert not {stop_phone, tak_phone, page_phone} & set(follow_ups)
    assert max(phones.count(p) + follow_ups.count(p) for p in set(phones)) == 2

    # The result: the control group, never messaged, against the messaged; the booking counted.
    shown = requests.get(f"{base}/api/v1/campaigns/{campaign_id}", headers=key, timeout=30).json()["result"]["bands"]
    assert shown["all"]["messaged"]["booked_30d"] >= 1
    assert shown["all"]["messaged"]["follow_ups"] == len(follow_ups)
    assert "ci95" in shown["all"]["difference_30d"]
