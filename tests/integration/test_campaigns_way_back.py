"""The way back on moto: the campaign page (/r/{token}) answers (a call back, what I need, no
thanks), the clinic's published slots taken with the reserve list's claim (one patient per slot,
however many try), large files imported from S3 in chunks with an error report, and the rebook
nudge after a cancellation."""
from __future__ import annotations

import json
import re
import threading
from datetime import timedelta

import pytest
import requests

from odwolaj.appointments import lifecycle
from odwolaj.campaigns import imports, page, rebook, slots
from odwolaj.core.clock import iso, now
from odwolaj.data.models import Appointment, CampaignMember, FreedSlot, ImportJob, OutboxItem, Patient
from odwolaj.security.links import link_signer
from tests.campaign_helpers import consent_row, months_before, phone_of, visit_row, warsaw_time, working_day
from tests.integration.test_campaigns import bus_event, clinic, day, lapsed, members, sent_to  # noqa: F401
from tests.reserve_helpers import set_now


@pytest.fixture
def member(clinic, day):
    """Given one lapsed patient (a cardiology patient) messaged by a launched campaign."""
    lapsed(clinic, day, 1)
    campaign_id = clinic.launch({"name": "Powrót", "purpose": "marketing", "inactive_months_min": 12,
                                 "holdout_percent": 0})
    clinic.tick()
    [found] = members(campaign_id).values()
    return found


def token_of(member_id: str) -> str:
    return link_signer().issue("r", member_id)


def form(http, token: str, action: str, **fields) -> dict:
    shown = http("GET", f"/r/{token}")
    assert shown["statusCode"] == 200, shown["body"][:300]
    csrf = re.search(rf'name="action" value="{action}"><input type="hidden" name="csrf" value="([^"]+)"',
                     shown["body"]).group(1)
    body = "&".join(f"{k}={v}" for k, v in {"action": action, "csrf": csrf, **fields}.items())
    return http("POST", f"/r/{token}", headers={"content-type": "application/x-www-form-urlencoded",
                                                "host": "odw.pl"}, body=body)


def published(clinic, day, *pairs) -> dict:
    body = {"slots": [{"id": sid, "starts_at": warsaw_time(day + timedelta(days=d), 11).isoformat(),
                       "service": "Kardiologia", "specialist": "dr Anna Nowak", "duration_minutes": 20}
                      for sid, d in pairs]}
    status, answer = clinic.call("PUT", "/api/v1/slots", body)
    assert status == 200, answer
    return answer


def test_the_link_in_the_sms_opens_the_page_and_a_call_back_becomes_the_event_and_the_list(clinic, member, http):
    [text] = sent_to()[phone_of(0)]
    token = text.rsplit("/r/", 1)[1]
    shown = http("GET", f"/r/{token}")
    assert shown["statusCode"] == 200 and "Proszę o telefon z przychodni" in shown["body"]
    assert shown["headers"]["Content-Security-Policy"].startswith("default-src 'none'")
    answer = form(http, token, "callback")
    assert answer["statusCode"] == 303 and answer["headers"]["Location"] == f"/r/{token}?done=callback"
    form(http, token, "callback")  # twice: one response, one event
    assert "zadzwonimy do Ciebie" in http("GET", f"/r/{token}", query="done=callback")["body"]
    events = [json.loads(i.detail) for i in OutboxItem.scan() if i.detail_type == "ReactivationResponse"]
    assert [(e["data"]["response"], e["data"]["channel"]) for e in events] == [("callback", "web")]
    assert [r["response"] for r in clinic.call("GET", "/api/v1/campaign-responses")[1]["responses"]] == ["callback"]


