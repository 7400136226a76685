"""The console's daily work (issue 15, points 1 and 2) through the template's handler on moto: the
waiting list (enter, strike off, move the planned date, the offers an entry received) and today's
board (visits, freed slots with offers in flight, attendance). Each change goes through the same
domain function as the clinic API, is audited in its own transaction, and a refused form shows
what was typed and changes nothing."""
from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from html import unescape
from urllib.parse import quote

import pytest

from odwolaj.appointments import lifecycle as appointments
from odwolaj.core.clock import WARSAW, now
from odwolaj.data.models import Appointment, AuditEntry, OutboxItem, WaitingEntry
from odwolaj.edge.console import waiting
from odwolaj.reserve import entries
from odwolaj.security import staff
from odwolaj.security.facilities import create_facility
from tests.console_helpers import Browser, csrf_of, enrolled, location
from tests.integration.test_reserve_order import dynamodb_requests
from tests.reserve_helpers import warsaw
from tests.reserve_population import populate

PESEL = "44051401359"


@pytest.fixture
def facility_id(facility, at_noon):
    return facility.facility.facility_id


@pytest.fixture
def reception(facility_id, http):
    """Reception signed in (without TOTP: skipped, as the console offers)."""
    person = enrolled(facility_id, "rejestracja@a.pl", staff.RECEPTION, with_totp=False)
    browser = Browser(http)
    browser.sign_in(person)
    offer = browser.get("/panel/weryfikacja")
    browser.post("/panel/weryfikacja/pomin", {"csrf": csrf_of(offer["body"])})
    browser.person = person
    return browser


def audited(facility_id: str, action: str) -> list[AuditEntry]:
    return [e for e in AuditEntry.query(facility_id) if e.action == action]


def form(**changes) -> dict:
    planned = (now().astimezone(WARSAW) + timedelta(days=60)).date().isoformat()
    typed = {"service": "Poradnia kardiologiczna", "referral": "SK-2026/77", "patient_id": "HIS-555",
             "phone": "601 234 567", "pesel": PESEL, "document_number": "", "email": "", "address": "",
             "reason": "I20.8 dusznica", "planned_date": planned, "specialist": "", "category": "stabilny",
             "entitlement": "", "consent": "tak"}
    typed.update(changes)
    return {k: v for k, v in typed.items() if v is not None}


def unchanged(entry: WaitingEntry, visit: Appointment) -> bool:
    return (WaitingEntry.get(entry.entry_id).status, Appointment.get(visit.appointment_id).status) == (
        "active", "booked")


def sms_kinds() -> list[str]:
    return sorted(item.message_kind for item in OutboxItem.scan() if item.kind == "sms")


# ---------------------------------------------------------------------------------------------
# The waiting list


def test_reception_enters_a_patient_as_the_api_would_and_the_entry_is_audited(reception, facility_id, caplog):
    caplog.set_level(logging.INFO)
    answer = reception.submit("/panel/lista", form(), page="/panel/lista")
    assert answer["statusCode"] == 303 and location(answer).endswith("?ok=dopisano")
    entry = WaitingEntry.get(location(answer).split("/")[-1].split("?")[0])
    assert (entry.facility_id, entry.referral, entry.pesel, entry.phone, entry.category, entry.consent) == (
        facility_id, "SK-2026/77", PESEL, "+48601234567", "stabilny", True)
    assert entry.entered_by == "rejestracja@a.pl" and entry.status == "active"
    assert "waitlist_joined" in sms_kinds()  # the patient is told, as through the API
    [written] = audited(facility_id, "waiting_entry_added")
    assert (written.actor, written.actor_role, written.subject) == (reception.person.sub, "reception", entry.entry_id)
    assert json.loads(written.detail) == {"category": "stabilny", "entitlement": None,
                                          "service": "Poradnia kardiologiczna"}
    page = reception.get(location(answer).split("?")[0], query="ok=dopisano")
    assert "Pacjent wpisany na listę" in page["body"] and "SK-2026/77" in page["body"]
    assert PESEL not in caplog.text and "601" not in caplog.text and "rejestracja@a.pl" not in caplog.text


