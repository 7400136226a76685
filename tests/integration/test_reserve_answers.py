"""The reserve list refills freed slots with patients who answer late: a yes counts while the slot
is free; a late yes to a taken slot is answered kindly and changes nothing; yeses close together
are decided by the queue's classes; a slot waits for patients until its cut-off and is reported
unfilled once, then; short-notice patients are asked first for slots less than a day away; and
nobody is asked in quiet hours. Against moto with the template's tables; the domain clock moves."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from odwolaj.appointments import lifecycle as appointments
from odwolaj.core.clock import WARSAW, iso, now, parse_iso
from odwolaj.data import events
from odwolaj.data.models import Appointment, FreedSlot, Offer, OutboxItem, WaitingEntry
from odwolaj.messaging.inbound_sms import InboundSms, Outcome, handle
from odwolaj.messaging.outbound_sms import deliver
from odwolaj.reserve import claims, offers, timer
from odwolaj.reserve.claims import Answer
from tests.conftest import RecordingGateway
from tests.integration.test_reserve_list import event_types, one_at_a_time, open_offers, sms_kinds
from tests.reserve_helpers import set_now, warsaw


@pytest.fixture
def free_at(book, at_noon):
    """Given a visit at `starts_at`, booked and cancelled: the freed slot after the stream ran."""
    def _free(starts_at: datetime, external_id: str = "HIS-1") -> FreedSlot:
        visit = book(external_id=external_id, starts_at=starts_at.isoformat(), phone="600 999 999",
                     patient_id=f"P-{external_id}")
        appointments.cancel(visit, channel="web", reason="cannot_attend")
        offers.offer_freed_slot(visit.appointment_id)
        return FreedSlot.get(visit.appointment_id)
    return _free


def offer_for(entry: WaitingEntry, slot: FreedSlot) -> Offer:
    return Offer.get(offers.offer_key(slot.slot_id, entry.entry_id))


def later(monkeypatch, **delta) -> None:
    set_now(monkeypatch, now() + timedelta(**delta))


def sent_to(entry: WaitingEntry, kind: str) -> list[str]:
    gateway = RecordingGateway()
    for item in OutboxItem.scan():
        if item.entry_id == entry.entry_id and item.message_kind == kind:
            deliver(item, gateway)
    return [sms.text for sms in gateway.sent]


def bookings() -> list[Appointment]:
    return [a for a in Appointment.scan() if a.waiting_entry_id]


# ---------------------------------------------------------------------------------------------
# A late yes


def test_a_late_yes_by_sms_takes_the_slot_while_nobody_else_has(join, freed, facility, monkeypatch):
    one_at_a_time(facility)
    slow, next_one = join(1), join(2)
    slot = freed()
    [offer_sms] = [i for i in OutboxItem.scan() if i.message_kind == "offer"]
    deliver(offer_sms, RecordingGateway())  # the offer reaches the slow patient's phone
    later(monkeypatch, minutes=16)
    timer.sweep()  # the pace passed: the next patient is asked too
    assert offer_for(slow, slot).status == "expired"
    assert [o.entry_id for o in open_offers(slot.slot_id)] == [next_one.entry_id]

    later(monkeypatch, hours=2)
    outcome = handle(InboundSms(sender=slow.phone, text="Tak", message_id="late-1"))

    assert outcome is Outcome.OFFER_ACCEPTED
    filled = FreedSlot.get(slot.slot_id)
    assert filled.status == "filled" and WaitingEntry.get(slow.entry_id).status == "served"
    [booking] = bookings()
    assert booking.waiting_entry_id == slow.entry_id and booking.starts_at == slot.starts_at
    claimed = [json.loads(i.detail)["data"] for i in OutboxItem.scan() if i.detail_type == events.SLOT_FILLED]
    assert [c["after_hold"] for c in claimed] == [True]
    assert offer_for(next_one, slot).status == "lost"  # its patient will be told if they answer


def test_a_late_yes_to_a_taken_slot_gets_the_kind_answer_and_changes_nothing(join, freed, monkeypatch):
    late, quick = join(1), join(2)
    slot = freed()
    assert claims.accept(offer_for(quick, slot), channel="web").answer is Answer.ACCEPTED
    later(monkeypatch, minutes=40)
    before = (FreedSlot.get(slot.slot_id).version, [b.appointment_id for b in bookings()])

    first = claims.accept(offer_for(late, slot), channel="sms")
    again = claims.accept(offer_for(late, slot), channel="web")

    assert (first.answer, first.changed, again.changed) == (Answer.TAKEN, True, False)
    assert (FreedSlot.get(slot.slot_id).version, [b.appointment_id for b in bookings()]) == before
    assert WaitingEntry.get(late.entry_id).status == "active"
    [told] = sent_to(late, "offer_taken")
    assert "zajal juz ktos inny" in told and "Zostajesz na liscie oczekujacych na swoim miejscu" in told


def test_the_offer_sms_names_the_slots_date_in_words_not_only_its_time(join, freed):
    patient = join(1)
    slot = freed(days=2, hour=10)  # Warsaw 10:00, three days from today

    [text] = sent_to(patient, "offer")

    day = parse_iso(slot.starts_at).astimezone(WARSAW)
    weekday = ("poniedzialek", "wtorek", "sroda", "czwartek", "piatek", "sobota", "niedziela")[day.weekday()]
    month = ("stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "wrzesnia",
             "pazdziernika", "listopada", "grudnia")[day.month - 1]
    assert f"zwolnil sie termin {weekday} {day.day} {month} o 10:00," in text  # sent transliterated


# ---------------------------------------------------------------------------------------------
# Fairness: the queue's classes decide between yeses close together


def test_a_yes_waits_a_grace_window_for_a_higher_class_and_the_best_ranked_yes_in_it_wins(join, freed,
                                                                                         monkeypatch):
    stable = join(1)
    urgent = join(2, category="pilny")
    slot = freed()  # one wave: the urgent patient, then the stable one

    first = claims.accept(offer_for(stable, slot), channel="sms")
    assert first.answer is Answer.PENDING and not bookings()
    held = FreedSlot.get(slot.slot_id)
    assert held.status == "offering" and held.claim_until == iso(now() + timedelta(minutes=5))
    later(monkeypatch, minutes=2)
    assert claims.accept(offer_for(urgent, slot), channel="web").answer is Answer.PENDING
    later(monkeypatch, minutes=2)
    timer.sweep()
    assert not bookings()  # the window is still open

    later(monkeypatch, minutes=2)
    timer.sweep()

    [booking] = bookings()
    assert booking.waiting_entry_id == urgent.entry_id
    assert FreedSlot.get(slot.slot_id).status == "filled"
    assert WaitingEntry.get(stable.entry_id).status == "active"
    assert len(sent_to(stable, "offer_taken")) == 1
    assert claims.accept(offer_for(stable, slot), channel="sms").changed is False  # told once


def test_the_window_ends_with_the_first_yes_when_no_higher_class_answers(join, freed, monkeypatch):
    stable = join(1)
    join(2, category="pilny")  # asked too, silent
    slot = freed()
    assert claims.accept(offer_for(stable, slot), channel="web").answer is Answer.PENDING

    later(monkeypatch, minutes=6)
    timer.sweep()

    [booking] = bookings()
    assert booking.waiting_entry_id == stable.entry_id
    assert claims.accept(offer_for(stable, slot), channel="web").answer is Answer.ACCEPTED


def test_within_one_class_the_first_yes_wins_at_once_and_a_no_from_a_higher_class_waits_for_nobody(
        join, freed):
    early, late_entry = join(1), join(2)  # both stable, the first entered earlier
    urgent = join(3, category="pilny")
    slot = freed()
    claims.decline(offer_for(urgent, slot), channel="sms")

    result = claims.accept(offer_for(late_entry, slot), channel="sms")

    assert result.answer is Answer.ACCEPTED  # no window: the urgent patient said no
    assert [b.waiting_entry_id for b in bookings()] == [late_entry.entry_id]
    assert claims.accept(offer_for(early, slot), channel="sms").answer is Answer.TAKEN


# ---------------------------------------------------------------------------------------------
# Never give up while time remains


def test_a_slot_with_nobody_to_ask_waits_and_goes_to_a_patient_who_joins(join, freed, monkeypatch):
    slot = freed()  # nobody on the list yet
    assert (slot.status, slot.offers_made) == ("offering", None)
    assert events.SLOT_UNFILLED not in event_types()

    newcomer = join(1)
    later(monkeypatch, minutes=15)
    timer.sweep()

    assert [o.entry_id for o in open_offers(slot.slot_id)] == [newcomer.entry_id]


def test_a_slot_waits_while_everyone_cools_down_and_is_offered_when_a_cool_down_ends(join, free_at, monkeypatch):
    patient = join(1)
    first = free_at(warsaw(3, 10), "HIS-A")  # offered to the only patient, who stays silent
    second = free_at(warsaw(3, 11), "HIS-B")
    assert not open_offers(second.slot_id) and FreedSlot.get(second.slot_id).status == "offering"
    rest_until = parse_iso(WaitingEntry.get(patient.entry_id).offer_cooldown_until)
    assert rest_until == parse_iso(offer_for(patient, first).hold_until) + timedelta(hours=1)  # a list of one

    for _ in range(4):  # the timer looks again now and then: still resting
        later(monkeypatch, minutes=15)
        timer.sweep()
    assert not open_offers(second.slot_id)
    set_now(monkeypatch, rest_until + timedelta(minutes=1))
    timer.sweep()

    assert [o.entry_id for o in open_offers(second.slot_id)] == [patient.entry_id]
    assert events.SLOT_UNFILLED not in event_types()


def test_slot_unfilled_is_reported_once_at_the_cut_off_with_the_reason(join, free_at, monkeypatch):
    silent = join(1)
    visit = warsaw(2, 10)
    slot = free_at(visit)
    cut_off = visit - timedelta(minutes=90)
    moment = now()
    while moment < cut_off - timedelta(minutes=30):  # the timer, every half hour until near the cut-off
        moment += timedelta(minutes=30)
        set_now(monkeypatch, moment)
        timer.sweep()
    assert FreedSlot.get(slot.slot_id).status == "offering" and events.SLOT_UNFILLED not in event_types()

    set_now(monkeypatch, cut_off + timedelta(seconds=30))
    timer.sweep()
    timer.sweep()

    closed = FreedSlot.get(slot.slot_id)
    assert (closed.status, closed.unfilled_reason) == ("unfilled", "not_taken")
    [unfilled] = [json.loads(i.detail)["data"] for i in OutboxItem.scan() if i.detail_type == events.SLOT_UNFILLED]
    assert (unfilled["reason"], unfilled["offers_made"]) == ("not_taken", 1)
    late = claims.accept(offer_for(silent, slot), channel="sms")  # a yes after the cut-off
    assert late.answer is Answer.EXPIRED and not bookings()
    assert "jest juz za pozno" in sent_to(silent, "offer_expired")[0]


def test_a_slot_nobody_could_be_asked_for_is_reported_at_its_cut_off(free_at, monkeypatch):
    visit = warsaw(1, 16)
    slot = free_at(visit)  # five hours ahead, an empty list
    set_now(monkeypatch, visit - timedelta(minutes=100))
    timer.sweep()
    assert FreedSlot.get(slot.slot_id).status == "offering"
    set_now(monkeypatch, visit - timedelta(minutes=89))
    timer.sweep()
    assert FreedSlot.get(slot.slot_id).unfilled_reason == "no_eligible_patient"
    assert event_types().count(events.SLOT_UNFILLED) == 1


# ---------------------------------------------------------------------------------------------
# Short notice and quiet hours


def test_a_slot_less_than_a_day_away_goes_first_to_those_who_can_come_at_short_notice(join, free_at):
    regular = [join(n) for n in range(1, 13)]
    flexible = join(13, short_notice=True)

    soon = free_at(warsaw(2, 9), "HIS-soon")  # 22 hours ahead: a wave of ten, the flexible one first
    later_slot = free_at(warsaw(5, 9), "HIS-later")  # days ahead: the list's order (the three not yet asked)

    assert {o.entry_id for o in open_offers(soon.slot_id)} == {flexible.entry_id} | {e.entry_id for e in regular[:9]}
    offered = [json.loads(i.detail)["data"] for i in OutboxItem.scan() if i.detail_type == events.SLOT_OFFERED]
    assert {o["short_notice"] for o in offered if o["slot_id"] == soon.slot_id} == {True}
    assert {o.entry_id for o in open_offers(later_slot.slot_id)} == {e.entry_id for e in regular[9:]}


def test_no_offer_in_quiet_hours_the_visits_own_day_starts_at_seven(join, book, monkeypatch, aws):
    join(1)
    join(2)
    set_now(monkeypatch, warsaw(1, 20, 30))
    tonight = book(external_id="HIS-N", starts_at=warsaw(1, 23).isoformat(), phone="600 999 999", patient_id="P-n")
    tomorrow = book(external_id="HIS-M", starts_at=warsaw(2, 12).isoformat(), phone="600 999 998", patient_id="P-m")
    for visit in (tonight, tomorrow):
        appointments.cancel(visit, channel="web")
        offers.offer_freed_slot(visit.appointment_id)

    assert not list(Offer.scan())  # 20:30: nobody is asked, not even for tonight's visit
    assert FreedSlot.get(tonight.appointment_id).unfilled_reason == "too_close"
    assert FreedSlot.get(tomorrow.appointment_id).offer_due_at == iso(warsaw(2, 7))
    set_now(monkeypatch, warsaw(2, 6, 59))
    timer.sweep()
    assert not list(Offer.scan())
    set_now(monkeypatch, warsaw(2, 7))
    timer.sweep()
    assert len(open_offers(tomorrow.appointment_id)) == 2


# ---------------------------------------------------------------------------------------------
# Failures on the way: a throttled write changes nothing, and the retry does the work once


def throttled_once(monkeypatch):
    """The next transaction of the claims module fails as DynamoDB throttling would (not a lost race)."""
    from pynamodb.exceptions import TransactWriteError

    real, calls = claims.transact, []

    def transact(write):
        calls.append(write)
        if len(calls) == 1:
            raise TransactWriteError("Throughput exceeds the current capacity")
        return real(write)

    monkeypatch.setattr(claims, "transact", transact)


def test_a_throttled_claim_changes_nothing_and_its_retry_takes_the_slot(join, freed, monkeypatch):
    from pynamodb.exceptions import TransactWriteError

    patient = join(1)
    slot = freed()
    throttled_once(monkeypatch)

    with pytest.raises(TransactWriteError):  # the handler fails: the provider or the stream retries it
        claims.accept(offer_for(patient, slot), channel="sms")
    assert FreedSlot.get(slot.slot_id).status == "offering" and not bookings()
    assert offer_for(patient, slot).status == "open" and not sms_kinds(patient.entry_id).count("offer_taken")

    retried = claims.accept(offer_for(patient, slot), channel="sms")

    assert retried.answer is Answer.ACCEPTED and [b.waiting_entry_id for b in bookings()] == [patient.entry_id]


def test_a_grace_windows_end_that_fails_is_decided_by_the_next_timer_run_once_and_holds_up_no_other_slot(
        join, freed, monkeypatch):
    stable = join(1)
    urgent = join(2, category="pilny")
    slot = freed()
    third = join(3)
    other_slot = freed(external_id="HIS-2", hour=12)  # offered to the third patient only
    claims.accept(offer_for(stable, slot), channel="sms")
    claims.accept(offer_for(urgent, slot), channel="sms")
    throttled_once(monkeypatch)
    later(monkeypatch, minutes=16)  # both are due: the window's end and the other slot's pace

    with pytest.raises(timer.SweepIncomplete) as failed:  # the run fails; the schedule runs it again
        timer.sweep()
    assert (failed.value.report.failed, failed.value.report.moved) == (1, 2)
    assert FreedSlot.get(slot.slot_id).claim_until and not bookings() and not sms_kinds(stable.entry_id).count(
        "offer_taken")
    assert offer_for(third, other_slot).status == "expired"  # the other slot went on meanwhile

    later(monkeypatch, minutes=1)
    timer.sweep()
    timer.sweep()

    assert [b.waiting_entry_id for b in bookings()] == [urgent.entry_id]
    assert sms_kinds(stable.entry_id).count("offer_taken") == 1 and offer_for(stable, slot).status == "lost"