def test_what_i_need_is_recorded_and_no_thank_you_stops_the_campaigns_messages(clinic, member, http):
    token = token_of(member.member_id)
    answer = form(http, token, "needs", specialty="kardiologia", d1="1", d3="1", time="rano", call_back="1")
    assert answer["statusCode"] == 303
    shown = CampaignMember.get(member.member_id)
    assert shown.response == "needs"
    assert shown.response_detail.as_dict() == {"specialty": "kardiologia", "days": ["poniedziałek", "środa"],
                                               "time": "rano", "call_back": True}
    bad = form(http, token, "needs", specialty="chirurgia")
    assert bad["statusCode"] == 400  # not a specialty the page offered: nothing recorded
    form(http, token, "decline")
    declined = CampaignMember.get(member.member_id)
    assert declined.response == "declined" and declined.send_key is None
    assert "Nie wyślemy już wiadomości" in http("GET", f"/r/{token}")["body"]


def test_a_form_from_another_site_or_without_its_token_changes_nothing(member, http):
    token = token_of(member.member_id)
    forged = http("POST", f"/r/{token}", headers={"content-type": "application/x-www-form-urlencoded",
                                                  "origin": "https://evil.example"}, body="action=decline&csrf=1.x")
    assert forged["statusCode"] == 403
    assert CampaignMember.get(member.member_id).response is None
    assert http("GET", "/r/AAAAAAAAAAAAAAAAAA")["statusCode"] == 404


def test_published_slots_are_offered_and_taken_with_the_reserve_lists_claim(clinic, member, http, day):
    answer = published(clinic, day, ("S-1", 3), ("S-2", 4))
    assert [s["status"] for s in answer["slots"]] == ["free", "free"]
    assert published(clinic, day, ("S-1", 3), ("S-2", 4)) == answer  # the same body twice changes nothing
    token = token_of(member.member_id)
    shown = http("GET", f"/r/{token}")["body"]
    assert "Wolne terminy" in shown
    slot_id = slots.slot_key(clinic.id, "S-1")
    taken = form(http, token, "take", slot=slot_id)
    assert taken["headers"]["Location"].endswith("done=booked")
    slot = FreedSlot.get(slot_id)
    appointment = Appointment.get(slot.filled_appointment_id)
    assert (slot.status, appointment.patient_id, appointment.phone) == ("filled", "P-0", phone_of(0))
    assert CampaignMember.get(member.member_id).response == "booked"
    assert "Wizyta jest umówiona" in http("GET", f"/r/{token}")["body"]
    kinds = {i.detail_type for i in OutboxItem.scan() if i.kind == "event"}
    assert {"AppointmentBooked", "SlotFilled", "ReactivationResponse"} <= kinds
    # The reserve list never offers a published slot.
    from odwolaj.reserve import offers
    assert offers.offer_freed_slot(slots.slot_key(clinic.id, "S-2")) == "free"
    # Withdrawn when no longer published; a taken one stays.
    answer = published(clinic, day)
    assert answer["withdrawn"] == 1 and [s["status"] for s in answer["slots"]] == ["filled", "withdrawn"]


def test_many_patients_taking_one_slot_at_once_gives_it_to_one(clinic, day):
    lapsed(clinic, day, 8)
    campaign_id = clinic.launch({"name": "Powrót", "purpose": "marketing", "inactive_months_min": 12,
                                 "holdout_percent": 0})
    published(clinic, day, ("S-1", 3))
    slot_id = slots.slot_key(clinic.id, "S-1")
    outcomes, barrier = [], threading.Barrier(8)

    def take(m):
        view = page.open_link(token_of(m.member_id))
        barrier.wait()
        outcomes.append(page.act(view, "take", {"slot": slot_id}))

    threads = [threading.Thread(target=take, args=(m,)) for m in members(campaign_id).values()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes).count("booked") == 1 and outcomes.count("taken") == 7
    assert len([a for a in Appointment.scan() if a.external_id.startswith("reactivation-")]) == 1


# ---------------------------------------------------------------------------------------------
# Imports


