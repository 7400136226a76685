"""On the local runner, as docs/console.md tells a manager: change a specialist's prepayment rule in
the console, then book through the clinic API and see the rule applied (the booking awaits
payment, for the amount and by the deadline set); then import the example CSV of visits and read
its per-row report; importing it again changes nothing."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.e2e.conftest import REPO, demo
from tests.e2e.test_console_month import sign_in

pytestmark = pytest.mark.e2e
WARSAW = ZoneInfo("Europe/Warsaw")
SPECIALIST = "dr Ewa Wójcik"  # a demo specialist without rules of her own
EXAMPLE_CSV = REPO / "docs" / "examples" / "wizyty.csv"


def csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def book(base: str, key: str, external_id: str, starts_at: datetime) -> dict:
    answer = requests.put(f"{base}/api/v1/appointments/{external_id}", headers={"Authorization": f"Bearer {key}"},
                          timeout=30, json={"patient": {"id": f"P-{external_id}", "phone": "+48500009001"},
                                            "starts_at": starts_at.isoformat(), "service": "Poradnia dermatologiczna",
                                            "specialist": SPECIALIST})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_a_specialist_s_rule_changed_in_the_console_applies_to_the_next_booking(runner):
    base, facts = runner["base"], demo(runner)
    starts_at = datetime.combine(datetime.now(WARSAW).date() + timedelta(days=5), time(11, 0), WARSAW)
    assert book(base, facts["api_key"], "E2E-BEFORE", starts_at)["status"] == "booked"
    cookies = sign_in(base, facts["console"]["manager"])
    page = requests.get(f"{base}/panel/ustawienia/przedplaty/specjalista", params={"kto": SPECIALIST},
                        cookies=cookies, timeout=30)
    assert page.status_code == 200 and "jak w całej przychodni" in page.text

    saved = requests.post(f"{base}/panel/ustawienia/przedplaty/specjalista", cookies=cookies, allow_redirects=False,
                          timeout=30, data={"csrf": csrf(page.text), "specialist": SPECIALIST, "action": "save",
                                            "mode": "mandatory", "kind": "deposit", "amount": "45,50",
                                            "own_deadline": "tak", "deadline_mode": "before_visit",
                                            "deadline_hours_before_visit": "24"})
    assert saved.status_code == 303 and saved.headers["location"].endswith("ok=zapisano")

    after = book(base, facts["api_key"], "E2E-AFTER", starts_at)
    assert after["status"] == "awaiting_payment"
    assert (after["payment"]["mode"], after["payment"]["amount"], after["payment"]["kind"]) == (
        "mandatory", 4550, "deposit")
    assert datetime.fromisoformat(after["payment"]["deadline"]) == starts_at - timedelta(hours=24)
    log = requests.get(f"{base}/panel/dziennik", cookies=cookies, timeout=30).text
    assert "zmiana ustawień" in log and "przedpłaty" in log


def _upload(base: str, cookies: dict, token: str, action: str, **files) -> requests.Response:
    return requests.post(f"{base}/panel/wizyty/import", cookies=cookies, allow_redirects=False, timeout=60,
                         data={"csrf": token, "action": action}, files=files or {"nic": ("", b"")})


def test_the_example_csv_is_planned_imported_and_reported_and_a_second_import_changes_nothing(runner):
    base, facts = runner["base"], demo(runner)
    cookies = sign_in(base, facts["console"]["manager"])
    token = csrf(requests.get(f"{base}/panel/wizyty/import", cookies=cookies, timeout=30).text)
    content = EXAMPLE_CSV.read_bytes()

    preview = _upload(base, cookies, token, "podglad", plik=("wizyty.csv", content, "text/csv"))
    assert preview.status_code == 200 and "zostanie dodana" in preview.text and "Importuj (" in preview.text
    done = _upload(base, cookies, token, "importuj", plik=("wizyty.csv", content, "text/csv"))
    assert done.status_code == 303
    report = requests.get(f"{base}{done.headers['location']}", cookies=cookies, timeout=30).text
    assert "Import wizyt: raport" in report and "dodana" in report
    assert "Nieprawidłowy numer telefonu" in report and "Powtórzenie wiersza" in report

    again = _upload(base, cookies, token, "importuj", plik=("wizyty.csv", content, "text/csv"))
    second = requests.get(f"{base}{again.headers['location']}", cookies=cookies, timeout=30).text
    assert "<td>dodana</td>" not in second and "już była, bez zmian" in second
