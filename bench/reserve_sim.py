"""The reserve list on the real system, with patients who answer as people do: fill rate and time
to fill per lead-time band, offers and SMS per fill, and the invariants.

    python bench/reserve_sim.py                                  # 30 and 500 waiting, at 5, 10, 15 %
    python bench/reserve_sim.py --lists 30 --acceptance 0.10     # one setting
    python bench/reserve_sim.py --seed 3 --json out.json         # another draw; results as JSON too
    python bench/reserve_sim.py --report a.json b.json           # one table of runs made in parallel

Nothing here models the offer strategy. moto (in process) holds the template's tables; the
template's handlers are invoked as Lambda would invoke them: the clinic API (entries, visits,
cancellations, strike-offs), the Slots and Outbox streams delivered to ReserveOffersFunction,
SmsSenderFunction and OutboxDispatcherFunction (odwolaj_local's stream poller), OfferTimerFunction
fired on its schedule, the inbound SMS handler (SmsInboundSnsFunction: TAK/NIE) and the offer page
(OfferPageFunction: GET, then POST the button's form). The domain clock is simulated through
ODWOLAJ_CLOCK_OFFSET_SECONDS, re-pinned before every invocation, so two weeks pass in minutes.

The clinic (fixed calendar, so runs compare): one cardiology service, two doctors, eight visits
every weekday for two weeks, booked at the start; cancellations at lead times from a week to the
same morning; a few entries struck off and a few new ones joining while it runs. The waiting list:
valid PESELs, 3 % entitled out of order, a quarter urgent (pilny), the rest stable, entered over
the last ten months; varied availability (any time, weekday mornings, afternoons, two weekdays),
one in ten naming a doctor, a few whose planned date is within the fortnight.

The patient model (issue 10): to each offer SMS a patient says TAK with probability p, NIE with
0.2, nothing otherwise; the answer comes after a log-normal delay (median 15 min, sigma 0.9) that
runs only while the patient is awake (7:00-22:00 Warsaw): an offer read at 21:50 with a 30-minute
delay is answered at 7:20 the next morning. Half answer by SMS reply, half on the offer page. A
patient's draw depends only on (seed, patient, visit), never on the order things happen in, so a
run is repeatable and two strategies meet the same patients.

Bands by lead time at freeing (>= 24 h, < 24 h): fill rate; median and p90 time from freeing to
filling, in offer hours (8:00-20:00, from 7:00 on the visit's day) and wall-clock; offers and SMS
segments (GSM-7, as sent) to waiting patients per slot filled. Invariants, checked on what was
sent: never two bookings on one slot; no offer SMS 20:00-8:00 (7:00 on the visit's day); none to
a patient after their strike-off or after they took another slot; none twice for one slot.
"""
from __future__ import annotations

import argparse
import heapq
import itertools
import json
import math
import os
import random
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from moto import mock_aws
from moto.sns.models import sns_backends

from odwolaj.appointments.store import external_ref
from odwolaj.data.models import Appointment, ExternalRef, FreedSlot, Offer, OutboxItem, WaitingEntry
from odwolaj.language.gsm import segments
from odwolaj.security.facilities import create_facility
from odwolaj.security.links import link_signer
from odwolaj_local.apigw import build_event, match
from odwolaj_local.aws import REGION, LocalAws, serialize_dynamodb_writes
from odwolaj_local.lambdas import FakeLambdaContext, load_handler
from odwolaj_local.runner import sns_event
from odwolaj_local.scheduler import scheduled_event
from odwolaj_local.streams import StreamPoller
from odwolaj_local.template import application

WARSAW = ZoneInfo("Europe/Warsaw")
SERVICE = "Poradnia kardiologiczna"
DOCTORS = ("dr Anna Nowak", "dr Piotr Wisniewski")
START = datetime(2027, 1, 11, 6, 0, tzinfo=WARSAW)  # a Monday, no DST change in the fortnight
DAYS = 14
VISIT_HOURS = (8, 9, 10, 11, 12, 13, 14, 15)
SMS_SHARE = 0.5  # answers by SMS reply; the rest on the offer page
DECLINE = 0.2
DELAY_MEDIAN_MINUTES, DELAY_SIGMA = 15.0, 0.9
AWAKE = (7, 22)  # nobody answers 22:00-7:00
# What a patient writes back by SMS: a reply to an offer from the hand-written corpora, with the
# meaning drawn (`--bare`: the literal TAK / NIE the model patients wrote before).
CORPORA = Path(__file__).resolve().parents[1] / "tests" / "corpus"


