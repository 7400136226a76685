"""Properties of campaign sending, on moto with the real domain code, for generated populations
and histories of what patients do meanwhile (hypothesis): nobody without consent for the
campaign's purpose (at the moment of sending) is ever messaged; nobody gets more than two touches;
the control group is never messaged. Each queued message is delivered one to three times, and the
clock jumps across nights, weekends and the 14 days of the follow-up."""
from __future__ import annotations

import itertools
from collections import Counter
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st, target

from odwolaj.campaigns import dispatch, drafts, history, launch, records, replies
from odwolaj.campaigns.history import granted
from odwolaj.core.clock import now
from odwolaj.core.errors import ConfirmationRequired
from odwolaj.data.models import CampaignMember, Conversation, Patient
from odwolaj.messaging import campaign_sms
from odwolaj.security.facilities import create_facility
from tests.campaign_helpers import months_before, warsaw_time, working_day
from tests.reserve_helpers import set_now

EXAMPLES = itertools.count()


@pytest.fixture(autouse=True)
def tables(aws):
    """The template's tables, once for all examples: each example is a facility of its own."""
    return aws
CONSENT = {"care": "consent_care", "marketing": "consent_marketing_sms"}

patient = st.fixed_dictionaries({
    "months": st.integers(6, 40),
    "care": st.sampled_from([None, True, False]),
    "marketing": st.sampled_from([None, True, False]),
    "deceased": st.booleans(),
    "opted_out": st.sampled_from([None, "campaigns", "everything"]),  # STOP to a campaign, or to visit messages
})
WAITS = [timedelta(minutes=1), timedelta(hours=10), timedelta(days=3), timedelta(days=14), timedelta(days=15)]


@st.composite
def histories(draw):
    """A population, and what happens between two dispatcher minutes: a patient withdraws or gives
    consent, replies STOP / TAK / NIE, or time passes (a minute, a night, the follow-up's 14 days)."""
    population = draw(st.lists(patient, min_size=1, max_size=10))
    someone = st.integers(0, len(population) - 1)
    actions = draw(st.lists(st.one_of(
        st.tuples(st.just("withdraw"), someone), st.tuples(st.just("grant"), someone),
        st.tuples(st.just("reply"), someone, st.sampled_from(["STOP", "TAK", "NIE", "hej"])),
        st.tuples(st.just("wait"), st.sampled_from(WAITS)),
    ), max_size=12))
    return population, actions


class Gateway:
    """Sends nothing; records who got what and whether, at that moment, they had consented."""

    name = "recording"

    def __init__(self, facility_id: str, purpose: str, by_phone: dict[str, str]):
        self.facility_id, self.purpose, self.by_phone = facility_id, purpose, by_phone
        self.sent: list[tuple[str, bool]] = []

    def send(self, message):
        patient = Patient.get(self.facility_id, self.by_phone[message.to])
        self.sent.append((self.by_phone[message.to], granted(getattr(patient, CONSENT[self.purpose]))))
        return f"m-{len(self.sent)}"


# Found by mutating the send-time check away: consent withdrawn after the first touch.
@example(story=([{"months": 20, "care": True, "marketing": True, "deceased": False, "opted_out": None}],
                [("withdraw", 0)]), purpose="marketing", holdout=0, repeats=1)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(story=histories(), purpose=st.sampled_from(["care", "marketing"]), holdout=st.sampled_from([0, 10, 50]),
       repeats=st.integers(1, 3))
