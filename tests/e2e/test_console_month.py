"""A scripted month of one clinic service on the local runner, then its dashboard and
GET /api/v1/stats checked, figure by figure, against what the script did.

The script books 24 visits and 2 that must be prepaid, over four weeks; cancels on the visit page,
by an SMS reply to the 7-day reminder, at reception and by letting a payment lapse, at lead times
from 5 hours to 11 days; takes a freed slot through the waiting list (the first patient declines
the offer, the second takes it); pays one visit through the Stripe stand-in; confirms three visits
by TAK; and records attendance and no-shows as the days pass. Every event reaches the statistics
through the real outbox, bus rule and consumer. The manager signs in with TOTP and downloads the
dashboard's tables; they and the API must say what the script knows.
"""
from __future__ import annotations

import io
import json
import re
import time
from datetime import date, datetime, time as clock_time, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from openpyxl import load_workbook

from odwolaj_local.cognito import totp_code
from tests.e2e.conftest import Forms, demo, move_clock, runner_now

pytestmark = pytest.mark.e2e
WARSAW = ZoneInfo("Europe/Warsaw")
SERVICE, SPECIALIST = "Poradnia e2e", "dr Ewa Testowa"
VISITS = 24  # V0…V23 at 11:00 on their days
# V0 day 2: its slot goes to the waiting list (page, 2 days ahead); V1 day 3: reception, 47 h ahead;
# V2 day 4: the page at 6:00, 5 h ahead (late); V3 day 12: SMS NIE to its 7-day reminder; V4 day 6:
# the page, 6 days ahead; V5 day 15: the page, 15 days ahead. The others on days 7-11, 13, 14, 16-26.
CANCELLED_DAYS = {0: 2, 1: 3, 2: 4, 3: 12, 4: 6, 5: 15}
OTHER_DAYS = [7, 8, 9, 10, 11, 13, 14, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26]
VISIT_DAY = {**CANCELLED_DAYS, **{6 + i: day for i, day in enumerate(OTHER_DAYS)}}
CANCELLED = set(CANCELLED_DAYS)
NO_SHOWS, UNRECORDED = {9, 10}, {11}
CONFIRMED_BY_TAK = {6: 6, 7: 7, 8: 8}  # visit (days 7, 8, 9) → the day of its 1-day reminder and the TAK


def visit_on(day: int) -> int | None:
    return next((n for n, d in VISIT_DAY.items() if d == day), None)


def phone(n: int) -> str:
    return f"+48500001{n:03d}"