def test_the_list_is_in_nfz_order_entitled_urgent_stable_then_by_entry(reception, join):
    stable, urgent, entitled = join(1), join(2, category="pilny"), join(3, entitlement="honorary_blood_donor")
    page = reception.get("/panel/lista", query="usluga=Poradnia+kardiologiczna")
    body = unescape(page["body"])
    assert page["statusCode"] == 200 and "Na liście: 3\u00a0osoby" in body
    places = [body.index(f"/panel/lista/{e.entry_id}") for e in (entitled, urgent, stable)]
    assert places == sorted(places)
    assert "Zasłużony Honorowy Dawca Krwi" in body and "pilny" in body


LIST = "usluga=Poradnia+kardiologiczna"
ROW = re.compile(r'<tr><td class="num">(\d+)</td>.*?href="/panel/lista/([0-9a-f]+)"')


def shown(answer: dict) -> list[tuple[int, str]]:
    """(place, entry id) of each row of a list page."""
    return [(int(place), entry_id) for place, entry_id in ROW.findall(answer["body"])]


def link(answer: dict, rel: str) -> str | None:
    """The query of the page's link `rel` (next, prev), as the browser would follow it."""
    found = re.search(rf'href="/panel/lista\?([^"]+)" rel="{rel}"', answer["body"])
    return unescape(found.group(1)) if found else None


def test_a_long_list_is_paged_through_in_nfz_order_and_every_page_costs_the_same(reception, facility_id):
    everyone = [e.entry_id for e in sorted(populate(facility_id, 450, now()), key=lambda e: e.queue_rank)]
    requests = dynamodb_requests(WaitingEntry)
    seen, costs, query = [], [], LIST
    while query:
        requests.clear()
        page = reception.get("/panel/lista", query=query)
        costs.append(sorted(operation for operation, _ in requests))
        assert page["statusCode"] == 200 and "Na liście: 450\u00a0osób" in unescape(page["body"])
        seen.append(shown(page))
        query = link(page, "next")

    assert [len(rows) for rows in seen] == [200, 200, 50]
    assert [place for rows in seen for place, _ in rows] == list(range(1, 451))
    assert [entry_id for rows in seen for _, entry_id in rows] == everyone  # each once, in NFZ order
    # The first page: the list's COUNT, its head on the index, the entries (100 a BatchGet). Deeper
    # ones add one COUNT of those ahead, however deep: a cursor on the sort key, no reading through.
    assert costs == [["BatchGetItem"] * 2 + ["Query"] * 2, ["BatchGetItem"] * 2 + ["Query"] * 3,
                     ["BatchGetItem"] + ["Query"] * 3]


def test_a_deep_page_of_a_long_list_costs_what_its_first_page_does(reception, facility_id):
    """A COUNT reads up to 1 MB of the index a request: counting only those ahead of the cursor
    would cost more the deeper the page; split at the cursor, the two counts read the list once."""
    everyone = sorted(populate(facility_id, 3000, now()), key=lambda e: e.queue_rank)
    requests = dynamodb_requests(WaitingEntry)
    queries = []
    for after in (None, everyone[199], everyone[2799]):
        requests.clear()
        page = reception.get("/panel/lista", query=LIST + (f"&po={quote(after.queue_rank)}" if after else ""))
        queries.append([operation for operation, _ in requests].count("Query"))
        assert "Na liście: 3\u00a0000\u00a0osób" in unescape(page["body"])
    assert shown(page)[0] == (2801, everyone[2800].entry_id) and len(shown(page)) == 200
    assert queries[0] > 2  # the whole list takes more than one COUNT request
    assert max(queries[1:]) <= queries[0] + 1, queries


def test_the_previous_links_lead_back_to_the_start(reception, facility_id):
    everyone = [e.entry_id for e in sorted(populate(facility_id, 450, now()), key=lambda e: e.queue_rank)]
    second = reception.get("/panel/lista", query=link(reception.get("/panel/lista", query=LIST), "next"))
    last = reception.get("/panel/lista", query=link(second, "next"))
    assert "Początek listy" in last["body"] and "rel=\"next\"" not in last["body"]

    back = reception.get("/panel/lista", query=link(last, "prev"))
    assert shown(back) == shown(second) == list(zip(range(201, 401), everyone[200:400], strict=True))
    start = reception.get("/panel/lista", query=link(back, "prev"))
    assert shown(start) == list(zip(range(1, 201), everyone[:200], strict=True))
    assert link(start, "prev") is None and "Początek listy" not in start["body"]