def test_a_large_file_is_uploaded_then_imported_in_chunks_with_an_error_report(clinic, day, aws, monkeypatch):
    """Given an NDJSON file of 300 rows (3 broken) uploaded to the presigned URL, with chunks of 4 KB
    and little time left after each, the S3 event starts the import, its queue carries it on, and
    the report lists the broken rows by line."""
    monkeypatch.setattr(imports, "CHUNK_BYTES", 4096)
    monkeypatch.setattr(imports, "MARGIN_SECONDS", 60.0)  # the fake context always has 10 s: hand over every chunk
    status, opened = clinic.call("POST", "/api/v1/imports", {"kind": "history", "format": "ndjson"})
    assert status == 201 and opened["status"] == "awaiting_upload"
    lines = [json.dumps(visit_row(n, months_before(day, 13))) for n in range(300)]
    for broken in (10, 150, 299):
        lines[broken] = '{"patient_id": "P-x", "outcome": "attended"}'
    upload = requests.put(opened["upload"]["url"], data=("\n".join(lines) + "\n").encode(), timeout=30)
    assert upload.status_code == 200
    clinic.pollers.drain(rounds=200)
    status, done = clinic.call("GET", f"/api/v1/imports/{opened['import_id']}")
    assert (done["status"], done["rows"], done["accepted"], done["rejected"]) == ("done", 300, 297, 3)
    assert ImportJob.get(opened["import_id"]).chunks > 5
    report = requests.get(done["error_report_url"], timeout=30).text.splitlines()
    assert [json.loads(line)["line"] for line in report] == [11, 151, 300]
    assert Patient.get(clinic.id, "P-298").last_visit_at == months_before(day, 13).isoformat()


