"""Reactivation campaigns on moto with the template's tables, queues and handlers: history and
consents in, the preview, the manager's launch, the selection through its queue, the dispatcher
and the send within hours at the rate, consent checked again at send time, the control group, the
follow-up, replies by SMS, and the result against the control group."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from moto.sns.models import sns_backends

from odwolaj.campaigns import dispatch
from odwolaj.campaigns.segments import BANDS
from odwolaj.core.clock import iso, now
from odwolaj.data.models import Campaign, CampaignMember, Conversation, OutboxItem, Patient
from odwolaj.messaging.inbound_sms import InboundSms, Outcome, handle
from odwolaj.security.facilities import issue_api_key
from tests.campaign_helpers import (
    Pollers,
    consent_row,
    invoke,
    months_before,
    phone_of,
    visit_row,
    warsaw_time,
    working_day,
)
from tests.reserve_helpers import set_now

ACCOUNT, REGION = "123456789012", "eu-central-1"


@pytest.fixture
def day():
    return working_day(2)


@pytest.fixture
def clinic(aws, facility, http, monkeypatch, day):
    """Given a facility at 10:00 on a working day, its keys (the manager's can launch), a fast rate
    (so SQS delays are 0 here) and a helper to call its API."""
    set_now(monkeypatch, warsaw_time(day, 10))
    # A provider as fast as the rate: no message is spread into a later second (an SQS delay the
    # manual pollers would not wait for).
    monkeypatch.setenv("CAMPAIGN_PROVIDER_RATE", "1000")
    facility_id = facility.facility.facility_id
    manager = issue_api_key(facility_id, label="manager", rights=["campaigns:launch"])

    class Clinic:
        id = facility_id
        pollers = Pollers(aws)

        @staticmethod
        def call(method, path, body=None, *, key=None, content_type="application/json", query=""):
            headers = {"authorization": f"Bearer {key or facility.api_key}", "content-type": content_type}
            raw = body if isinstance(body, str) or body is None else json.dumps(body)
            answer = http(method, path, headers=headers, body=raw or "", query=query)
            return answer["statusCode"], json.loads(answer["body"]) if answer.get("body") else None

        @classmethod
        def history(cls, rows):
            return cls.call("POST", "/api/v1/history", {"records": rows})

        @classmethod
        def consents(cls, rows):
            return cls.call("POST", "/api/v1/consents", {"records": rows})

        @classmethod
        def launch(cls, body):
            status, draft = cls.call("POST", "/api/v1/campaigns", body)
            assert status == 201, draft
            campaign_id = draft["campaign_id"]
            status, refused = cls.call("POST", f"/api/v1/campaigns/{campaign_id}/launch", {}, key=manager)
            assert status == 409 and refused["error"]["code"] == "confirmation_required", refused
            token = refused["error"]["confirmation"]["token"]
            status, launched = cls.call("POST", f"/api/v1/campaigns/{campaign_id}/launch", {"confirm": token},
                                        key=manager)
            assert status == 202, launched
            cls.pollers.drain()  # the selection jobs
            return campaign_id

        @classmethod
        def tick(cls):
            """The dispatcher's minute, then the send queue drained."""
            report = invoke("CampaignDispatchFunction", {})
            cls.pollers.drain()
            return report

    Clinic.manager = manager
    status, _ = Clinic.call("PUT", "/api/v1/campaign-settings", {"rate_per_minute": 6000})
    assert status == 200
    return Clinic


def sent_to() -> dict[str, list[str]]:
    """Phone → the texts moto's SNS recorded, oldest first."""
    found: dict[str, list[str]] = {}
    for phone, text in sns_backends[ACCOUNT][REGION].sms_messages.values():  # in the order published
        found.setdefault(phone, []).append(text)
    return found


def members(campaign_id: str) -> dict[str, CampaignMember]:
    return {m.patient_id: m for m in CampaignMember.by_campaign.query(campaign_id)}


def lapsed(clinic, day, count: int, *, first: int = 0, months=(13, 20, 30), consent="marketing_sms"):
    rows = [visit_row(n, months_before(day, months[n % len(months)])) for n in range(first, first + count)]
    assert clinic.history(rows)[0] == 200
    if consent:
        assert clinic.consents([consent_row(n, consent) for n in range(first, first + count)])[0] == 200


def send_event(*tasks: tuple[str, int]) -> dict:
    """An SQS batch of the send queue, as Lambda delivers it."""
    return {"Records": [{"messageId": str(i), "receiptHandle": str(i),
                         "body": json.dumps({"member_id": member_id, "touch": touch}), "attributes": {},
                         "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                         "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:q", "awsRegion": REGION}
                        for i, (member_id, touch) in enumerate(tasks)]}


# ---------------------------------------------------------------------------------------------
# History and consents


def test_history_is_idempotent_per_record_and_a_later_visit_or_decision_wins(clinic, day):
    """Given a visit, a later visit, an older one sent after it and each record twice, the patient
    keeps the latest visit, every specialty once, and the later consent decision."""
    old, new = months_before(day, 30), months_before(day, 14)
    rows = [visit_row(1, new, specialty="Kardiologia"), visit_row(1, old, specialty="dermatologia", visit="b"),
            visit_row(1, months_before(day, 20), outcome="no_show", visit="c")]
    for _ in range(2):
        status, body = clinic.history(rows)
        assert (status, body["accepted"], body["rejected"]) == (200, 3, 0)
    clinic.consents([consent_row(1, at="2025-03-01T10:00:00Z"),
                     consent_row(1, granted=False, at="2025-02-01T10:00:00Z")])  # older withdrawal: no effect
    patient = Patient.get(clinic.id, "P-1")
    assert patient.last_visit_at == new.isoformat()
    assert patient.specialties == {"kardiologia", "dermatologia"}
    assert patient.consent_marketing_sms == "2025-03-01T10:00:00Z|granted"
    clinic.consents([consent_row(1, granted=False, at="2025-04-01T10:00:00Z")])
    assert Patient.get(clinic.id, "P-1").consent_marketing_sms.endswith("|withdrawn")


def test_an_attended_visit_is_two_writes_its_repeat_one_and_a_booked_visit_attended_leaves_the_visits_ahead(
        clinic, day, monkeypatch):
    """Given a new patient's attended visit, the import writes the patient and the last visit (no
    removal of a visit never booked ahead, which would be a failing request); the same row again
    writes the patient only. A visit booked for today and then attended is no longer ahead."""
    writes: list[str] = []
    original = Patient.update

    def counted(self, *args, **kwargs):
        writes.append(self.patient_id)
        return original(self, *args, **kwargs)
    monkeypatch.setattr(Patient, "update", counted)
    for expected in (2, 1):
        writes.clear()
        assert clinic.history([visit_row(1, months_before(day, 14))])[0] == 200
        assert len(writes) == expected
    assert clinic.history([visit_row(2, day, outcome="booked", visit="x")])[0] == 200
    assert Patient.get(clinic.id, "P-2").next_visits.as_dict() == {"V-2-x": day.isoformat()}
    assert clinic.history([visit_row(2, day, outcome="attended", visit="x")])[0] == 200
    patient = Patient.get(clinic.id, "P-2")
    assert not patient.next_visits.as_dict() and patient.last_visit_at == day.isoformat()


def test_bulk_bodies_in_ndjson_and_csv_and_their_errors(clinic, day):
    ndjson = "\n".join(json.dumps(visit_row(n, months_before(day, 15))) for n in (1, 2)) + "\n{broken\n"
    status, body = clinic.call("POST", "/api/v1/history", ndjson, content_type="application/x-ndjson")
    assert (status, body["accepted"], body["rejected"], body["errors"][0]["line"]) == (200, 2, 1, 3)
    csv_body = "patient_id,purpose,granted,at\nP-1,care,true,2025-01-01\nP-2,care,maybe,2025-01-01\n"
    status, body = clinic.call("POST", "/api/v1/consents", csv_body, content_type="text/csv")
    assert (status, body["accepted"], body["errors"]) == (200, 1, [
        {"line": 3, "field": "granted", "message": "granted must be true or false"}])
    status, body = clinic.call("POST", "/api/v1/history", "x", content_type="application/xml")
    assert (status, body["error"]["code"]) == (415, "unsupported_media_type")
    too_many = {"records": [visit_row(n, months_before(day, 15)) for n in range(1001)]}
    status, body = clinic.call("POST", "/api/v1/history", too_many)
    assert status == 422 and "/api/v1/imports" in body["error"]["message"]


def test_bookings_through_the_api_count_as_history(clinic, book, day, clock):
    """Given a visit booked through the API and its events on the bus, the patient has a visit
    booked; attended, it becomes the last visit with its specialty."""
    appointment = book(days=3, patient_id="P-9", phone="600 000 009")
    invoke("PatientHistoryEventsFunction", bus_event("AppointmentBooked", appointment))
    assert Patient.get(clinic.id, "P-9").next_visits.as_dict() == {appointment.appointment_id: mock_day(appointment)}
    clock(days=3, hours=1)
    from odwolaj.appointments import lifecycle
    lifecycle.record_outcome(lifecycle.get(appointment.appointment_id), "attended")
    invoke("PatientHistoryEventsFunction", bus_event("AppointmentAttended", appointment))
    patient = Patient.get(clinic.id, "P-9")
    assert patient.next_visits.as_dict() == {}
    assert patient.last_visit_at == mock_day(appointment)
    assert "poradnia kardiologiczna" in patient.specialties


def mock_day(appointment) -> str:
    from odwolaj.core.clock import WARSAW, parse_iso
    return parse_iso(appointment.starts_at).astimezone(WARSAW).date().isoformat()


def bus_event(detail_type: str, appointment) -> dict:
    """An appointment event as the bus delivers it to a rule's target."""
    return {"version": "0", "id": "e-1", "detail-type": detail_type, "source": "odwolaj", "account": ACCOUNT,
            "time": iso(now()), "region": REGION, "resources": [],
            "detail": {"schema_version": 1, "event_id": f"{appointment.appointment_id}:{detail_type}",
                       "occurred_at": iso(now()), "facility_id": appointment.facility_id,
                       "data": {"appointment_id": appointment.appointment_id}}}


# ---------------------------------------------------------------------------------------------
# Preview and launch


def test_the_preview_counts_bands_and_every_exclusion_by_reason_without_scanning(clinic, day, aws):
    """Given patients in each band and one for each reason to exclude, the preview counts them
    and reads only the index (one Query a shard, its lapsed part)."""
    lapsed(clinic, day, 9)  # P-0..P-8, bands 12-18, 18-24, 24+ in turn
    lapsed(clinic, day, 5, first=10)  # P-10..P-14: each excluded below
    clinic.history([{"patient_id": "P-10", "patient_status": "deceased"},
                    visit_row(13, day + timedelta(days=5), outcome="booked", visit="next")])
    clinic.consents([consent_row(12, granted=False, at="2026-01-01T00:00:00Z")])
    Patient(clinic.id, "P-11").update(actions=[Patient.campaigns_opted_out.set(True)])
    Patient(clinic.id, "P-14").update(actions=[Patient.last_campaign_contact_at.set(iso(now() - timedelta(days=30)))])
    clinic.history([visit_row(20, months_before(day, 3))])  # not lapsed: not read beyond the index bound
    status, draft = clinic.call("POST", "/api/v1/campaigns", {"name": "Powrót", "purpose": "marketing",
                                                              "inactive_months_min": 12})
    status, preview = clinic.call("GET", f"/api/v1/campaigns/{draft['campaign_id']}/preview")
    assert status == 200
    assert {band: counts["eligible"] for band, counts in preview["bands"].items()} == {"12-18": 3, "18-24": 3,
                                                                                       "24+": 3}
    assert preview["excluded"] == {"deceased_or_struck_off": 1, "opted_out": 1, "no_consent": 1, "visit_booked": 1,
                                   "contacted_recently": 1}
    assert preview["eligible"] == preview["to_message"] + preview["control"] == 9


def test_only_a_manager_launches_and_only_after_confirming_the_numbers(clinic, day):
    lapsed(clinic, day, 6)
    _, draft = clinic.call("POST", "/api/v1/campaigns", {"name": "Kontrola", "purpose": "care",
                                                         "inactive_months_min": 12})
    path = f"/api/v1/campaigns/{draft['campaign_id']}/launch"
    assert clinic.call("POST", path, {})[0] == 403  # reception's key
    status, refused = clinic.call("POST", path, {"confirm": "123.forged"}, key=clinic.manager)
    assert status == 409 and refused["error"]["confirmation"]["numbers"]["to_message"] == 0  # no care consent
    clinic.consents([consent_row(n, "care") for n in range(6)])
    status, stale = clinic.call("POST", path, {"confirm": refused["error"]["confirmation"]["token"]},
                                key=clinic.manager)
    assert status == 409, "the numbers changed since: confirm again"
    assert stale["error"]["confirmation"]["numbers"]["eligible"] == 6
    status, launched = clinic.call("POST", path, {"confirm": stale["error"]["confirmation"]["token"]},
                                   key=clinic.manager)
    assert (status, launched["status"]) == (202, "selecting")
    assert clinic.call("POST", path, {}, key=clinic.manager)[0] == 202  # launching again changes nothing


def test_selection_continues_through_its_queue_and_the_control_group_is_never_messaged(clinic, day, monkeypatch):
    """Given 60 lapsed patients and a selection page of 4 (so each shard's chain continues through
    the queue), every eligible patient becomes a member once; the control group gets nothing."""
    from odwolaj.campaigns import launch
    monkeypatch.setattr(launch, "PAGE", 4)
    lapsed(clinic, day, 60)
    campaign_id = clinic.launch({"name": "Powrót", "purpose": "marketing", "inactive_months_min": 12,
                                 "holdout_percent": 20})
    assert Campaign.get(campaign_id).status == "sending"
    found = members(campaign_id)
    assert len(found) == 60
    control = {pid for pid, m in found.items() if m.arm == "control"}
    assert 3 <= len(control) <= 25
    clinic.tick()
    texts = sent_to()
    assert set(texts) == {phone_of(int(pid[2:])) for pid in found} - {phone_of(int(pid[2:])) for pid in control}
    assert all(len(t) == 1 for t in texts.values())


def test_messages_go_only_in_working_hours(clinic, day, monkeypatch):
    lapsed(clinic, day, 5)
    set_now(monkeypatch, warsaw_time(day, 19, 30))
    clinic.launch({"name": "Powrót", "purpose": "marketing", "inactive_months_min": 12, "holdout_percent": 0})
    assert clinic.tick()["released"] == 0 and sent_to() == {}
    next_day = working_day(1, after=day)
    set_now(monkeypatch, warsaw_time(next_day, 8, 59))
    assert clinic.tick()["released"] == 0
    set_now(monkeypatch, warsaw_time(next_day, 9, 1))
    assert clinic.tick()["released"] == 5
    assert len(sent_to()) == 5


def test_the_rate_of_the_facility_bounds_each_minute(clinic, day):
    lapsed(clinic, day, 12)
    clinic.call("PUT", "/api/v1/campaign-settings", {"rate_per_minute": 5})
    campaign_id = clinic.launch({"name": "Powrót", "purpose": "marketing", "inactive_months_min": 12,
                                 "holdout_percent": 0})
    report = dispatch.tick(now(), lambda releases: len(releases))
    assert report.released == 5
    assert len(list(CampaignMember.sends_due.query(campaign_id))) == 12, "released, not yet sent"


def test_consent_is_checked_again_when_each_message_goes_out(clinic, day):
    """Given a launched campaign, a patient who withdraws marketing consent, another who books a
    visit and a third who opts out by number before the send, none of them is messaged."""
    lapsed(clinic, day, 6)
    campaign_id = clinic.launch({"name": "Powrót", "purpose": "marketing", "inactive_months_min": 12,
                                 "holdout_percent": 0})
    clinic.consents([consent_row(0, granted=False, at=iso(now()))])
    clinic.history([visit_row(1, day + timedelta(days=3), outcome="booked", visit="next")])
    Conversation(phone_of(2)).update(actions=[Conversation.opted_out.set(True)])
    clinic.tick()
    assert set(sent_to()) == {phone_of(n) for n in (3, 4, 5)}
    skipped = {pid: m.skipped for pid, m in members(campaign_id).items() if m.skipped}
    assert skipped == {"P-0": "no_consent", "P-1": "visit_booked", "P-2": "opted_out"}


def test_a_send_delivered_twice_is_one_sms(clinic, day):
    lapsed(clinic, day, 1)
    campaign_id = clinic.launch({"name": "Powrót", "purpose": "marketing", "inactive_months_min": 12,
                                 "holdout_percent": 0})
    [member] = members(campaign_id).values()
    event = send_event(*[(member.member_id, 1)] * 3)
    assert invoke("CampaignSendFunction", event) == {"batchItemFailures": []}
    assert invoke("CampaignSendFunction", event) == {"batchItemFailures": []}
    assert sent_to() == {phone_of(0): [sent_to()[phone_of(0)][0]]}


def test_a_batch_reads_its_members_patients_and_numbers_together_and_the_next_batch_sees_a_changed_text(
        clinic, day, monkeypatch):
    """Given four members sent in two batches, each batch reads its members, their patients and
    their numbers in one batch read each (none one by one) and the campaign and the facility once;
    a text the clinic changes between the batches is in the second batch's SMS."""
    from odwolaj.data.models import Facility

    lapsed(clinic, day, 4)
    campaign_id = clinic.launch({"name": "Powrót", "purpose": "marketing", "inactive_months_min": 12,
                                 "holdout_percent": 0})
    found = sorted(members(campaign_id).values(), key=lambda m: m.patient_id)
    Conversation(phone_of(1)).update(actions=[Conversation.updated_at.set(iso(now()))])  # a number we know
    reads: list[str] = []
    for model in (Campaign, Facility, CampaignMember, Patient, Conversation):
        for method in ("get", "batch_get"):
            original = getattr(model, method).__func__

            def counted(cls, *args, _original=original, _method=method, **kwargs):
                reads.append(f"{cls.__name__}.{_method}")
                return _original(cls, *args, **kwargs)
            monkeypatch.setattr(model, method, classmethod(counted))

    assert invoke("CampaignSendFunction", send_event(*((m.member_id, 1) for m in found[:2]))) == \
        {"batchItemFailures": []}
    once_each = ["Campaign.get", "CampaignMember.batch_get", "Conversation.batch_get", "Facility.get",
                 "Patient.batch_get"]
    assert sorted(reads) == once_each
    own = "$facility zaprasza ponownie. $action $link"
    status, _ = clinic.call("PUT", "/api/v1/campaign-settings", {"messages": {band: own for band in BANDS}})
    assert status == 200
    reads.clear()
    assert invoke("CampaignSendFunction", send_event(*((m.member_id, 1) for m in found[2:]))) == \
        {"batchItemFailures": []}
    assert sorted(reads) == once_each
    texts = sent_to()
    assert ["zaprasza ponownie" in texts[phone_of(n)][0] for n in range(4)] == [False, False, True, True]


def test_a_second_send_in_a_batch_for_the_same_patient_reads_the_patient_anew(clinic, day):
    """Given one patient in two running campaigns, both messages in one batch: the first is sent and
    the second sees that contact (contacted recently), though the batch read the patient once."""
    lapsed(clinic, day, 1)
    first = clinic.launch({"name": "Powrót", "purpose": "marketing", "inactive_months_min": 12,
                           "holdout_percent": 0})
    second = clinic.launch({"name": "Znowu", "purpose": "marketing", "inactive_months_min": 12,
                            "holdout_percent": 0})
    [one] = members(first).values()
    [other] = members(second).values()
    assert invoke("CampaignSendFunction", send_event((one.member_id, 1), (other.member_id, 1))) == \
        {"batchItemFailures": []}
    assert len(sent_to()[phone_of(0)]) == 1
    assert CampaignMember.get(other.member_id).skipped == "contacted_recently"


def test_a_provider_refusal_gives_the_touch_back_for_the_queue_to_retry(clinic, day, monkeypatch):
    from odwolaj.adapters import sms
    from odwolaj.messaging import campaign_sms

    lapsed(clinic, day, 1)
    campaign_id = clinic.launch({"name": "Powrót", "purpose": "marketing", "inactive_months_min": 12,
                                 "holdout_percent": 0})
    [member] = members(campaign_id).values()

    class Throttled:
        name = "recording"

        def send(self, message):
            raise sms.ProviderError("ThrottlingException", retryable=True)

    with pytest.raises(sms.ProviderError):
        campaign_sms.deliver(member.member_id, 1, Throttled())
    assert CampaignMember.get(member.member_id).touch1 is None  # free for the retry
    assert campaign_sms.deliver(member.member_id, 1, sms.SnsGateway()) == "sent"


def test_one_follow_up_after_14_days_to_those_who_did_not_answer_and_never_a_third(clinic, day, monkeypatch):
    lapsed(clinic, day, 3)
    campaign_id = clinic.launch({"name": "Powrót", "purpose": "marketing", "inactive_months_min": 12,
                                 "holdout_percent": 0})
    clinic.tick()
    handle(InboundSms(sender=phone_of(0), text="TAK", message_id="in-1"))  # P-0 answers
    set_now(monkeypatch, warsaw_time(working_day(10, after=day), 10))  # a working day, before the 14th
    assert clinic.tick()["released"] == 0, "not yet 14 days"
    set_now(monkeypatch, warsaw_time(working_day(15, after=day), 10))
    clinic.tick()
    texts = sent_to()
    assert len(texts[phone_of(1)]) == len(texts[phone_of(2)]) == 2
    assert "przypominamy" in texts[phone_of(1)][1]
    assert [t for t in texts[phone_of(0)] if "przypominamy" in t] == []
    set_now(monkeypatch, warsaw_time(working_day(30, after=day), 10))
    clinic.tick()
    assert max(len(t) for phone, t in sent_to().items() if phone != phone_of(0)) == 2
    assert Campaign.get(campaign_id).status == "completed"


# ---------------------------------------------------------------------------------------------
# Replies by SMS


def test_stop_to_a_campaign_opts_out_of_campaigns_only_and_is_acknowledged(clinic, day, book):
    lapsed(clinic, day, 2)
    campaign_id = clinic.launch({"name": "Powrót", "purpose": "marketing", "inactive_months_min": 12,
                                 "holdout_percent": 0})
    clinic.tick()
    assert handle(InboundSms(sender=phone_of(0), text="Stop", message_id="in-1")) is Outcome.CAMPAIGN_REPLY
    assert handle(InboundSms(sender=phone_of(0), text="Stop", message_id="in-1")) is Outcome.CAMPAIGN_REPLY
    conversation = Conversation.get(phone_of(0))
    assert conversation.campaigns_opted_out and not conversation.opted_out  # visit reminders still come
    assert Patient.get(clinic.id, "P-0").campaigns_opted_out
    answers = [i for i in OutboxItem.scan() if i.member_id and i.message_kind == "campaign_stopped"]
    assert len(answers) == 1
    member = members(campaign_id)["P-0"]
    assert member.response == "opted_out" and member.send_key is None
    events = [json.loads(i.detail) for i in OutboxItem.scan() if i.detail_type == "ReactivationResponse"]
    assert [e["data"]["response"] for e in events] == ["opted_out"]
    # A reminder of a visit booked later still goes: STOP was about campaigns.
    from odwolaj.messaging.outbound_sms import deliver
    from tests.conftest import RecordingGateway
    appointment = book(days=3, patient_id="P-0", phone=phone_of(0))
    gateway = RecordingGateway()
    item = OutboxItem(outbox_id="r-1", kind="sms", message_kind="reminder", appointment_id=appointment.appointment_id,
                      created_at=iso(now()), expires_at=0)
    item.save()  # the sender records its progress on the item (odwolaj.messaging.sending)
    deliver(item, gateway)
    assert len(gateway.sent) == 1


def test_tak_asks_for_a_call_nie_declines_and_the_clinic_works_through_the_list(clinic, day):
    lapsed(clinic, day, 3)
    campaign_id = clinic.launch({"name": "Powrót", "purpose": "marketing", "inactive_months_min": 12,
                                 "holdout_percent": 0})
    clinic.tick()
    handle(InboundSms(sender=phone_of(0), text="Tak, proszę", message_id="in-1"))
    handle(InboundSms(sender=phone_of(1), text="nie", message_id="in-2"))
    handle(InboundSms(sender=phone_of(2), text="a kto to?", message_id="in-3"))
    handle(InboundSms(sender=phone_of(2), text="co?", message_id="in-4"))
    found = members(campaign_id)
    assert (found["P-0"].response, found["P-1"].response, found["P-2"].response) == ("callback", "declined", None)
    kinds = sorted(i.message_kind for i in OutboxItem.scan() if i.member_id)
    assert kinds == ["campaign_callback", "campaign_declined", "campaign_help"]  # help once a day
    status, listed = clinic.call("GET", "/api/v1/campaign-responses")
    assert status == 200
    assert [(r["patient"]["id"], r["patient"]["phone"], r["response"]) for r in listed["responses"]] == [
        ("P-0", phone_of(0), "callback")]
    response_id = listed["responses"][0]["response_id"]
    status, done = clinic.call("POST", f"/api/v1/campaign-responses/{response_id}/handled")
    assert status == 200 and done["handled_at"]
    assert clinic.call("GET", "/api/v1/campaign-responses")[1]["responses"] == []


def test_a_call_asked_for_in_other_words_is_a_callback_with_the_words_and_not_interested_declines(clinic, day):
    lapsed(clinic, day, 3)
    campaign_id = clinic.launch({"name": "Powrót", "purpose": "marketing", "inactive_months_min": 12,
                                 "holdout_percent": 0})
    clinic.tick()
    handle(InboundSms(sender=phone_of(0), text="Dzień dobry, proszę o telefon po 16.  Pozdrawiam", message_id="in-1"))
    handle(InboundSms(sender=phone_of(1), text="Nie jestem zainteresowana", message_id="in-2"))
    handle(InboundSms(sender=phone_of(2), text="ok", message_id="in-3"))
    found = members(campaign_id)
    assert (found["P-0"].response, found["P-1"].response, found["P-2"].response) == ("callback", "declined", None)
    kinds = sorted(i.message_kind for i in OutboxItem.scan() if i.member_id)
    assert kinds == ["campaign_callback", "campaign_declined", "campaign_help"]
    [listed] = clinic.call("GET", "/api/v1/campaign-responses")[1]["responses"]
    assert listed["detail"] == {"said": "Dzień dobry, proszę o telefon po 16. Pozdrawiam"}
    handle(InboundSms(sender=phone_of(0), text="Dzień dobry, proszę o telefon po 16.  Pozdrawiam", message_id="in-1"))
    assert len(clinic.call("GET", "/api/v1/campaign-responses")[1]["responses"]) == 1  # a redelivery


# ---------------------------------------------------------------------------------------------
# The result


def test_the_result_compares_bookings_of_the_messaged_with_the_control_group(clinic, day, book, monkeypatch):
    """Given 40 members (half in the control group), 10 messaged and 2 controls who book within
    30 days (through the API and the history), the result per band gives the rates, the
    difference with its interval and the segments per extra booking."""
    lapsed(clinic, day, 40, months=(13,))
    campaign_id = clinic.launch({"name": "Powrót", "purpose": "marketing", "inactive_months_min": 12,
                                 "holdout_percent": 50})
    clinic.tick()
    found = members(campaign_id)
    messaged = sorted(pid for pid, m in found.items() if m.arm == "message")
    control = sorted(pid for pid, m in found.items() if m.arm == "control")
    for pid in messaged[:10]:
        appointment = book(days=5, patient_id=pid, phone=phone_of(int(pid[2:])), external_id=f"B-{pid}")
        invoke("PatientHistoryEventsFunction", bus_event("AppointmentBooked", appointment))
    clinic.history([visit_row(int(pid[2:]), day + timedelta(days=6), outcome="booked", visit="back",
                              booked_at=iso(now())) for pid in control[:2]])
    set_now(monkeypatch, warsaw_time(day, 10) + timedelta(days=61))
    status, shown = clinic.call("GET", f"/api/v1/campaigns/{campaign_id}")
    band = shown["result"]["bands"]["12-18"]
    assert band["messaged"]["members"] == len(messaged) and band["control"]["members"] == len(control)
    assert band["messaged"]["booked_30d"] == 10 and band["control"]["booked_30d"] == 2
    assert band["messaged"]["window_30d_passed"]
    difference = band["difference_30d"]
    expected = 10 / len(messaged) - 2 / len(control)
    assert difference["value"] == round(expected, 4)
    assert difference["ci95"][0] < difference["value"] < difference["ci95"][1]
    assert band["segments_per_extra_booking_30d"] == round(len(messaged) / (expected * len(messaged)), 1)