def test_places_on_the_next_page_count_who_is_ahead_now(reception, facility_id):
    """Patients ahead who left between two clicks move the next page's places up, as the entry
    page's place now does: places are counted on the index, not carried in the link."""
    everyone = sorted(populate(facility_id, 450, now()), key=lambda e: e.queue_rank)
    first = reception.get("/panel/lista", query=LIST)
    for left in everyone[:3]:
        entries.strike_off(WaitingEntry.get(left.entry_id), "patient_resigned")
    second = reception.get("/panel/lista", query=link(first, "next"))
    assert shown(second)[0] == (198, everyone[200].entry_id)
    assert "Na liście: 447\u00a0osób" in unescape(second["body"])


@pytest.mark.parametrize("cursor", ["po=garbage", "przed=1%232026", "po=" + "9" * 5000, "po=%27%3B--",
                                    "przed=0%23%3Cscript%3E"])
def test_a_garbage_cursor_shows_the_start_of_the_list(reception, facility_id, cursor):
    everyone = [e.entry_id for e in sorted(populate(facility_id, 250, now()), key=lambda e: e.queue_rank)]
    page = reception.get("/panel/lista", query=f"{LIST}&{cursor}")
    assert page["statusCode"] == 200 and "Ten link do strony listy jest uszkodzony" in page["body"]
    assert link(page, "prev") is None
    assert shown(page) == list(zip(range(1, 201), everyone[:200], strict=True))


def test_a_forged_cursor_past_the_end_shows_an_empty_page_with_the_way_back(reception, facility_id):
    populate(facility_id, 30, now())
    page = reception.get("/panel/lista", query=f"{LIST}&po=2%239999-12-31T23%3A59%3A59Z%23999999999")
    body = unescape(page["body"])
    assert page["statusCode"] == 200 and shown(page) == [] and "Dalej na liście nikogo nie ma." in body
    assert "Na liście: 30\u00a0osób" in body and link(page, "prev") == "usluga=Poradnia%20kardiologiczna"


@pytest.mark.parametrize("count, words", [(0, "0 osób"), (1, "1 osoba"), (2, "2 osoby"), (4, "4 osoby"),
                                          (5, "5 osób"), (12, "12 osób"), (14, "14 osób"), (22, "22 osoby"),
                                          (111, "111 osób"), (1234, "1 234 osoby"), (10_005, "10 005 osób")])
def test_the_count_of_people_is_said_in_correct_polish(count, words):
    assert waiting.people(count) == words.replace(" ", "\u00a0")


# ---------------------------------------------------------------------------------------------
# A patient who replied STOP to an offer

STOPPED_AT = "2026-11-29T23:30:00Z"  # 30.11.2026 00:30 in Warsaw


def stopped(entry: WaitingEntry) -> WaitingEntry:
    WaitingEntry(entry.entry_id).update(actions=[WaitingEntry.offers_stopped_at.set(STOPPED_AT)])
    return WaitingEntry.get(entry.entry_id)


def test_the_list_and_the_entry_page_show_a_patient_stopped_the_offers(reception, join):
    quiet, other = stopped(join(1)), join(2)
    rows = {entry_id: row for row, entry_id in re.findall(r'(<tr>.*?href="/panel/lista/([0-9a-f]+)".*?</tr>)',
                                                           reception.get("/panel/lista", query=LIST)["body"])}
    assert "nie chce propozycji SMS" in rows[quiet.entry_id] and "nie chce" not in rows[other.entry_id]

    page = unescape(reception.get(f"/panel/lista/{quiet.entry_id}")["body"])
    assert ("<dt>Propozycje SMS</dt><dd>wstrzymane na prośbę pacjenta (STOP, 30.11.2026 00:30) — pacjent wznowi "
            "je, odpisując START.</dd>") in page
    assert "Wznów propozycje SMS</button>" in page
    assert "Propozycje SMS" not in unescape(reception.get(f"/panel/lista/{other.entry_id}")["body"])
    entries.strike_off(quiet, "patient_resigned")
    struck_off = unescape(reception.get(f"/panel/lista/{quiet.entry_id}")["body"])
    assert "Propozycje SMS" not in struck_off and "wznow-propozycje" not in struck_off


