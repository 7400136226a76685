"""The demo data the runner seeds: one facility, its API key and a few visits in the coming days,
written to <local dir>/demo.json (ODWOLAJ_LOCAL_DIR, default ./.local) for people and tests; and,
for campaigns, a manager's key, three open slots, and a visit history of a few hundred lapsed
patients with their consents as files to import (demo-history.ndjson, demo-consents.csv)."""
from __future__ import annotations

import json
import os
import random
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from odwolaj.appointments import inputs, lifecycle
from odwolaj.appointments.reminders import SENDING_END, SENDING_START
from odwolaj.campaigns import slots
from odwolaj.core.clock import WARSAW, now
from odwolaj.data.models import Facility
from odwolaj.payments.rules import save_facility_rules
from odwolaj.reserve import entries
from odwolaj.security.facilities import CAMPAIGNS_LAUNCH, create_facility, issue_api_key
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
    board = _board(facility_id)
    return {"api_key": created.api_key, "facility_id": facility_id, "base_url": base_url, "appointments": visits,
            "board": board,
            "prepaid_specialist": PREPAID_SPECIALIST, "waiting_list": _waiting(facility_id),
            "console": {"url": f"{base_url}/panel", **console}, "campaigns": _campaigns(facility_id)}


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


# The console's "Dziś i jutro" board: a visit about to start (mark it attended), one confirmed for
# tomorrow, and one cancelled by SMS for tomorrow, whose freed slot shows on the board. Services
# without a waiting list, so the cardiology entries above wait for DEMO-1's slot.
BOARD = [("DEMO-D1", "Poradnia okulistyczna", "dr Piotr Zieliński", None),
         ("DEMO-D2", "Poradnia dermatologiczna", "dr Ewa Wójcik", "confirm"),
         ("DEMO-D3", "Poradnia dermatologiczna", "dr Ewa Wójcik", "cancel")]


def _board(facility_id: str) -> list[str]:
    local = now().astimezone(WARSAW)
    # "about to start", but still today: started just before midnight, it stays on today's board
    soon = min(local + timedelta(minutes=20), local.replace(hour=23, minute=55))
    tomorrow = (local + timedelta(days=1)).date()
    times = [soon.replace(minute=soon.minute - soon.minute % 5, second=0, microsecond=0),
             datetime(tomorrow.year, tomorrow.month, tomorrow.day, 9, tzinfo=WARSAW),
             datetime(tomorrow.year, tomorrow.month, tomorrow.day, 12, tzinfo=WARSAW)]
    for number, ((external_id, service, specialist, then), starts) in enumerate(zip(BOARD, times), start=21):
        data = inputs.AppointmentInput.from_payload({
            "patient": {"id": f"DEMO-P{number}", "phone": f"+48500000{number:03d}"},
            "starts_at": starts.isoformat(), "service": service, "specialist": specialist})
        appointment = lifecycle.upsert(facility_id, external_id, data).appointment
        if then == "confirm":
            lifecycle.confirm(appointment, channel="sms")
        elif then == "cancel":
            lifecycle.cancel(appointment, channel="sms", reason="not_given")
    return [external_id for external_id, *_ in BOARD]


# Lapsed patients for a reactivation campaign: phones +48 500 100 000 onwards, a demo range.
LAPSED = 300
SPECIALTIES = ("kardiologia", "dermatologia", "okulistyka", "ortopedia")


def _lapsed_rows(today: date) -> tuple[list[dict], list[str]]:
    """A visit history (NDJSON records) and consents (CSV lines) of LAPSED patients whose last
    visit was 12 to 36 months ago; one in eight has no marketing consent, one in twenty a visit
    booked ahead, one in fifty has died."""
    rng = random.Random(16)
    history, consents = [], ["patient_id,purpose,granted,at"]
    for number in range(LAPSED):
        patient = {"patient_id": f"DEMO-R{number:03d}", "phone": f"+48500100{number:03d}",
                   "birth_year": rng.randint(1940, 2000)}
        last = today - timedelta(days=rng.randint(370, 1095))
        specialty = SPECIALTIES[number % len(SPECIALTIES)]
        earlier = (last - timedelta(days=400)).isoformat()
        history.append({**patient, "visit_id": f"DEMO-V{number:03d}-1", "date": earlier, "specialty": specialty,
                        "outcome": "attended"})
        history.append({**patient, "visit_id": f"DEMO-V{number:03d}-2", "date": last.isoformat(),
                        "specialty": specialty, "outcome": "attended"})
        if number % 19 == 7:
            history.append({**patient, "visit_id": f"DEMO-V{number:03d}-3", "outcome": "booked",
                            "date": (today + timedelta(days=20)).isoformat(), "specialty": specialty})
        if number % 47 == 9:
            history.append({"patient_id": patient["patient_id"], "patient_status": "deceased"})
        if number % 7 != 3:
            consents.append(f"{patient['patient_id']},marketing_sms,true,2024-05-01")
        consents.append(f"{patient['patient_id']},care,true,2024-05-01")
    return history, consents


def _campaigns(facility_id: str) -> dict:
    """A manager's key (campaigns:launch), three open slots the campaign page offers, and the
    history and consents files to import (README: Campaigns; docs/local.md)."""
    today = now().astimezone(WARSAW).date()
    history, consents = _lapsed_rows(today)
    directory = local_dir()
    directory.mkdir(parents=True, exist_ok=True)
    history_file, consents_file = directory / "demo-history.ndjson", directory / "demo-consents.csv"
    history_file.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in history), encoding="utf-8")
    consents_file.write_text("\n".join(consents) + "\n", encoding="utf-8")
    open_slots = [slots.SlotInput(f"DEMO-S{n}", _starts_at(days, 12), 20, specialty.capitalize(), None, None)
                  for n, (days, specialty) in enumerate(((3, "kardiologia"), (4, "dermatologia"), (6, "okulistyka")),
                                                        start=1)]
    slots.publish(facility_id, open_slots, now())
    return {"manager_key": issue_api_key(facility_id, label="demo manager", rights=[CAMPAIGNS_LAUNCH]),
            "history_file": str(history_file.resolve()), "consents_file": str(consents_file.resolve()),
            "lapsed_patients": LAPSED, "history_records": len(history)}


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
        "Today's board in the console (/panel/dzis): " + ", ".join(demo.get("board", [])),
        "Waiting for cardiology (cancel DEMO-1, then see the offer in /dev/phone): "
        + ", ".join(f"{w['phone']} ({w['category']})" for w in demo.get("waiting_list", [])),
        f"Reminders and offers to the waiting list go out {SENDING_START:%H:%M}–{SENDING_END:%H:%M} Warsaw time; it is "
        f"{now().astimezone(WARSAW):%H:%M} there now."
        + ("" if in_sending_hours(now()) else
           f" Outside those hours {base}/dev has a button that moves the clock to the next {SENDING_START:%H:%M}."),
        *console_banner(demo.get("console")),
        f"Campaigns (docs/local.md): manager's key {demo['campaigns']['manager_key']}; import "
        f"{demo['campaigns']['history_file']} and {demo['campaigns']['consents_file']}",
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