def test_consent_two_touches_and_the_control_group_hold_whatever_happens(moto_endpoint, monkeypatch, story,
                                                                         purpose, holdout, repeats):
    population, actions = story
    example = next(EXAMPLES)
    day = working_day(2)
    set_now(monkeypatch, warsaw_time(day, 10))
    facility_id = create_facility(f"Przychodnia {example}").facility.facility_id
    by_phone = {f"+4860{example:03d}{n:04d}": f"P-{n}" for n in range(len(population))}
    phone = {pid: number for number, pid in by_phone.items()}
    visits = [records.VisitRecord(f"P-{n}", phone[f"P-{n}"], f"V-{n}", months_before(day, p["months"]),
                                  "kardiologia", "attended") for n, p in enumerate(population)]
    history.apply_history(facility_id, visits)
    for n, p in enumerate(population):
        for kind, key in (("care", "care"), ("marketing", "marketing_sms")):
            if p[kind] is not None:
                decided = now() - timedelta(days=9)
                history.apply_consent(facility_id, records.ConsentRecord(f"P-{n}", key, p[kind], decided))
        if p["deceased"]:
            history.apply_history(facility_id, [records.PatientRecord(f"P-{n}", "deceased")])
        if p["opted_out"] == "campaigns":  # as a STOP to a campaign records it: the number and the patient
            Conversation(phone[f"P-{n}"]).update(actions=[Conversation.campaigns_opted_out.set(True)])
            Patient(facility_id, f"P-{n}").update(actions=[Patient.campaigns_opted_out.set(True)])
        if p["opted_out"] == "everything":  # STOP to visit messages: only the number knows
            Conversation(phone[f"P-{n}"]).update(actions=[Conversation.opted_out.set(True)])
    campaign = drafts.create(facility_id, drafts.DraftInput.from_payload(
        {"name": "P", "purpose": purpose, "inactive_months_min": 12, "holdout_percent": holdout}))
    try:
        launch.launch(campaign, None, by="test")
    except ConfirmationRequired as required:
        token = str(required.confirmation["token"])
    monkeypatch.setattr(launch.queues, "send", lambda _queue, _job: None)  # selection run inline below
    campaign = launch.launch(campaign, token, by="test")
    for job in launch.selection_jobs(campaign):
        while job:
            job = launch.select(job, lambda: 1000.0)
    gateway = Gateway(facility_id, purpose, by_phone)
    monkeypatch.setattr("odwolaj.campaigns.settings.provider_rate_per_second", lambda: 1000)

    def enqueue(releases) -> int:
        for release in releases:
            for _ in range(repeats):  # the queue may deliver a message more than once
                campaign_sms.deliver(release.member_id, release.touch, gateway)
        return len(releases)

    def minute():
        dispatch.tick(now(), enqueue)

    minute()
    for action in actions:
        if action[0] in ("withdraw", "grant"):
            key = "care" if purpose == "care" else "marketing_sms"
            decision = records.ConsentRecord(f"P-{action[1]}", key, action[0] == "grant", now())
            history.apply_consent(facility_id, decision)
        elif action[0] == "reply":
            conversation = _conversation(phone[f"P-{action[1]}"])
            if conversation is not None:
                replies.answer(conversation, action[2], f"in-{example}-{action[1]}-{action[2]}")
        elif action[0] == "wait":
            set_now(monkeypatch, now() + action[1])
        minute()
    set_now(monkeypatch, warsaw_time(working_day(40, after=day), 10))
    minute()

    target(float(len(gateway.sent)))  # steer towards histories that send
    assert all(consented for _pid, consented in gateway.sent), "a message went to a patient without consent"
    touches = Counter(pid for pid, _ in gateway.sent)
    assert max(touches.values(), default=0) <= 2
    control = {m.patient_id for m in CampaignMember.by_campaign.query(campaign.campaign_id) if m.arm == "control"}
    assert not control & set(touches)
    assert not {f"P-{n}" for n, p in enumerate(population) if p["opted_out"]} & set(touches)
    # Members: the segment at launch (a number's STOP to visit messages is seen only when sending).
    eligible_at_start = {f"P-{n}" for n, p in enumerate(population) if p["months"] >= 12 and p[purpose] is True
                         and not p["deceased"] and p["opted_out"] != "campaigns"}
    assert {m.patient_id for m in CampaignMember.by_campaign.query(campaign.campaign_id)} == eligible_at_start


def _conversation(number: str) -> Conversation | None:
    try:
        return Conversation.get(number)
    except Conversation.DoesNotExist:
        return None