def test_reception_resumes_the_offers_when_the_patient_asks_by_phone(reception, facility_id, join, http, caplog):
    caplog.set_level(logging.INFO)
    entry = stopped(join(1))
    path = f"/panel/lista/{entry.entry_id}"
    answer = reception.submit(f"{path}/wznow-propozycje", {}, page=path)
    assert answer["statusCode"] == 303 and location(answer) == f"{path}?ok=wznowiono"
    assert WaitingEntry.get(entry.entry_id).offers_stopped_at is None
    assert WaitingEntry.get(entry.entry_id).queue_rank == entry.queue_rank  # the place kept
    [written] = audited(facility_id, "offers_resumed")
    assert (written.actor, written.actor_role, written.subject) == (reception.person.sub, "reception", entry.entry_id)
    assert json.loads(written.detail) == {"list_number": 1, "service": entry.service, "stopped_at": STOPPED_AT}
    page = unescape(reception.get(path, query="ok=wznowiono")["body"])
    assert "Propozycje SMS wznowione" in page and "Wznów propozycje SMS" not in page
    # Recorded as the patient's opt-in (as their START would be), and the patient is not messaged.
    [opted_in] = [i for i in OutboxItem.scan() if i.detail_type == "PatientOptedIn"]
    assert json.loads(opted_in.detail)["data"] == {"channel": "console", "patient_id": entry.patient_id,
                                                   "scope": "offers"}
    assert [i.message_kind for i in OutboxItem.scan() if i.entry_id == entry.entry_id] == ["waitlist_joined"]
    assert reception.submit(f"{path}/wznow-propozycje", {}, page=path)["statusCode"] == 303  # again: nothing
    assert len(audited(facility_id, "offers_resumed")) == 1
    assert len([i for i in OutboxItem.scan() if i.detail_type == "PatientOptedIn"]) == 1
    assert "+48" not in caplog.text and entry.phone not in caplog.text
    manager = Browser(http)
    manager.sign_in(enrolled(facility_id, "kierownik@a.pl"))
    log = unescape(manager.get("/panel/dziennik")["body"])
    assert "wznowienie propozycji SMS" in log and "wstrzymane od 30.11.2026 00:30" in log


def test_resuming_offers_is_refused_cross_site_without_the_token_and_for_another_facility(reception, join):
    entry = stopped(join(1))
    path = f"/panel/lista/{entry.entry_id}/wznow-propozycje"
    token = csrf_of(reception.get(f"/panel/lista/{entry.entry_id}")["body"])
    assert reception.post(path, {})["statusCode"] == 403
    assert reception.post(path, {"csrf": "forged"})["statusCode"] == 403
    cross_site = {"sec-fetch-site": "cross-site", "origin": "https://evil.example"}
    assert reception.post(path, {"csrf": token}, headers=cross_site)["statusCode"] == 403
    other = create_facility("Przychodnia B", short_name="B").facility.facility_id
    theirs = Browser(reception.http)
    theirs.sign_in(enrolled(other, "kierownik@b.pl"))
    assert theirs.submit(path, {}, page="/panel/lista")["statusCode"] == 404
    assert WaitingEntry.get(entry.entry_id).offers_stopped_at == STOPPED_AT
    assert [e for e in AuditEntry.scan() if e.action == "offers_resumed"] == []