def _replies_to_offers() -> dict[bool, list[str]]:
    found: dict[bool, list[str]] = {True: [], False: []}
    for path in sorted(CORPORA.glob("sms_replies*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("context") == "offer" and row["intent"] in ("confirm", "decline"):
                found[row["intent"] == "confirm"].append(row["text"])
    return found
TIMER = "OfferTimerFunction"
LINK = re.compile(r"https?://[^\s]+/o/([A-Za-z0-9_-]+)")
# The offer page's two buttons: each a form with its action and its anti-CSRF token.
BUTTON = re.compile(r'name="action" value="(\w+)"><input type="hidden" name="csrf" value="([^"]+)"')
# Lead-time bands of the cancellations: (name, how many, earliest and latest lead in hours); the
# evening-before and same-morning ones are placed by the clock instead (see Clinic.cancellations).
CANCELLATIONS = (("a week", 5, 5 * 24, 8 * 24), ("several days", 6, 48, 4 * 24), ("1-2 days", 5, 24, 48),
                 ("evening before", 6, None, None), ("same morning", 6, None, None))


# ---------------------------------------------------------------------------------------------
# The population


def pesel(birth: date, serial: int, female: bool) -> str:
    """A PESEL with a valid checksum (month offset 20 for births from 2000)."""
    month = birth.month + (20 if birth.year >= 2000 else 0)
    sex = (serial % 5) * 2 + (0 if female else 1)
    digits = f"{birth.year % 100:02d}{month:02d}{birth.day:02d}{serial % 1000:03d}{sex}"
    weights = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
    check = (10 - sum(int(d) * w for d, w in zip(digits, weights)) % 10) % 10
    return digits + str(check)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, datetime.min.time(), WARSAW).replace(hour=hour, minute=minute)


@dataclass
class Patient:
    number: int
    phone: str
    payload: dict
    joins_at: datetime | None = None  # None: on the list from the start
    entry_id: str = ""
    struck_at: datetime | None = None


@dataclass
class Visit:
    external_id: str
    starts_at: datetime
    doctor: str
    slot_id: str = ""
    freed_at: datetime | None = None
    band: str = ""


def waiting_patients(size: int, rng: random.Random, short_notice_share: float) -> list[Patient]:
    patients = []
    for number in range(1, size + 1):
        roll = rng.random()
        entered = START - timedelta(days=rng.uniform(1, 300), minutes=rng.randint(0, 600))
        soon = rng.random() < 0.05  # planned within the fortnight: only earlier slots help them
        planned = (START + timedelta(days=rng.randint(3, 12) if soon else rng.randint(20, 150))).date()
        availability = rng.random()
        windows = (None if availability < 0.55 else
                   [{"days": [1, 2, 3, 4, 5], "from": "07:00", "to": "12:00"}] if availability < 0.75 else
                   [{"days": [1, 2, 3, 4, 5], "from": "12:00", "to": "18:00"}] if availability < 0.9 else
                   [{"days": sorted(rng.sample(range(1, 6), 2)), "from": "07:00", "to": "20:00"}])
        birth = date(1940, 1, 1) + timedelta(days=rng.randint(0, 70 * 365))
        phone = f"+4851{number:07d}"
        payload = {
            "referral": f"SIM-{number:05d}",
            "patient": {"id": f"SIM-W{number}", "phone": phone,
                        "pesel": pesel(birth, rng.randint(0, 999), rng.random() < 0.5)},
            "reason": "I20.8 dusznica bolesna", "category": "pilny" if roll < 0.25 else "stabilny",
            "planned_date": planned.isoformat(), "entered_by": "rejestracja", "consent": True, "service": SERVICE,
            "entered_at": entered.astimezone(timezone.utc).isoformat(),
        }
        if roll > 0.97:
            payload["entitlement"] = "honorary_blood_donor"
        if windows:
            payload["availability"] = windows
        if rng.random() < 0.1:
            payload["specialist"] = rng.choice(DOCTORS)
        if rng.random() < short_notice_share:  # drawn whatever the share, so the rest stays the same
            payload["short_notice"] = True
        patients.append(Patient(number, phone, payload))
    return patients


@dataclass
class Clinic:
    patients: list[Patient]
    visits: list[Visit]
    cancellations: list[Visit]
    strike_offs: list[tuple[datetime, Patient]]
    end: datetime


def build_clinic(size: int, seed: int, short_notice_share: float) -> Clinic:
    rng = random.Random(f"clinic|{seed}")
    patients = waiting_patients(size, rng, short_notice_share)
    joining = max(2, size // 50)
    for patient in patients[-joining:]:  # these join while the simulation runs
        patient.joins_at = local((START + timedelta(days=rng.randint(1, 9))).date(), rng.randint(8, 17),
                                 rng.randint(0, 59))
        patient.payload["entered_at"] = patient.joins_at.astimezone(timezone.utc).isoformat()
    visits = []
    for offset in range(DAYS):
        day = (START + timedelta(days=offset)).date()
        if day.isoweekday() > 5:
            continue
        for index, hour in enumerate(VISIT_HOURS):
            visits.append(Visit(f"SIM-V{offset:02d}{hour:02d}", local(day, hour, 30 * (index % 2)),
                                DOCTORS[index % 2]))
    cancellations = _cancellations(visits, rng)
    head = [p for p in patients if p.joins_at is None][: max(6, size // 5)]
    strike_offs = [(local((START + timedelta(days=rng.randint(0, 8))).date(), rng.randint(8, 15), rng.randint(0, 59)),
                    patient) for patient in rng.sample(head, max(3, size // 50))]
    return Clinic(patients, visits, cancellations, strike_offs, visits[-1].starts_at + timedelta(hours=2))


def _cancellations(visits: list[Visit], rng: random.Random) -> list[Visit]:
    free = [v for v in visits]
    chosen = []
    for band, count, low, high in CANCELLATIONS:
        for _ in range(count):
            for _attempt in range(200):
                visit = rng.choice(free)
                day = visit.starts_at.date()
                if band == "evening before":
                    freed = local(day - timedelta(days=1), rng.randint(18, 21), rng.randint(0, 59))
                elif band == "same morning":
                    freed = local(day, rng.randint(6, 8), rng.randint(0, 59))
                    if visit.starts_at - freed < timedelta(hours=3):
                        continue
                else:
                    freed = visit.starts_at - timedelta(hours=rng.uniform(low, high))
                if freed >= START + timedelta(hours=2):
                    break
            else:
                raise RuntimeError(f"no visit fits the band {band!r}")
            free.remove(visit)
            visit.freed_at = freed.replace(second=0, microsecond=0)
            visit.band = band
            chosen.append(visit)
    return chosen


# ---------------------------------------------------------------------------------------------
# The system: moto in process, the template's handlers, its streams and the offer timer


class System:
    def __init__(self):
        os.environ["AWS_ACCOUNT_ID_ENDPOINT_MODE"] = "disabled"  # moto streams in mock mode
        os.environ.setdefault("LOG_LEVEL", "ERROR")
        self.mock = mock_aws()
        self.mock.start()
        serialize_dynamodb_writes()  # a failed transaction leaves nothing in a stream, as in DynamoDB
        self.aws = LocalAws(endpoint=None, public_base_url="https://odw.pl")  # type: ignore[arg-type]
        for function in self.aws.app.functions:
            env = self.aws.function_environment(function)
            os.environ.update({k: v for k, v in env.items() if v is not None and k != "AWS_ENDPOINT_URL"})
        os.environ.pop("AWS_ENDPOINT_URL", None)
        os.environ["LOG_LEVEL"] = "ERROR"
        self.aws.create_resources()
        self.app = application()
        self.now = START
        streams = self.aws.client("dynamodbstreams")
        self.pollers = [StreamPoller(s, self.aws.stream_arn(s.table), streams, self.invoke) for s in self.app.streams]
        [self.timer] = [s for s in self.app.schedules if s.function == TIMER]
        self.dynamodb = self.aws.client("dynamodb")
        self.slots_table = self.aws.physical_names()["SlotsTable"]

    def pin(self) -> None:
        """The domain clock reads the simulated now (it runs on by the milliseconds a call takes)."""
        os.environ["ODWOLAJ_CLOCK_OFFSET_SECONDS"] = str((self.now - datetime.now(timezone.utc)).total_seconds())

    def invoke(self, function: str, event: dict):
        self.pin()
        return load_handler(function)(event, FakeLambdaContext(function))

    def http(self, method: str, path: str, *, body: bytes = b"", headers: dict | None = None) -> dict:
        url = urlsplit(path)
        route, params = match(self.app.routes, method, url.path)
        event = build_event(route, params, method, url.path, query=url.query,
                            headers={"host": "odw.pl", **(headers or {})}, body=body)
        return self.invoke(route.function, event)

    def api(self, method: str, path: str, key: str, payload: dict | None = None) -> dict:
        answer = self.http(method, path, body=json.dumps(payload or {}).encode(),
                           headers={"authorization": f"Bearer {key}", "content-type": "application/json"})
        if answer["statusCode"] >= 300:
            raise RuntimeError(f"{method} {path}: {answer['statusCode']} {answer['body']}")
        return json.loads(answer["body"])

    def drain(self) -> None:
        """Deliver every stream record written so far, and what those deliveries write, until quiet."""
        while sum(poller.poll_once() for poller in self.pollers):
            pass

    def fire_timer(self) -> None:
        self.invoke(TIMER, scheduled_event(self.timer, "offer-timer", self.now))
        self.drain()

    def next_offer_due(self) -> datetime | None:
        """When the timer next has work: the earliest due time in the Slots table's offers_due
        index (read here as an observer, to skip the minutes in which a run would find nothing)."""
        pages = self.dynamodb.get_paginator("scan").paginate(
            TableName=self.slots_table, ProjectionExpression="offer_due_at",
            FilterExpression="attribute_exists(offer_due_at)")
        due = [item["offer_due_at"]["S"] for page in pages for item in page["Items"]]
        return datetime.fromisoformat(min(due).replace("Z", "+00:00")) if due else None

    def sms(self) -> list[tuple[str, str, str]]:
        """(message id, phone, text) of every SMS published, in order."""
        return [(mid, phone, text) for mid, (phone, text) in sns_backends["123456789012"][REGION].sms_messages.items()]

    def stop(self) -> None:
        self.mock.stop()


# ---------------------------------------------------------------------------------------------
# The simulation


@dataclass
class Sent:
    at: datetime
    phone: str
    text: str
    slot_id: str | None
    offer_id: str | None


@dataclass
class Tally:
    """What the yeses met, for the diagnosis (decided at the end: a yes within a grace window is
    settled minutes later)."""
    yes: int = 0
    yes_won: int = 0
    yes_slot_taken: int = 0  # someone had taken the slot before
    yes_lost_in_grace_window: int = 0  # a better-ranked yes came within the window
    yes_after_cut_off: int = 0
    yes_not_on_list: int = 0  # the patient had taken another slot or was struck off
    yes_to_another_offer: int = 0  # a TAK by SMS went to the patient's newer offer (the reply rule)
    yes_refused_slot_free: int = 0  # none of the above: refused although the slot was free (a fault)
    refused_free: list = field(default_factory=list)  # what each of those met, for the diagnosis
    no: int = 0
    answers_dropped: int = 0  # would have come after the simulation's end
    sms_unheard: int = 0  # an SMS answer after which its offer still awaited one (read as unclear)


@dataclass
class Yes:
    offer_id: str
    at: datetime
    slot_status: str  # just before the answer
    entry_status: str
    by_sms: bool
    offer_status_after: str  # just after


@dataclass(order=True)
class Due:
    at: datetime
    order: int
    kind: str = field(compare=False)
    data: tuple = field(compare=False, default=())


class Simulation:
    def __init__(self, clinic: Clinic, seed: int, bare: bool = False):
        self.clinic, self.seed = clinic, seed
        self.replies = None if bare else _replies_to_offers()
        self.acceptance = 0.0  # set for each run (the set-up is shared)
        self.system = System()
        self.queue: list[Due] = []
        self.order = itertools.count()
        self.sent: list[Sent] = []
        self.seen_sms = 0
        self.tally = Tally()
        self.yeses: list[Yes] = []
        self.by_phone = {p.phone: p for p in clinic.patients}
        self.visit_of_slot: dict[str, Visit] = {}
        self.step_slot: str | None = None  # the slot the current step acts on (answers' SMS go to it)

    def at(self, moment: datetime, kind: str, *data) -> None:
        heapq.heappush(self.queue, Due(moment, next(self.order), kind, data))

    # -- set-up ---------------------------------------------------------------------------------
    def set_up(self) -> None:
        system = self.system
        system.now = START - timedelta(hours=1)
        system.pin()
        created = create_facility("Przychodnia Kardiologiczna Serce", short_name="Serce",
                                  phone="+48 22 123 45 67", address="ul. Długa 5, Warszawa")
        self.key, self.facility_id = created.api_key, created.facility.facility_id
        for patient in self.clinic.patients:
            if patient.joins_at is None:
                self.join(patient)
            else:
                self.at(patient.joins_at, "join", patient)
        for number, visit in enumerate(self.clinic.visits):
            system.api("PUT", f"/api/v1/appointments/{visit.external_id}", self.key, {
                "patient": {"id": f"SIM-P-{visit.external_id}", "phone": f"+4869{number:07d}"},
                "starts_at": visit.starts_at.isoformat(), "service": SERVICE, "specialist": visit.doctor,
                "duration_minutes": 30})
        system.drain()
        self.collect_sms()
        for visit in self.clinic.cancellations:
            self.at(visit.freed_at, "cancel", visit)
        for moment, patient in self.clinic.strike_offs:
            self.at(moment, "strike", patient)

    def join(self, patient: Patient) -> None:
        patient.entry_id = self.system.api("POST", "/api/v1/waiting-list", self.key, patient.payload)["entry_id"]

    # -- the run ---------------------------------------------------------------------------------
    def run(self, acceptance: float, strategy: dict | None = None) -> dict:
        started = time.monotonic()
        self.acceptance = acceptance
        system = self.system
        if strategy:  # the facility's own settings, as a clinic would PUT them
            system.api("PUT", "/api/v1/offer-strategy", self.key, strategy)
        while True:
            due = system.next_offer_due()
            tick = _next_minute(max(due, system.now)) if due else None
            head = self.queue[0].at if self.queue else None
            if head is None and tick is None:
                break
            if tick is not None and (head is None or tick < head):
                if tick > self.clinic.end:
                    break
                system.now = tick
                self.step_slot = None
                system.fire_timer()
            else:
                item = heapq.heappop(self.queue)
                if item.at > self.clinic.end:
                    break
                system.now = max(system.now, item.at)
                getattr(self, f"do_{item.kind}")(*item.data)
                system.drain()
            self.collect_sms()
        for item in self.queue:
            if item.kind == "answer":
                self.tally.answers_dropped += 1
        self.settle_yeses()
        result = self.measure()
        result["seconds"] = round(time.monotonic() - started, 1)
        system.stop()
        return result

    def do_join(self, patient: Patient) -> None:
        self.step_slot = None
        self.join(patient)

    def do_cancel(self, visit: Visit) -> None:
        answer = self.system.api("POST", f"/api/v1/appointments/{visit.external_id}/outcome", self.key,
                                 {"outcome": "cancelled", "reason": "cannot_attend"})
        assert answer["status"] == "cancelled", answer
        visit.slot_id = ExternalRef.get(external_ref(self.facility_id, visit.external_id)).appointment_id
        self.visit_of_slot[visit.slot_id] = visit
        self.step_slot = visit.slot_id

    def do_strike(self, patient: Patient) -> None:
        self.step_slot = None
        if WaitingEntry.get(patient.entry_id).status != "active":
            return  # served meanwhile: nothing to strike off
        self.system.api("POST", f"/api/v1/waiting-list/{patient.entry_id}/strike-off", self.key,
                        {"reason": "service_performed", "by": "rejestracja"})
        patient.struck_at = self.system.now

    def do_answer(self, patient: Patient, offer_id: str, token: str, says_yes: bool, by_sms: bool,
                  words: str) -> None:
        offer = Offer.get(offer_id)
        self.step_slot = offer.slot_id
        slot_before = FreedSlot.get(offer.slot_id).status
        entry_before = WaitingEntry.get(offer.entry_id).status
        if by_sms:
            self.sms_reply(patient.phone, words)
            if offer.status == "open" and Offer.get(offer_id).status == "open":
                self.tally.sms_unheard += 1  # still awaiting an answer: the words were not understood
        else:
            self.page_answer(token, "accept" if says_yes else "decline")
        if says_yes:
            self.yeses.append(Yes(offer_id, self.system.now, slot_before, entry_before, by_sms,
                                  Offer.get(offer_id).status))
        else:
            self.tally.no += 1

    def settle_yeses(self) -> None:
        for yes in self.yeses:
            self.tally.yes += 1
            offer = Offer.get(yes.offer_id)
            cut_off = _t(FreedSlot.get(offer.slot_id).starts_at) - timedelta(minutes=90)
            if offer.status == "accepted":
                self.tally.yes_won += 1
            elif yes.slot_status in ("filled", "claimed"):
                self.tally.yes_slot_taken += 1
            elif yes.entry_status != "active":
                self.tally.yes_not_on_list += 1
            elif yes.at >= cut_off:
                self.tally.yes_after_cut_off += 1
            elif yes.by_sms and yes.offer_status_after in ("open", "expired"):
                self.tally.yes_to_another_offer += 1
            elif yes.offer_status_after == "waiting":
                self.tally.yes_lost_in_grace_window += 1
            else:
                self.tally.yes_refused_slot_free += 1
                slot = FreedSlot.get(offer.slot_id)
                self.tally.refused_free.append({
                    "by": "sms" if yes.by_sms else "page", "slot_before": yes.slot_status,
                    "offer_after": yes.offer_status_after, "slot_now": slot.status, "wave": int(offer.wave),
                    "minutes_to_visit": round((_t(slot.starts_at) - yes.at).total_seconds() / 60)})

    def sms_reply(self, phone: str, text: str) -> None:
        names = self.system.aws.physical_names()
        message = {"originationNumber": phone, "destinationNumber": "+48500000000", "messageKeyword": "KEYWORD",
                   "messageBody": text, "inboundMessageId": f"sim-{next(self.order)}",
                   "previousPublishedMessageId": ""}
        for subscription in self.system.app.subscriptions:
            topic = f"arn:aws:sns:eu-central-1:123456789012:{names[subscription.topic]}"
            self.system.invoke(subscription.function, sns_event(topic, message))

    def page_answer(self, token: str, action: str) -> None:
        page = self.system.http("GET", f"/o/{token}")
        if page["statusCode"] != 200:
            return  # the visit has begun: the link says so
        tokens = dict(BUTTON.findall(page["body"]))
        if action not in tokens:
            return  # the page says the slot is gone (or already answered)
        self.system.http("POST", f"/o/{token}", body=urlencode({"action": action, "csrf": tokens[action]}).encode(),
                         headers={"content-type": "application/x-www-form-urlencoded", "origin": "null"})

    # -- what patients receive --------------------------------------------------------------------
    def collect_sms(self) -> None:
        published = self.system.sms()
        for _message_id, phone, text in published[self.seen_sms:]:
            patient = self.by_phone.get(phone)
            if patient is None:
                continue  # a visit's patient (booking, cancellation): not the reserve list's cost
            found = LINK.search(text)
            offer_id = link_signer().resolve("o", found.group(1)) if found else None
            slot_id = Offer.get(offer_id).slot_id if offer_id else self.step_slot
            self.sent.append(Sent(self.system.now, phone, text, slot_id, offer_id))
            if offer_id:
                self.patient_reads(patient, offer_id, found.group(1), slot_id)
        self.seen_sms = len(published)

    def patient_reads(self, patient: Patient, offer_id: str, token: str, slot_id: str) -> None:
        visit = self.visit_of_slot[slot_id]
        rng = random.Random(f"{self.seed}|{patient.number}|{visit.external_id}")
        roll = rng.random()
        if roll >= self.acceptance + DECLINE:
            return  # silence
        delay = timedelta(minutes=DELAY_MEDIAN_MINUTES * math.exp(DELAY_SIGMA * rng.gauss(0, 1)))
        by_sms = rng.random() < SMS_SHARE
        says_yes = roll < self.acceptance
        words = rng.choice(self.replies[says_yes]) if self.replies else ("TAK" if says_yes else "NIE")
        answer_at = awake_after(self.system.now, delay).replace(microsecond=0)
        self.at(answer_at, "answer", patient, offer_id, token, says_yes, by_sms, words)

    # -- measuring -------------------------------------------------------------------------------
    def measure(self) -> dict:
        slots = {s.slot_id: s for s in FreedSlot.scan()}
        offers = list(Offer.scan())
        bookings = [a for a in Appointment.scan() if a.waiting_entry_id]
        bands = {}
        for band, wanted in ((">= 24 h", True), ("< 24 h", False)):
            visits = [v for v in self.clinic.cancellations
                      if v.slot_id and ((v.starts_at - v.freed_at) >= timedelta(hours=24)) == wanted]
            ids = {v.slot_id for v in visits}
            filled = [slots[i] for i in ids if slots[i].status == "filled"]
            wall = [(_t(s.closed_at) - _t(s.freed_at)).total_seconds() / 60 for s in filled]
            offer_hours = [offer_minutes(_t(s.freed_at), _t(s.closed_at), _t(s.starts_at)) for s in filled]
            made = sum(1 for o in offers if o.slot_id in ids)
            sms_segments = sum(segments(s.text) for s in self.sent if s.slot_id in ids)
            fills = len(filled)
            bands[band] = {
                "freed": len(ids), "filled": fills,
                "unfilled": sorted(f"{slots[i].status}:{slots[i].unfilled_reason or '-'}" for i in ids
                                   if slots[i].status != "filled"),
                "fill_rate": fills / len(ids) if ids else None,
                "median_offer_minutes": _quantile(offer_hours, 0.5), "p90_offer_minutes": _quantile(offer_hours, 0.9),
                "median_wall_minutes": _quantile(wall, 0.5), "p90_wall_minutes": _quantile(wall, 0.9),
                "offers": made, "offers_per_fill": made / fills if fills else None,
                "sms_segments_per_fill": sms_segments / fills if fills else None,
            }
        filled_events = [json.loads(i.detail)["data"] for i in OutboxItem.scan() if i.detail_type == "SlotFilled"]
        return {"bands": bands, "invariants": self.invariants(bookings), "answers": vars(self.tally),
                "offers_total": len(offers),
                "fills_after_a_grace_window": sum(1 for e in filled_events if e.get("grace_window"))}

    def invariants(self, bookings) -> dict:
        per_slot: dict[str, int] = {}
        served_at = {b.waiting_entry_id: _t(b.created_at) for b in bookings}
        for booking in bookings:
            if booking.status != "cancelled":
                per_slot[booking.reserve_slot_id] = per_slot.get(booking.reserve_slot_id, 0) + 1
        offer_sms = [s for s in self.sent if s.offer_id]
        at_night = [s for s in offer_sms if not in_offer_hours(s.at, _t_visit(self.visit_of_slot[s.slot_id]))]
        by_phone = self.by_phone
        after_strike = [s for s in offer_sms if by_phone[s.phone].struck_at and s.at > by_phone[s.phone].struck_at]
        after_served = [s for s in offer_sms if s.at > served_at.get(by_phone[s.phone].entry_id, self.clinic.end)]
        pairs = [(s.slot_id, s.phone) for s in offer_sms]
        return {"two_patients_on_one_slot": sum(1 for n in per_slot.values() if n > 1),
                "offers_at_night": len(at_night), "offers_after_strike_off": len(after_strike),
                "offers_after_taking_a_slot": len(after_served), "offered_twice": len(pairs) - len(set(pairs))}


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _t_visit(visit: Visit) -> datetime:
    return visit.starts_at


def _next_minute(moment: datetime) -> datetime:
    """The first firing of a rate(1 minute) schedule at or after `moment`."""
    floor = moment.replace(second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(minutes=1)


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)] if q < 1 else ordered[-1]


def awake_after(moment: datetime, delay: timedelta) -> datetime:
    """`moment` plus `delay` counted only while patients are awake (7:00-22:00 Warsaw)."""
    at, left = moment.astimezone(WARSAW), delay
    while True:
        wake, sleep = local(at.date(), AWAKE[0]), local(at.date(), AWAKE[1])
        if at < wake:
            at = wake
        elif at >= sleep:
            at = local(at.date() + timedelta(days=1), AWAKE[0])
            continue
        if at + left <= sleep:
            return at + left
        left -= sleep - at
        at = sleep


def offer_window(day: date, visit_day: date) -> tuple[datetime, datetime]:
    return local(day, 7 if day == visit_day else 8), local(day, 20)


def in_offer_hours(moment: datetime, visit: datetime) -> bool:
    moment = moment.astimezone(WARSAW)
    low, high = offer_window(moment.date(), visit.astimezone(WARSAW).date())
    return low <= moment < high


def offer_minutes(start: datetime, end: datetime, visit: datetime) -> float:
    """Minutes of [start, end) inside offer hours (8:00-20:00, from 7:00 on the visit's day)."""
    total, day = 0.0, start.astimezone(WARSAW).date()
    visit_day = visit.astimezone(WARSAW).date()
    while day <= end.astimezone(WARSAW).date():
        low, high = offer_window(day, visit_day)
        low, high = max(low, start), min(high, end)
        if low < high:
            total += (high - low).total_seconds() / 60
        day += timedelta(days=1)
    return total


# ---------------------------------------------------------------------------------------------
# Report


def _minutes(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def table(results: list[dict]) -> str:
    lines = ["| list | accept | band | fill rate | median to fill (offer h / wall), min | p90 (offer h / wall), min "
             "| offers per fill | SMS segments per fill | unfilled |",
             "|---|---|---|---|---|---|---|---|---|"]
    for result in results:
        for band, data in result["bands"].items():
            rate = "-" if data["fill_rate"] is None else f"{data['fill_rate']:.0%} ({data['filled']}/{data['freed']})"
            lines.append(
                f"| {result['list']} | {result['acceptance']:.0%} | {band} | {rate} | "
                f"{_minutes(data['median_offer_minutes'])} / {_minutes(data['median_wall_minutes'])} | "
                f"{_minutes(data['p90_offer_minutes'])} / {_minutes(data['p90_wall_minutes'])} | "
                f"{_ratio(data['offers_per_fill'])} | {_ratio(data['sms_segments_per_fill'])} | "
                f"{', '.join(data['unfilled']) or '-'} |")
    lines += ["", "| list | accept | two on one slot | offers at night | after strike-off | after taking a slot "
                  "| twice for one slot | yes: won / taken before / lost in a window / after cut-off / not on list / "
                  "to a newer offer / **refused while free** | SMS answers not understood | fills after a grace window "
                  "| seconds |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for result in results:
        inv, answers = result["invariants"], result["answers"]
        lines.append(f"| {result['list']} | {result['acceptance']:.0%} | {inv['two_patients_on_one_slot']} | "
                     f"{inv['offers_at_night']} | {inv['offers_after_strike_off']} | "
                     f"{inv['offers_after_taking_a_slot']} | {inv['offered_twice']} | "
                     f"{answers['yes_won']} / {answers['yes_slot_taken']} / {answers['yes_lost_in_grace_window']} / "
                     f"{answers['yes_after_cut_off']} / {answers['yes_not_on_list']} / "
                     f"{answers['yes_to_another_offer']} / **{answers['yes_refused_slot_free']}** | "
                     f"{answers.get('sms_unheard', '-')} | {result['fills_after_a_grace_window']} | "
                     f"{result['seconds']} |")
    return "\n".join(lines)


def run_list(size: int, acceptances: list[float], seed: int, short_notice_share: float,
             strategy: dict | None = None, bare: bool = False) -> list[dict]:
    """One list size: the clinic is set up once (the API calls that build it are the slow part),
    then each acceptance runs in a fork of that state, so every run starts from the same one."""
    simulation = Simulation(build_clinic(size, seed, short_notice_share), seed, bare)
    started = time.monotonic()
    simulation.set_up()
    set_up_seconds = round(time.monotonic() - started, 1)
    results = []
    for acceptance in acceptances:
        read, write = os.pipe()
        child = os.fork()
        if child == 0:  # the run, in a copy of the set-up state (moto is in this process)
            os.close(read)
            with os.fdopen(write, "w") as out:
                out.write(json.dumps(simulation.run(acceptance, strategy)))
            os._exit(0)
        os.close(write)
        with os.fdopen(read) as answer:
            payload = answer.read()
        _, status = os.waitpid(child, 0)
        if status or not payload:
            raise RuntimeError(f"the run at {acceptance:.0%} failed (status {status})")
        results.append({"list": size, "acceptance": acceptance, "seed": seed, "set_up_seconds": set_up_seconds,
                        **json.loads(payload)})
        print(f"list {size}, acceptance {acceptance:.0%}: done in {results[-1]['seconds']} s", file=sys.stderr)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lists", type=int, nargs="+", default=[30, 500])
    parser.add_argument("--acceptance", type=float, nargs="+", default=[0.05, 0.10, 0.15])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--short-notice", type=float, default=0.3,
                        help="share of waiting patients who said they can come at short notice")
    parser.add_argument("--strategy", type=json.loads, default=None,
                        help='the facility\'s offer strategy instead of the defaults, e.g. \'{"hold_minutes": 10}\'')
    parser.add_argument("--bare", action="store_true",
                        help="patients reply by SMS with a bare TAK / NIE (the default: their own words, drawn "
                             "from the offer replies of tests/corpus)")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--report", nargs="+", metavar="JSON",
                        help="print the tables of earlier runs' --json files instead of running (runs made in "
                             "parallel, one per list size or acceptance, printed as one)")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a child: one list size
    args = parser.parse_args()
    if args.report:
        results = []
        for name in args.report:
            with open(name, encoding="utf-8") as saved:
                results += json.load(saved)
        results.sort(key=lambda r: (r["list"], r["acceptance"]))
        print(f"Reserve list on the real handlers (moto), seed(s) {sorted({r['seed'] for r in results})}: "
              f"{', '.join(args.report)}")
        print(table(results))
        return 0
    if args.one:
        # The handlers log and emit metrics on stdout, as on Lambda: keep it for the results.
        result_out, sys.stdout = sys.stdout, open(os.devnull, "w")
        results = run_list(args.lists[0], args.acceptance, args.seed, args.short_notice, args.strategy, args.bare)
        result_out.write(json.dumps(results) + "\n")
        return 0
    results = []
    for size in args.lists:
        # Each list size in a fresh process: a fresh moto and cold handlers, nothing carried over.
        child = subprocess.run([sys.executable, __file__, "--one", "--lists", str(size), "--seed", str(args.seed),
                                "--short-notice", str(args.short_notice),
                                *(["--strategy", json.dumps(args.strategy)] if args.strategy else []),
                                *(["--bare"] if args.bare else []), "--acceptance",
                                *map(str, args.acceptance)], stdout=subprocess.PIPE, text=True, check=False)
        if child.returncode:
            return child.returncode
        results += json.loads(child.stdout.strip().splitlines()[-1])
    print(f"Reserve list on the real handlers (moto), seed {args.seed}, {DAYS} days from {START:%Y-%m-%d}, "
          f"patients: TAK p, NIE {DECLINE:.0%}, log-normal delay median {DELAY_MEDIAN_MINUTES:.0f} min "
          f"sigma {DELAY_SIGMA}, awake {AWAKE[0]}:00-{AWAKE[1]}:00, {SMS_SHARE:.0%} by SMS "
          f"({'bare TAK / NIE' if args.bare else 'in their own words'}); "
          f"strategy: {json.dumps(args.strategy) if args.strategy else 'the defaults'}")
    print(table(results))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(results, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