class Script:
    def __init__(self, runner):
        self.runner, self.base = runner, runner["base"]
        self.auth = {"Authorization": f"Bearer {demo(runner)['api_key']}"}
        self.demo = demo(runner)
        self.day0: date | None = None

    # -- the runner -----------------------------------------------------------------------------
    def now(self) -> datetime:
        return runner_now(self.runner)

    def at(self, day: int, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(self.day0 + timedelta(days=day), clock_time(hour, minute), WARSAW)

    def advance_to(self, moment: datetime) -> None:
        minutes = (moment - self.now()).total_seconds() / 60
        if minutes > 0:
            move_clock(self.runner, advance_minutes=round(minutes, 3))
        time.sleep(0.5)  # the streams and the bus rule poll several times a second

    def texts_to(self, number: str) -> list[str]:
        messages = requests.get(f"{self.base}/dev/phone", params={"format": "json", "phone": number}, timeout=10).json()
        return [m["text"] for m in messages if m["direction"] == "out"]

    def wait_for_sms(self, number: str, fragment: str, *, seen: int = 0, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [t for t in self.texts_to(number) if fragment in t]
            if len(found) > seen:
                return found[0]
            time.sleep(0.2)
        pytest.fail(f"no SMS with {fragment!r} to {number}: {self.texts_to(number)}")

    def events(self, detail_type: str) -> list[dict]:
        found = requests.get(f"{self.base}/dev/events", params={"format": "json"}, timeout=10).json()
        return [e for e in found if e["detail-type"] == detail_type]

    def wait_for_reminder(self, external_id: str, count: int, timeout: float = 30) -> None:
        """Until `count` reminders of the visit have reached the provider (ReminderSent on the bus)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sum(1 for e in self.events("ReminderSent")
                   if e["detail"]["data"]["external_id"] == external_id) >= count:
                return
            time.sleep(0.3)
        pytest.fail(f"{external_id}: not {count} reminder(s) within {timeout} s")

    def wait_for_status(self, path: str, status: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.api("GET", path).json()
            if found.get("status") == status:
                return found
            time.sleep(0.3)
        pytest.fail(f"{path} did not become {status}: {found}")

    def reply(self, number: str, text: str) -> None:
        answer = requests.post(f"{self.base}/dev/phone/reply", data={"from": number, "text": text},
                               allow_redirects=False, timeout=30)
        assert answer.status_code == 303, answer.text

    # -- the clinic -----------------------------------------------------------------------------
    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, f"{self.base}/api/v1/{path}", headers=self.auth, timeout=30, **kwargs)

    def book(self, external_id: str, day: int, number: str, specialist: str = SPECIALIST) -> dict:
        body = {"patient": {"id": f"P-{external_id}", "phone": number},
                "starts_at": self.at(day, 11).isoformat(), "service": SERVICE, "specialist": specialist}
        answer = self.api("PUT", f"appointments/{external_id}", json=body)
        assert answer.status_code == 201, answer.text
        return answer.json()

    def outcome(self, external_id: str, outcome: str, reason: str | None = None) -> None:
        body = {"outcome": outcome, **({"reason": reason} if reason else {})}
        answer = self.api("POST", f"appointments/{external_id}/outcome", json=body)
        assert answer.status_code == 200, answer.text

    def cancel_on_the_page(self, link: str, reason: str) -> None:
        page = requests.get(link, params={"step": "cancel"}, timeout=10)  # the visit page's "Odwołuję wizytę"
        [form] = [f for f in Forms(page.text).forms if f.get("action") == "cancel"]
        answer = requests.post(link, data={**form, "reason": reason}, allow_redirects=False, timeout=30)
        assert answer.status_code == 303, answer.text


def sign_in(base: str, console: dict) -> dict:
    """The manager's session cookie (requests keeps no Secure cookie over http: passed by hand)."""
    page = requests.get(f"{base}/panel/logowanie", timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    answer = requests.post(f"{base}/panel/logowanie", allow_redirects=False, timeout=30,
                           data={"csrf": csrf, "email": console["email"], "password": console["password"]})
    pending = {"__Host-odwolaj-logowanie": answer.cookies.get("__Host-odwolaj-logowanie") or
               re.search(r"__Host-odwolaj-logowanie=([^;]+)", answer.headers["set-cookie"]).group(1)}
    page = requests.get(f"{base}/panel/kod", cookies=pending, timeout=10)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    answer = requests.post(f"{base}/panel/kod", cookies=pending, allow_redirects=False, timeout=30,
                           data={"csrf": csrf, "code": totp_code(console["totp_secret"])})
    assert answer.headers["location"] == "/panel"
    return {"__Host-odwolaj-panel": re.search(r"__Host-odwolaj-panel=([^;]+)", answer.headers["set-cookie"]).group(1)}


@pytest.fixture(scope="module")
def month(runner):
    """Given the scripted month played on the runner; returns (script, facts measured on the way)."""
    s = Script(runner)
    now = s.now().astimezone(WARSAW)
    s.day0 = now.date() + timedelta(days=1)
    s.advance_to(s.at(0, 9))
    facts: dict = {}
    visits = {n: s.book(f"E2E-{n}", VISIT_DAY[n], phone(n)) for n in range(VISITS)}

    # The waiting list takes V0's slot: the urgent patient declines, the stable one takes it.
    planned = (s.day0 + timedelta(days=90)).isoformat()
    for name, category, number in (("W1", "pilny", phone(201)), ("W2", "stabilny", phone(202))):
        entry = {"referral": f"E2E-{name}", "patient": {"id": name, "phone": number, "pesel": "44051401359"},
                 "reason": "I10", "category": category, "planned_date": planned, "entered_by": "e2e",
                 "consent": True, "service": SERVICE}
        answer = s.api("POST", "waiting-list", json=entry)
        assert answer.status_code == 201, answer.text
        facts[name] = answer.json()["entry_id"]
    freed_at = s.now()
    s.cancel_on_the_page(visits[0]["cancel_link"], "need_other_date")
    s.wait_for_sms(phone(201), "/o/")
    time.sleep(2)  # the SMS is on the phone a moment before its sender has noted that it awaits a reply
    s.reply(phone(201), "NIE")
    s.wait_for_sms(phone(202), "/o/")
    time.sleep(2)
    s.reply(phone(202), "TAK")
    filled_at = s.now()
    facts["minutes_to_fill"] = (filled_at - freed_at).total_seconds() / 60
    s.wait_for_status(f"waiting-list/{facts['W2']}", "served")
    assert s.api("POST", f"waiting-list/{facts['W1']}/strike-off",
                 json={"reason": "patient_resigned"}).status_code == 200

    # Cancellations now, on the visit page: 6 days and 13 days ahead.
    s.cancel_on_the_page(visits[4]["cancel_link"], "feel_better")  # V4, day 6
    s.cancel_on_the_page(visits[5]["cancel_link"], "cannot_attend")  # V5, day 15
    # Two prepaid visits (the demo's prepaid specialist): one paid, one left to lapse.
    for n, day in ((300, 9), (301, 11)):
        assert s.book(f"E2E-P{n}", day, phone(n), specialist=s.demo["prepaid_specialist"])["status"] == \
            "awaiting_payment"
    link = re.search(r"https?://\S+/p/[\w-]{18}", s.wait_for_sms(phone(300), "/p/")).group(0)
    checkout = requests.get(link, allow_redirects=False, timeout=10).headers["Location"]
    assert requests.post(f"{checkout}/pay", allow_redirects=False, timeout=60).status_code in (302, 303)
    s.wait_for_status("appointments/E2E-P300", "confirmed")

    # The days pass; each noon the sweeps have run (reminders, the payment deadline).
    for day in range(1, 27):
        if day == 4:  # V2 (today 11:00) cancelled at 6:00: a late cancellation
            s.advance_to(s.at(4, 6))
            s.cancel_on_the_page(visits[2]["cancel_link"], "other")
        s.advance_to(s.at(day, 12))
        if day == 1:
            s.outcome("E2E-1", "cancelled", reason="cannot_attend")  # V1 (day 3) at reception, 47 h ahead
        if day == 5:  # V3 (day 12): NIE to its 7-day reminder
            s.wait_for_reminder("E2E-3", 1)
            s.reply(phone(3), "NIE")
            s.wait_for_status("appointments/E2E-3", "cancelled")
        for visit, reminder_day in CONFIRMED_BY_TAK.items():
            if day == reminder_day:
                s.wait_for_reminder(f"E2E-{visit}", 2)
                s.reply(phone(visit), "TAK")
                s.wait_for_status(f"appointments/E2E-{visit}", "confirmed")
        n = visit_on(day)
        if n is not None and n not in CANCELLED and n not in UNRECORDED:
            s.outcome(f"E2E-{n}", "no_show" if n in NO_SHOWS else "attended")
        if day == 2:  # the visit the waiting list filled, at V0's time
            [taken] = [a for a in s.api("GET", "appointments", params={
                "from": s.at(2, 0).isoformat(), "to": s.at(2, 23).isoformat()}).json()["appointments"]
                if a["external_id"].startswith("reserve-")]
            s.outcome(taken["external_id"], "attended")
        if day == 9:
            s.outcome("E2E-P300", "attended")
    expired = s.api("GET", "appointments/E2E-P301").json()
    assert (expired["status"], expired["cancellation"]["channel"]) == ("cancelled", "payment_expired")
    facts["expired_lead_minutes"] = expired["cancellation"]["lead_time_minutes"]
    return s, facts


def stats(s: Script) -> dict:
    query = {"from": s.day0.isoformat(), "to": (s.day0 + timedelta(days=27)).isoformat(), "service": SERVICE}
    answer = s.api("GET", "stats", params=query)
    assert answer.status_code == 200, answer.text
    return answer.json()


def settled(s: Script, timeout: float = 60) -> dict:
    """The figures once the last events have been counted (they stop changing)."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        current = stats(s)
        if current == last and current["attended"] == 17:
            return current
        last = current
        time.sleep(1.5)
    return last


def reminders_sent(s: Script) -> int:
    events = requests.get(f"{s.base}/dev/events", params={"format": "json"}, timeout=10).json()
    return sum(1 for e in events if e["detail-type"] == "ReminderSent" and e["detail"]["data"]["service"] == SERVICE)


def truth(facts: dict, reminders: int) -> dict:
    minutes = round(facts["minutes_to_fill"], 1)
    return {
        "visits_booked": 27, "cancellations": 7, "visits_due": 20, "attended": 17, "no_shows": 2,
        "no_show_rate": 0.1, "outcome_not_recorded": 1, "upcoming": 0, "reinstated": 0,
        "late_cancellations": 1, "late_cancellation_rate": round(1 / 27, 4),
        "cancellations_by_channel": {"web": 4, "sms": 1, "email": 0, "clinic_api": 0, "reception": 1,
                                     "payment_expired": 1},
        "cancellations_by_reason": {"cannot_attend": 2, "feel_better": 1, "need_other_date": 1, "not_given": 1,
                                    "other": 1, "unpaid": 1},
        "cancellation_lead_time": {"under_2h": 0, "2_24h": 1, "1_3d": 2, "3_7d": 2, "over_7d": 2},
        "reminders_sent": reminders, "confirmed": 4, "confirmation_rate": 0.2, "opt_outs": 0,
        "slots_freed": 7, "slots_offered": 1, "slots_filled": 1, "fill_rate": round(1 / 7, 4),
        "offers_sent": 2, "offers_accepted": 1, "offers_per_fill": 2.0, "visits_recovered": 1,
        "recovered_value": 15000, "median_minutes_to_fill": minutes, "p90_minutes_to_fill": minutes,
        "fill_by_lead_time": {"under_24h": {"freed": 1, "offered": 0, "filled": 0, "fill_rate": 0.0},
                              "1_3d": {"freed": 2, "offered": 1, "filled": 1, "fill_rate": 0.5},
                              "3_7d": {"freed": 2, "offered": 0, "filled": 0, "fill_rate": 0.0},
                              "over_7d": {"freed": 2, "offered": 0, "filled": 0, "fill_rate": 0.0}},
        "payments": {"requested": {"count": 2, "amount": 20000}, "paid": {"count": 1, "amount": 10000},
                     "expired": {"count": 1, "amount": 10000}, "refunded": {"count": 0, "amount": 0}},
        "waiting_list": {"waiting_now": {"entitled": 0, "pilny": 0, "stabilny": 0, "total": 0},
                         "joined": {"entitled": 0, "pilny": 1, "stabilny": 1},
                         "struck_off": {"no_show": 0, "service_performed": 0, "provider_stopped": 0,
                                        "patient_resigned": 1},
                         "left_with_visit": 1, "average_wait_days": 0.0},
    }


def test_the_api_gives_the_month_the_script_played(month):
    s, facts = month
    assert facts["expired_lead_minutes"] > 7 * 1440  # booked 11 days ahead, lapsed 2 hours later
    found = settled(s)
    expected = truth(facts, reminders_sent(s))
    assert expected["reminders_sent"] >= 30  # 7-day and 1-day reminders of the visits not cancelled before
    for key in ("median_minutes_to_fill", "p90_minutes_to_fill"):
        assert abs(found.pop(key) - expected.pop(key)) <= 0.3, key
    assert {k: found[k] for k in expected} == expected
    assert sum(w["visits_booked"] for w in found["weeks"]) == 27
    assert sum(w["cancellations"] for w in found["weeks"]) == 7


def test_the_dashboard_says_the_same_to_the_manager(month):
    s, facts = month
    found = settled(s)
    cookies = sign_in(s.base, s.demo["console"]["manager"])
    query = {"od": s.day0.isoformat(), "do": (s.day0 + timedelta(days=27)).isoformat(),
             "zakres": "s:Poradnia%20e2e"}
    page = requests.get(f"{s.base}/panel", params=query, cookies=cookies, timeout=30)
    assert page.status_code == 200 and "Poradnia e2e" in page.text
    tiles = dict(re.findall(r'<span class="label">([^<]+)</span><span class="value">([^<]+)</span>', page.text))
    assert (tiles["Wizyty do odbycia"], tiles["Odbyte"], tiles["Odwołania"]) == ("20", "17", "7")
    assert tiles["Odsetek nieobecności"] == "10,0\u00a0%" and tiles["Odzyskane wizyty"] == "1"
    assert tiles["Wartość odzyskanych wizyt"] == "150,00\u00a0zł"

    workbook = requests.get(f"{s.base}/panel/eksport/wszystko.xlsx", params=query, cookies=cookies, timeout=30)
    book = load_workbook(io.BytesIO(workbook.content))

    def rows(sheet: str) -> dict:
        return {r[0]: r[1:] for r in book[sheet].iter_rows(min_row=5, values_only=True) if r[0]}

    visits = rows("wizyty")
    assert [visits[label][0] for label in ("Wizyty zapisane na okres", "Wizyty do odbycia", "Odbyte",
                                           "Nieobecności", "Odwołania", "Późne odwołania")] == [27, 20, 17, 2, 7, 1]
    assert visits["Odsetek nieobecności"][0] == pytest.approx(0.1)
    assert {k: v[0] for k, v in rows("kanaly").items()} == {
        "strona wizyty": 4, "SMS": 1, "e-mail": 0, "system przychodni": 0, "rejestracja": 1, "brak przedpłaty": 1}
    assert {k: v[0] for k, v in rows("wyprzedzenie").items()} == {
        "poniżej 2 godzin": 0, "2–24 godziny": 1, "1–3 dni": 2, "3–7 dni": 2, "7 dni i więcej": 2}
    assert [v[0] for v in rows("lejek").values()] == [7, 1, 1]
    assert rows("przypomnienia")["Wysłane przypomnienia"][0] == found["reminders_sent"]
    assert rows("przypomnienia")["Potwierdzone przez pacjenta"][0] == 4
    payments = rows("przedplaty")
    assert payments["wpłacone"] == (1, 100.0) and payments["wygasłe (nieopłacone w terminie)"] == (1, 100.0)
    assert rows("skreslenia")["rezygnacja pacjenta"][0] == 1
    assert rows("oczekiwanie")["Otrzymali wizytę"][0] == 1
    assert sum(r[0] for r in rows("tygodnie").values()) == 27  # every week's bookings add up
    # and the HTML shows the API's every headline figure for the same period
    api_page = json.dumps(found)
    assert f'"visits_due": {found["visits_due"]}' in api_page