@pytest.mark.parametrize("changes, message", [
    ({"consent": None}, "bez zgody nie można go wpisać"),
    ({"pesel": "44051401358"}, "Podaj PESEL pacjenta"),
    ({"document_number": "ABC123456"}, "jedno z dwóch, nie oba"),
    ({"phone": "12"}, "Sprawdź numer telefonu"),
    ({"planned_date": "2020-01-01"}, "nie wcześniejszy niż data wpisu"),
    ({"planned_date": "%s-W%02d"}, "Tydzień"),
    ({"category": None}, "Wybierz kategorię medyczną"),
    ({"entitlement": "vip"}, "Wybierz uprawnienie"),
    ({"reason": "x" * 501}, "Podaj rozpoznanie"),
])
def test_a_refused_entry_keeps_what_was_typed_and_writes_nothing(reception, facility_id, changes, message):
    if changes.get("planned_date") == "%s-W%02d":  # a week, for a wait shorter than six months
        soon = (now().astimezone(WARSAW) + timedelta(days=30)).isocalendar()
        changes = {"planned_date": f"{soon.year}-W{soon.week:02d}"}
    typed = form(**changes)
    answer = reception.submit("/panel/lista", typed, page="/panel/lista")
    body = unescape(answer["body"])
    assert answer["statusCode"] == 400 and message in body and 'role="alert"' in body
    for name in ("referral", "patient_id", "phone", "reason", "planned_date"):
        assert f'name="{name}" maxlength' in body and f'value="{typed[name]}"' in body, name
    assert ('value="tak" required checked' in body) == ("consent" in typed)
    assert list(WaitingEntry.scan()) == [] and list(OutboxItem.scan()) == []
    assert audited(facility_id, "waiting_entry_added") == []


def test_a_referral_already_on_a_list_is_refused_with_the_form_kept(reception, facility_id, join):
    join(1)
    answer = reception.submit("/panel/lista", form(referral="ref-00001", patient_id="HIS-9"), page="/panel/lista")
    assert answer["statusCode"] == 400 and "To skierowanie już jest na liście" in unescape(answer["body"])
    assert 'value="HIS-9"' in answer["body"] and len(list(WaitingEntry.scan())) == 1
    assert audited(facility_id, "waiting_entry_added") == []


def test_strike_off_with_a_statutory_reason_once(reception, facility_id, join):
    entry = join(1)
    path = f"/panel/lista/{entry.entry_id}"
    refused = reception.submit(f"{path}/skresl", {"reason": "moved_away"}, page=path)
    assert refused["statusCode"] == 400 and "Wybierz powód skreślenia" in unescape(refused["body"])
    assert WaitingEntry.get(entry.entry_id).status == "active"
    answer = reception.submit(f"{path}/skresl", {"reason": "patient_resigned"}, page=path)
    assert location(answer) == f"{path}?ok=skreslono"
    struck = WaitingEntry.get(entry.entry_id)
    assert (struck.status, struck.strike_off.reason, struck.strike_off.by) == (
        "struck_off", "patient_resigned", "rejestracja@a.pl")
    assert reception.post(f"{path}/skresl", {"csrf": csrf_of(reception.get("/panel")["body"]),
                                             "reason": "patient_resigned"})["statusCode"] == 303
    [written] = audited(facility_id, "waiting_entry_struck_off")
    assert json.loads(written.detail) == {"list_number": 1, "reason": "patient_resigned",
                                          "service": "Poradnia kardiologiczna"}
    page = unescape(reception.get(path)["body"])
    assert "rezygnacja pacjenta" in page and "Skreśl z listy</button>" not in page


def test_moving_the_planned_date_tells_the_patient_and_is_audited(reception, facility_id, join):
    entry = join(1)
    path = f"/panel/lista/{entry.entry_id}"
    refused = reception.submit(f"{path}/termin", {"planned_date": "15.03.2027"}, page=path)
    assert refused["statusCode"] == 400 and 'value="15.03.2027"' in refused["body"]
    assert WaitingEntry.get(entry.entry_id).planned_date == entry.planned_date
    assert "planned_date_moved" not in sms_kinds()
    later = (now().astimezone(WARSAW) + timedelta(days=150)).date().isoformat()
    answer = reception.submit(f"{path}/termin", {"planned_date": later}, page=path)
    assert location(answer) == f"{path}?ok=termin"
    assert WaitingEntry.get(entry.entry_id).planned_date == later
    assert "planned_date_moved" in sms_kinds()  # the patient is told, as through PATCH
    [written] = audited(facility_id, "planned_date_changed")
    assert json.loads(written.detail)["from"] == entry.planned_date and json.loads(written.detail)["to"] == later
    reception.submit(f"{path}/termin", {"planned_date": later}, page=path)  # the same date: nothing new
    assert len(audited(facility_id, "planned_date_changed")) == 1