def test_a_csv_consents_file_imports_with_its_header_in_every_chunk(clinic, day, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_BYTES", 1024)
    lapsed(clinic, day, 60, consent=None)
    status, opened = clinic.call("POST", "/api/v1/imports", {"kind": "consents", "format": "csv"})
    body = "patient_id,purpose,granted,at\n" + "".join(f"P-{n},marketing_sms,true,2025-06-01\n" for n in range(60))
    requests.put(opened["upload"]["url"], data=body.encode(), timeout=30)
    clinic.pollers.drain(rounds=200)
    done = clinic.call("GET", f"/api/v1/imports/{opened['import_id']}")[1]
    assert (done["status"], done["accepted"], done["rejected"], done["error_report_url"]) == ("done", 60, 0, None)
    assert all(Patient.get(clinic.id, f"P-{n}").consent_marketing_sms.endswith("granted") for n in range(60))


def test_an_import_hands_over_while_two_chunks_as_slow_as_its_slowest_still_fit(clinic, day, monkeypatch):
    """Given chunks that take 120 s each and 300 s to run, the import hands the rest over after the
    first one (180 s left: less than two such chunks), not only when its fixed margin is left."""
    monkeypatch.setattr(imports, "CHUNK_BYTES", 1024)
    status, opened = clinic.call("POST", "/api/v1/imports", {"kind": "history", "format": "ndjson"})
    body = "".join(json.dumps(visit_row(n, months_before(day, 13))) + "\n" for n in range(30))
    assert requests.put(opened["upload"]["url"], data=body.encode(), timeout=30).status_code == 200
    spent = [0.0]
    chunk = imports._chunk

    def slow(job, total):
        spent[0] += 120
        return chunk(job, total)
    monkeypatch.setattr(imports, "_chunk", slow)
    following = imports.run(opened["import_id"], 0, lambda: 300 - spent[0])
    job = ImportJob.get(opened["import_id"])
    assert job.chunks == 1 and following == {"import_id": opened["import_id"], "offset": int(job.offset)}
    assert 0 < int(job.offset) < len(body)


def test_a_repeated_chunk_message_counts_nothing_twice(clinic, day):
    status, opened = clinic.call("POST", "/api/v1/imports", {"kind": "history", "format": "ndjson"})
    requests.put(opened["upload"]["url"], data=json.dumps(visit_row(1, months_before(day, 14))).encode(), timeout=30)
    clinic.pollers.drain()
    assert imports.run(opened["import_id"], 0, lambda: 100.0) is None  # the upload's event again
    assert ImportJob.get(opened["import_id"]).rows == 1


def test_an_empty_upload_fails_the_import_with_a_clear_reason(clinic):
    status, opened = clinic.call("POST", "/api/v1/imports", {"kind": "history", "format": "ndjson"})
    assert requests.put(opened["upload"]["url"], data=b"", timeout=30).status_code == 200
    clinic.pollers.drain()
    done = clinic.call("GET", f"/api/v1/imports/{opened['import_id']}")[1]
    assert (done["status"], done["rows"], done["failure"]) == (
        "failed", 0, "the uploaded file is empty; upload it again with a new import")


# ---------------------------------------------------------------------------------------------
# The rebook nudge


def test_the_rebook_nudge_messages_once_after_n_days_and_is_compared_with_the_baseline(clinic, book, day,
                                                                                      monkeypatch, http):
    """Given cancellations for `need_other_date` before the nudge was on (the baseline) and after,
    the nudged patient who booked nothing gets one message after 7 days; one who rebooked gets none;
    the result compares rebookings within 30 days."""
    def cancelled(patient: int, reason: str = "need_other_date"):
        appointment = book(days=10, patient_id=f"P-{patient}", phone=phone_of(patient), external_id=f"H-{patient}")
        lifecycle.cancel(appointment, channel="web", reason=reason)
        return appointment

    baseline = cancelled(1)
    rebook.on_cancellation(lifecycle.get(baseline.appointment_id), now())
    assert clinic.call("PUT", "/api/v1/campaign-settings", {"rebook_nudge": {"enabled": True}})[0] == 200
    nudged, rebooked, other = cancelled(2), cancelled(3), cancelled(4, "feel_better")
    for appointment in (nudged, rebooked, other):
        rebook.on_cancellation(lifecycle.get(appointment.appointment_id), now())
    again = book(days=12, patient_id="P-3", phone=phone_of(3), external_id="H-3b")
    from odwolaj.campaigns import visits
    visits.on_event("AppointmentBooked", again.appointment_id)
    cases = members(rebook.campaign_id(clinic.id))
    assert {pid: m.arm for pid, m in cases.items()} == {"P-1": "baseline", "P-2": "message", "P-3": "message"}
    clinic.tick()
    assert sent_to() == {}, "not before 7 days"
    set_now(monkeypatch, warsaw_time(working_day(8, after=day), 10))
    clinic.tick()
    clinic.tick()
    texts = sent_to()
    assert list(texts) == [phone_of(2)] and len(texts[phone_of(2)]) == 1
    assert "wizyta odwolana" in texts[phone_of(2)][0]
    assert CampaignMember.get(cases["P-3"].member_id).skipped == "rebooked"
    token = texts[phone_of(2)][0].rsplit("/r/", 1)[1]
    assert "Potrzebujesz nowego terminu?" in http("GET", f"/r/{token}")["body"]
    set_now(monkeypatch, warsaw_time(day, 10) + timedelta(days=40))
    result = clinic.call("GET", f"/api/v1/campaigns/{rebook.campaign_id(clinic.id)}")[1]["result"]
    band = result["bands"]["rebook"]
    assert result["compared_with"] == "baseline"
    assert (band["messaged"]["members"], band["messaged"]["booked_30d"], band["baseline"]["members"]) == (2, 1, 1)


def test_a_cancellation_reaches_the_nudge_through_the_bus(clinic, book):
    from tests.campaign_helpers import invoke
    clinic.call("PUT", "/api/v1/campaign-settings", {"rebook_nudge": {"enabled": True, "days": 3}})
    appointment = book(days=10, patient_id="P-7", phone=phone_of(7))
    lifecycle.cancel(appointment, channel="sms", reason="cannot_attend")
    invoke("PatientHistoryEventsFunction", bus_event("AppointmentCancelled", appointment))
    invoke("PatientHistoryEventsFunction", bus_event("AppointmentCancelled", appointment))  # twice: one case
    [case] = members(rebook.campaign_id(clinic.id)).values()
    assert case.appointment_id == appointment.appointment_id and case.arm == "message"
    assert case.send_key > iso(now() + timedelta(days=3))


def test_consents_endpoint_also_creates_rows_for_patients_not_yet_in_the_history(clinic):
    assert clinic.consents([consent_row(77, "care")])[0] == 200
    assert Patient.get(clinic.id, "P-77").consent_care.endswith("|granted")
