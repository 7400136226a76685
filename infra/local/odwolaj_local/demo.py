"""The demo data the runner seeds: one facility, its API key and a few visits in the coming days,
written to <local dir>/demo.json (ODWOLAJ_LOCAL_DIR, default ./.local) for people and tests."""
from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

from odwolaj.appointments import inputs, lifecycle
from odwolaj.appointments.reminders import SENDING_END, SENDING_START
from odwolaj.core.clock import WARSAW, now
from odwolaj.data.models import Facility
from odwolaj.payments.rules import save_facility_rules
from odwolaj.reserve import entries
from odwolaj.security.facilities import create_facility
from odwolaj.security.links import visit_link
from odwolaj_local import demo_console
from odwolaj_local.devpages import in_sending_hours

# (days ahead, hour in Warsaw, service, specialist); phones are +48 500 000 001…, a demo range.
# DEMO-1 (cancel it to see the reserve list) is two days ahead: cancelled at any hour, its slot is
# still worth offering after the clock is moved to the next morning's 8:00.
VISITS = [
    (2, 10, "Poradnia kardiologiczna", "dr Anna Nowak"),
    (2, 11, "Poradnia okulistyczna", "dr Piotr Zieliński"),
    (3, 13, "Poradnia dermatologiczna", "dr Ewa Wójcik"),
    (5, 15, "Poradnia ortopedyczna", "dr Marek Lewandowski"),
]


# Visits with this specialist must be prepaid (100 zł, within 2 hours of booking, at the latest
# 2 hours before the visit): book one to try the payment link and the local Stripe checkout.
PREPAID_SPECIALIST = "dr Jan Kowalski"
PAYMENT_RULES = {
    "mode": "none", "amount": 10000,
    "specialists": {PREPAID_SPECIALIST: {"mode": "mandatory", "kind": "full", "deadline": {
        "mode": "after_booking", "hours_after_booking": 2, "hours_before_visit": 2}}},
}


# The dashboard's late-cancellation threshold and the value of a visit (grosze), cardiology's own.
STATS_SETTINGS = {"late_cancellation_hours": 24, "visit_value": 15000,
                  "service_values": {"Poradnia kardiologiczna": 20000}}


def local_dir() -> Path:
    return Path(os.environ.get("ODWOLAJ_LOCAL_DIR", ".local"))


def _starts_at(days: int, hour: int) -> datetime:
    day = (now().astimezone(WARSAW) + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=WARSAW).astimezone(timezone.utc)


def seed(base_url: str) -> dict:
    created = create_facility("Przychodnia Demo", short_name="Demo", phone="+48 22 000 00 00",
                              address="ul. Przykładowa 1, Warszawa")
    facility_id = created.facility.facility_id
    save_facility_rules(facility_id, PAYMENT_RULES)
    visits = []
    for number, (days, hour, service, specialist) in enumerate(VISITS, start=1):
        phone = f"+48500000{number:03d}"
        data = inputs.AppointmentInput.from_payload({
            "patient": {"id": f"DEMO-P{number}", "phone": phone},
            "starts_at": _starts_at(days, hour).isoformat(),
            "service": service,
            "specialist": specialist,
            "location": "ul. Przykładowa 1, gab. 1" + str(number),
        })
        appointment = lifecycle.upsert(facility_id, f"DEMO-{number}", data).appointment
        visits.append({"external_id": f"DEMO-{number}", "cancel_link": visit_link(appointment.appointment_id),
                       "visit_code": appointment.visit_code, "phone": phone})
    # The console: a manager and reception, what the dashboard counts with, and weeks of history.
    Facility(facility_id).update(actions=[Facility.stats_settings.set(STATS_SETTINGS)])
    console = demo_console.seed_staff(facility_id)
    demo_console.seed_history(facility_id, [(service, specialist) for _, _, service, specialist in VISITS],
                              now().astimezone(WARSAW).date())
    return {"api_key": created.api_key, "facility_id": facility_id, "base_url": base_url, "appointments": visits,
            "prepaid_specialist": PREPAID_SPECIALIST, "waiting_list": _waiting(facility_id),
            "console": {"url": f"{base_url}/panel", **console}}


# Two patients waiting for cardiology (DEMO-1's service): cancel DEMO-1 and watch /dev/phone.
WAITING = [("DEMO-W1", "+48500000011", "pilny"), ("DEMO-W2", "+48500000012", "stabilny")]


def _waiting(facility_id: str) -> list[dict]:
    planned = (now().astimezone(WARSAW) + timedelta(days=90)).date().isoformat()
    listed = []
    for referral, phone, category in WAITING:
        entry = entries.join(facility_id, entries.EntryInput.from_payload({
            "referral": referral, "patient": {"id": referral, "phone": phone, "pesel": "44051401359"},
            "reason": "I20.8", "category": category, "planned_date": planned, "entered_by": "demo",
            "consent": True, "service": VISITS[0][2]}))
        listed.append({"entry_id": entry.entry_id, "phone": phone, "service": entry.service,
                       "category": category})
    return listed


def write(demo: dict) -> Path:
    directory = local_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "demo.json"
    path.write_text(json.dumps(demo, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def banner(demo: dict, path: Path) -> str:
    """What the runner prints: a developer's own fictional demo data, so links and key are shown."""
    base, key = demo["base_url"], demo["api_key"]
    starts = _starts_at(4, 10).isoformat()
    lines = [
        f"Odwołaj runs on {base}  (dev pages: {base}/dev)",
        f"Demo facility {demo['facility_id']}, API key: {key}",
        "Try the clinic API:",
        f"  curl -X PUT {base}/api/v1/appointments/HIS-42 -H 'Authorization: Bearer {key}' "
        f"-H 'Content-Type: application/json' -d '{{\"patient\": {{\"id\": \"P-42\", \"phone\": \"500 000 042\"}}, "
        f"\"starts_at\": \"{starts}\", \"service\": \"Poradnia kardiologiczna\"}}'",
        f"A visit with \"specialist\": \"{demo['prepaid_specialist']}\" must be prepaid: its payment link "
        "arrives in the phone view and opens the local Stripe checkout.",
        "Cancel links of the demo visits:",
        *(f"  {v['external_id']}: {v['cancel_link']}  (code {v['visit_code']}, phone {v['phone']})"
          for v in demo["appointments"]),
        "Waiting for cardiology (cancel DEMO-1, then see the offer in /dev/phone): "
        + ", ".join(f"{w['phone']} ({w['category']})" for w in demo.get("waiting_list", [])),
        f"Reminders and offers to the waiting list go out {SENDING_START:%H:%M}–{SENDING_END:%H:%M} Warsaw time; it is "
        f"{now().astimezone(WARSAW):%H:%M} there now."
        + ("" if in_sending_hours(now()) else
           f" Outside those hours {base}/dev has a button that moves the clock to the next {SENDING_START:%H:%M}."),
        *console_banner(demo.get("console")),
        f"All of it is in {path}",
    ]
    return "\n".join(lines)


def console_banner(console: dict | None) -> list[str]:
    if not console:
        return []
    manager, reception = console["manager"], console["reception"]
    return [
        f"Clinic console: {console['url']}",
        f"  manager:   {manager['email']}  password {manager['password']}",
        f"             TOTP secret {manager['totp_secret']}  (add it to an authenticator app, or print the current "
        f"code: python -m odwolaj_local.totp {manager['totp_secret']})",
        f"             {manager['otpauth_uri']}",
        f"  reception: {reception['email']}  password {reception['password']}  (no TOTP yet: offered at sign-in)",
    ]