def test_an_entry_shows_its_offers_and_the_board_shows_them_in_flight(reception, join, freed):
    first, _second = join(1, category="pilny"), join(2)
    slot = freed()
    page = unescape(reception.get(f"/panel/lista/{first.entry_id}")["body"])
    assert "Propozycje terminów" in page and "czeka na odpowiedź" in page
    assert f"{warsaw(3, 10).astimezone(WARSAW):%d.%m.%Y %H:%M}" in page
    board = unescape(reception.get("/panel/dzis")["body"])
    assert "proponowany osobom z listy" in board and f"/panel/lista/{first.entry_id}" in board
    assert "wpis nr 1 (pilny)" in board and "następne osoby pytane od" in board
    assert slot.status == "offering"


def test_forms_without_the_token_or_from_another_site_and_other_facilities_change_nothing(reception, facility_id,
                                                                                          join, book):
    entry = join(1)
    visit = book(external_id="T-1", starts_at=warsaw(1, 11, 30).isoformat())
    token = csrf_of(reception.get("/panel/lista")["body"])
    assert reception.post("/panel/lista", form())["statusCode"] == 403
    cross_site = {"sec-fetch-site": "cross-site", "origin": "https://evil.example"}
    assert reception.post(f"/panel/lista/{entry.entry_id}/skresl", {"csrf": token, "reason": "no_show"},
                          headers=cross_site)["statusCode"] == 403
    assert reception.post(f"/panel/dzis/{visit.appointment_id}", {"outcome": "attended"})["statusCode"] == 403
    assert unchanged(entry, visit)

    other = create_facility("Przychodnia B", short_name="B").facility.facility_id
    theirs = Browser(reception.http)
    theirs.sign_in(enrolled(other, "kierownik@b.pl"))
    assert theirs.get(f"/panel/lista/{entry.entry_id}")["statusCode"] == 404
    assert theirs.submit(f"/panel/lista/{entry.entry_id}/skresl", {"reason": "no_show"},
                         page="/panel/lista")["statusCode"] == 404
    assert theirs.submit(f"/panel/dzis/{visit.appointment_id}", {"outcome": "attended"},
                         page="/panel/dzis")["statusCode"] == 404
    assert "T-1" not in theirs.get("/panel/dzis")["body"]
    assert unchanged(entry, visit)
    assert [e.action for e in AuditEntry.query(facility_id)
            if e.action not in ("signed_in", "staff_invited", "password_set")] == []
    signed_out = Browser(reception.http)
    assert location(signed_out.get("/panel/dzis")).startswith("/panel/logowanie")
    assert location(signed_out.get("/panel/lista")).startswith("/panel/logowanie")


# ---------------------------------------------------------------------------------------------
# Today's board


def test_the_board_shows_today_and_tomorrow_with_their_statuses(reception, book):
    book(external_id="T-OK", starts_at=warsaw(1, 12).isoformat())
    appointments.confirm(book(external_id="T-CONF", phone="600 100 201", patient_id="P2",
                              starts_at=warsaw(2, 9).isoformat()), channel="sms")
    appointments.cancel(book(external_id="T-SMS", phone="600 100 202", patient_id="P3",
                             starts_at=warsaw(2, 10).isoformat()), channel="sms")
    book(external_id="LATER", phone="600 100 203", patient_id="P4", starts_at=warsaw(3, 9).isoformat())
    body = unescape(reception.get("/panel/dzis")["body"])
    today, tomorrow = body.index("<h2 id=\"today\">"), body.index("<h2 id=\"tomorrow\">")
    assert today < body.index("T-OK") < tomorrow < body.index("T-CONF") < body.index("T-SMS")
    assert "LATER" not in body
    assert "potwierdzona" in body and "odwołana: SMS" in body and "niepotwierdzona" in body
    assert "Odbyta" in body[today:tomorrow] and "Odbyta" not in body[tomorrow:]  # from an hour before only
    assert "Poradnia kardiologiczna" in body[body.index('id="slots"'):]  # T-SMS's slot, freed


def test_the_board_shows_a_payment_deadline(reception, awaiting_payment):
    visit = awaiting_payment(days=1.5)
    body = unescape(reception.get("/panel/dzis")["body"])
    assert "czeka na przedpłatę do" in body and visit.external_id in body


def test_reception_marks_attended_and_a_no_show_once_each_audited(reception, facility_id, book, clock):
    came = book(external_id="T-1", starts_at=warsaw(1, 11, 30).isoformat())
    absent = book(external_id="T-2", phone="600 100 201", patient_id="P2", starts_at=warsaw(1, 11, 15).isoformat())
    early = reception.submit(f"/panel/dzis/{absent.appointment_id}", {"outcome": "no_show"}, page="/panel/dzis")
    assert early["statusCode"] == 409 and "od jej rozpoczęcia" in unescape(early["body"])
    assert Appointment.get(absent.appointment_id).status == "booked"
    bad = reception.submit(f"/panel/dzis/{came.appointment_id}", {"outcome": "cancelled"}, page="/panel/dzis")
    assert bad["statusCode"] == 400 and "Wybierz „Odbyta”" in unescape(bad["body"])
    assert Appointment.get(came.appointment_id).status == "booked"

    answer = reception.submit(f"/panel/dzis/{came.appointment_id}", {"outcome": "attended"}, page="/panel/dzis")
    assert location(answer) == "/panel/dzis?ok=odbyta"
    again = reception.submit(f"/panel/dzis/{came.appointment_id}", {"outcome": "attended"}, page="/panel/dzis")
    assert location(again) == "/panel/dzis?ok=odbyta"
    clock(minutes=20)  # the visit has started (and the session, idle less than 30 minutes, goes on)
    answer = reception.submit(f"/panel/dzis/{absent.appointment_id}", {"outcome": "no_show"}, page="/panel/dzis")
    assert location(answer) == "/panel/dzis?ok=nieobecnosc"
    assert (Appointment.get(came.appointment_id).status, Appointment.get(absent.appointment_id).status) == (
        "attended", "no_show")
    [attended] = audited(facility_id, "visit_attended")
    [no_show] = audited(facility_id, "visit_no_show")
    assert attended.subject == came.appointment_id and attended.actor == reception.person.sub
    assert json.loads(no_show.detail)["external_id"] == "T-2"
    closed = reception.submit(f"/panel/dzis/{came.appointment_id}", {"outcome": "no_show"}, page="/panel/dzis")
    assert closed["statusCode"] == 409 and "ma zapisany inny wynik" in unescape(closed["body"])
    page = unescape(reception.get("/panel/dzis", query="ok=odbyta")["body"])
    assert "Zapisano: wizyta odbyta." in page and "nieobecność" in page


def test_a_no_show_at_a_visit_from_the_list_strikes_the_entry_off_as_through_the_api(reception, facility_id, join):
    entry = join(1)
    visit = Appointment.get(appointments_from_list(facility_id, entry))
    reception.submit(f"/panel/dzis/{visit.appointment_id}", {"outcome": "no_show"}, page="/panel/dzis")
    assert WaitingEntry.get(entry.entry_id).strike_off.reason == "no_show"


def appointments_from_list(facility_id: str, entry: WaitingEntry) -> str:
    """A visit booked for the entry (as an accepted offer books it), started a minute ago."""
    from odwolaj.appointments.inputs import AppointmentInput

    data = AppointmentInput.from_payload({"patient": {"id": entry.patient_id, "phone": entry.phone},
                                          "starts_at": (now() + timedelta(minutes=2)).isoformat(),
                                          "service": entry.service})
    booked = appointments.upsert(facility_id, "FROM-LIST", data).appointment
    booked.update(actions=[Appointment.waiting_entry_id.set(entry.entry_id),
                           Appointment.starts_at.set((now() - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))])
    assert entries.get(facility_id, entry.entry_id).status == "active"
    return booked.appointment_id


def test_the_audit_log_names_the_daily_changes_in_polish(facility_id, reception, join, http):
    entry = join(1)
    reception.submit(f"/panel/lista/{entry.entry_id}/skresl", {"reason": "service_performed"},
                     page=f"/panel/lista/{entry.entry_id}")
    manager = Browser(http)
    manager.sign_in(enrolled(facility_id, "kierownik@a.pl"))
    log = unescape(manager.get("/panel/dziennik")["body"])
    assert "skreślenie z listy oczekujących" in log and "wpis nr 1, Poradnia kardiologiczna" in log
    assert "powód: wykonanie świadczenia" in log and "rejestracja@a.pl" in log


# ---------------------------------------------------------------------------------------------
# Failures and roles


@pytest.mark.parametrize("step", ["enter", "strike_off", "move", "resume_offers", "attended"])
def test_a_failed_write_changes_nothing_and_audits_nothing(reception, facility_id, join, book, throttle_next, step):
    """The change and its audit entry are one transaction: when DynamoDB refuses it (throttled),
    neither is written, the person gets the failure page, and a retry then works once."""
    entry = stopped(join(1))
    visit = book(external_id="T-1", starts_at=warsaw(1, 11, 30).isoformat())
    path = f"/panel/lista/{entry.entry_id}"
    post = {"enter": lambda: reception.submit("/panel/lista", form(), page="/panel/lista"),
            "strike_off": lambda: reception.submit(f"{path}/skresl", {"reason": "no_show"}, page=path),
            "move": lambda: reception.submit(f"{path}/termin", {"planned_date": form()["planned_date"]}, page=path),
            "resume_offers": lambda: reception.submit(f"{path}/wznow-propozycje", {}, page=path),
            "attended": lambda: reception.submit(f"/panel/dzis/{visit.appointment_id}", {"outcome": "attended"},
                                                 page="/panel/dzis")}[step]
    before = {e.entry_id: (e.status, e.planned_date, e.offers_stopped_at) for e in WaitingEntry.scan()}
    failed = throttle_next()
    answer = post()
    assert failed and answer["statusCode"] == 500 and "coś poszło nie tak" in unescape(answer["body"])
    assert {e.entry_id: (e.status, e.planned_date, e.offers_stopped_at) for e in WaitingEntry.scan()} == before
    assert Appointment.get(visit.appointment_id).status == "booked"
    assert [e.action for e in AuditEntry.query(facility_id) if e.action not in ("signed_in", "staff_invited")] == []
    assert post()["statusCode"] == 303
    assert len([e for e in AuditEntry.query(facility_id) if e.action not in ("signed_in", "staff_invited")]) == 1


def test_a_role_without_the_permission_is_refused_every_route(reception, join, book, monkeypatch):
    """The routes check the permission (both roles have it today): taken away, every page and form
    answers 403, the navigation hides them, and nothing changes."""
    entry = stopped(join(1))
    visit = book(external_id="T-1", starts_at=warsaw(1, 11, 30).isoformat())
    token = csrf_of(reception.get("/panel")["body"])
    monkeypatch.setitem(staff.PERMISSIONS, "waiting_list", frozenset({staff.MANAGER}))
    monkeypatch.setitem(staff.PERMISSIONS, "today", frozenset({staff.MANAGER}))
    path = f"/panel/lista/{entry.entry_id}"
    for answer in (reception.get("/panel/lista"), reception.get(path), reception.get("/panel/dzis"),
                   reception.post("/panel/lista", {"csrf": token, **form()}),
                   reception.post(f"{path}/skresl", {"csrf": token, "reason": "no_show"}),
                   reception.post(f"{path}/termin", {"csrf": token, "planned_date": form()["planned_date"]}),
                   reception.post(f"{path}/wznow-propozycje", {"csrf": token}),
                   reception.post(f"/panel/dzis/{visit.appointment_id}", {"csrf": token, "outcome": "attended"})):
        assert answer["statusCode"] == 403, answer["body"][:200]
    nav = reception.get("/panel")["body"]
    assert "/panel/lista" not in nav and "/panel/dzis" not in nav
    assert unchanged(entry, visit) and len(list(WaitingEntry.scan())) == 1
    assert WaitingEntry.get(entry.entry_id).offers_stopped_at == STOPPED_AT
