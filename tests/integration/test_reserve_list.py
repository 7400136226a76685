"""The reserve list against moto with the template's tables: entries, order, offers, answers,
the timer, and the NFZ rules. The clock is fixed inside sending hours unless a test moves it."""
from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from odwolaj.appointments import lifecycle as appointments
from odwolaj.core.clock import iso, now, parse_iso
from odwolaj.core.errors import InvalidInput
from odwolaj.data import events
from odwolaj.data.models import Appointment, Conversation, FreedSlot, Offer, OutboxItem, WaitingEntry
from odwolaj.language.polish import MONTHS as MONTHS_GENITIVE
from odwolaj.messaging.inbound_sms import InboundSms, Outcome, handle
from odwolaj.messaging.outbound_sms import deliver
from odwolaj.reserve import claims, entries, offers, settings, timer
from odwolaj.reserve.entries import DuplicateReferral
from odwolaj.usecases import reception
from tests.conftest import RecordingGateway, queue_item
from tests.reserve_helpers import set_now, warsaw

WARSAW = ZoneInfo("Europe/Warsaw")


def sms_kinds(entry_id: str | None = None) -> list[str]:
    return sorted(i.message_kind for i in OutboxItem.scan()
                  if i.kind == "sms" and (entry_id is None or i.entry_id == entry_id))


def event_types() -> list[str]:
    return sorted(i.detail_type for i in OutboxItem.scan() if i.kind == "event")


def open_offers(slot_id: str) -> list[Offer]:
    return sorted((o for o in Offer.scan() if o.slot_id == slot_id and o.status == offers.OPEN),
                  key=lambda o: o.offered_at)


def offer_of(entry: WaitingEntry) -> Offer:
    [offer] = [o for o in Offer.scan() if o.entry_id == entry.entry_id]
    return offer


# ---------------------------------------------------------------------------------------------
# Entries


def test_joining_records_the_nfz_fields_and_tells_the_patient_place_and_forecast(join):
    first = join(1)
    second = join(2, category="pilny")
    third = join(3)

    stored = WaitingEntry.get(third.entry_id)
    assert (stored.list_number, stored.status, stored.consent) == (3, "active", True)
    assert stored.pesel and stored.entered_by and stored.reason and stored.planned_date
    # Urgent goes before stable: the third entry is behind both.
    assert (first.position_at_entry, second.position_at_entry, third.position_at_entry) == (1, 1, 3)
    item = next(i for i in OutboxItem.scan() if i.entry_id == third.entry_id and i.kind == "sms")
    gateway = RecordingGateway()
    deliver(item, gateway)
    [sms] = gateway.sent
    assert "miejsce 3" in sms.text and "Przewidywany termin" in sms.text and sms.to == "+48601000003"
    assert event_types() == [events.WAITING_LIST_JOINED] * 3
    assert "+48" not in json.dumps([i.detail for i in OutboxItem.scan() if i.kind == "event"])


@pytest.mark.parametrize("changes, field", [
    ({"consent": False}, "consent"),
    ({"consent": None}, "consent"),
    ({"patient": {"id": "W", "phone": "601 000 001", "pesel": "44051401358"}}, "patient.pesel"),
    ({"patient": {"id": "W", "phone": "601 000 001"}}, "patient.pesel"),
    ({"category": "sredni"}, "category"),
    ({"entitlement": "vip"}, "entitlement"),
    ({"planned_date": "2020-01-01"}, "planned_date"),
    ({"availability": [{"days": [8], "from": "08:00", "to": "12:00"}]}, "availability"),
])
def test_an_invalid_entry_is_refused_and_writes_nothing(join, changes, field):
    with pytest.raises(InvalidInput) as refused:
        join(1, **changes)
    assert refused.value.field == field
    assert list(WaitingEntry.scan()) == [] and list(OutboxItem.scan()) == []


def test_a_document_number_stands_in_for_a_missing_pesel(join):
    entry = join(1, patient={"id": "W-1", "phone": "601 000 001", "document_number": "ABC123456"})
    assert (entry.pesel, entry.document_number) == (None, "ABC123456")


def test_a_planned_week_is_allowed_only_for_waits_over_six_months(join):
    soon, late = now() + timedelta(days=60), now() + timedelta(days=220)
    with pytest.raises(InvalidInput):
        join(1, planned_date=f"{soon:%G}-W{soon:%V}")
    assert join(2, planned_date=f"{late:%G}-W{late:%V}").planned_date.startswith(f"{late:%G}-W")


def test_one_referral_one_list(join):
    join(1)
    with pytest.raises(DuplicateReferral):
        join(1, service="Poradnia okulistyczna")
    assert len(list(WaitingEntry.scan())) == 1


def test_strike_off_keeps_the_entry_with_date_and_reason_and_leaves_the_queue(join):
    entry = join(1)
    struck = entries.strike_off(entry, "patient_resigned", by="rejestracja")
    assert struck.status == "struck_off" and struck.strike_off.reason == "patient_resigned"
    assert struck.strike_off.at and struck.queue is None
    assert entries.strike_off(struck, "patient_resigned") .status == "struck_off"  # a repeat changes nothing
    assert entries.list_active(entry.facility_id, entry.service) == []
    assert event_types().count(events.WAITING_LIST_STRUCK_OFF) == 1
    with pytest.raises(InvalidInput):
        entries.strike_off(join(2), "bored")


def test_the_list_is_served_entitled_first_then_urgent_then_stable_each_by_entry_time(join):
    stable_early = join(1, entered_at=iso(now() - timedelta(days=30)))
    urgent_late = join(2, category="pilny")
    stable_late = join(3)
    entitled = join(4, entitlement="honorary_blood_donor")
    urgent_early = join(5, category="pilny", entered_at=iso(now() - timedelta(days=3)))

    order = [e.entry_id for e in entries.list_active(stable_early.facility_id, stable_early.service)]

    assert order == [e.entry_id for e in (entitled, urgent_early, urgent_late, stable_early, stable_late)]


def test_a_planned_date_change_is_told_to_the_patient(join):
    entry = join(1)
    later = (now() + timedelta(days=150)).date().isoformat()
    entries.update(entry, {"planned_date": later})
    assert sms_kinds(entry.entry_id) == ["planned_date_moved", "waitlist_joined"]
    assert events.PLANNED_DATE_CHANGED in event_types()
    entries.update(entries.get(entry.facility_id, entry.entry_id), {"planned_date": later})  # same date: nothing
    assert sms_kinds(entry.entry_id) == ["planned_date_moved", "waitlist_joined"]


# ---------------------------------------------------------------------------------------------
# Offers


def test_a_freed_slot_is_offered_to_the_first_eligible_patients_at_once_with_a_link(join, freed):
    wrong_doctor = join(1, category="pilny", specialist="dr Jan Kowalski")
    cannot_then = join(2, category="pilny", availability=[{"days": [1, 2, 3, 4, 5, 6, 7], "from": "14:00",
                                                          "to": "18:00"}])
    fits = [join(n) for n in range(3, 13)]

    slot = freed()

    assert slot.status == "offering" and slot.offer_wave == 1
    wave = open_offers(slot.slot_id)
    # The first wave of a slot two days ahead: the first eight who fit, in the list's order.
    assert sorted(o.entry_id for o in wave) == sorted(e.entry_id for e in fits[:8])
    assert not [o for o in Offer.scan() if o.entry_id in (wrong_doctor.entry_id, cannot_then.entry_id)]
    offer = offer_of(fits[0])
    item = next(i for i in OutboxItem.scan() if i.offer_id == offer.offer_id)
    gateway = RecordingGateway()
    deliver(item, gateway)
    [sms] = gateway.sent
    assert "TAK lub NIE" in sms.text and "/o/" in sms.text and sms.to == "+48601000003"
    local = parse_iso(slot.starts_at).astimezone(WARSAW)
    assert f"{local.day} {MONTHS_GENITIVE[local.month - 1]} o {local:%H:%M}" in sms.text  # the date in words
    assert offer.offer_id in Conversation.get("+48601000003").awaiting_offers
    assert event_types().count(events.SLOT_OFFERED) == 8


def test_a_redelivered_stream_record_offers_nothing_twice(join, freed):
    join(1)
    slot = freed()
    offers.offer_freed_slot(slot.slot_id)
    assert len(list(Offer.scan())) == 1 and sms_kinds().count("offer") == 1


def test_accepting_books_the_slot_marks_the_entry_served_and_fills_the_slot_in_one_go(join, freed):
    entry = join(1)
    slot = freed()
    offer = offer_of(entry)

    result = claims.accept(offer, channel="web")

    booking = Appointment.get(result.appointment_id)
    assert (booking.status, booking.starts_at, booking.phone) == ("booked", slot.starts_at, entry.phone)
    assert booking.waiting_entry_id == entry.entry_id
    assert WaitingEntry.get(entry.entry_id).status == "served"
    assert FreedSlot.get(slot.slot_id).status == "filled"
    assert Offer.get(offer.offer_id).status == "accepted"
    assert {events.OFFER_CLAIMED, events.SLOT_FILLED, events.APPOINTMENT_BOOKED} <= set(event_types())
    # A duplicate delivery of the same acceptance books nothing more.
    again = claims.accept(Offer.get(offer.offer_id), channel="web")
    assert again.changed is False and again.appointment_id == result.appointment_id
    assert len([a for a in Appointment.scan() if a.waiting_entry_id]) == 1
    assert sms_kinds().count("booked") == 2  # the cancelled visit's and the new one


def one_at_a_time(facility) -> None:
    """Given the facility offers one patient at a time (to follow a single offer's life)."""
    settings.save_strategy(facility.facility.facility_id, {"mode": "sequential"})


def test_declining_keeps_the_place_and_sends_the_next_wave_at_once(join, freed, facility):
    one_at_a_time(facility)
    first, second = join(1), join(2)
    slot = freed()

    claims.decline(offer_of(first), channel="sms")

    assert WaitingEntry.get(first.entry_id).status == "active"
    assert WaitingEntry.get(first.entry_id).offer_cooldown_until is None
    [offer] = open_offers(slot.slot_id)
    assert offer.entry_id == second.entry_id and offer.wave == 2
    assert "offer_declined" in sms_kinds(first.entry_id)


def test_the_timer_moves_on_from_an_unanswered_offer_and_the_silent_patient_cools_down(join, freed, monkeypatch,
                                                                                       facility):
    one_at_a_time(facility)
    silent, next_one, third = join(1), join(2), join(3)
    slot = freed()
    set_now(monkeypatch, now() + timedelta(minutes=16))

    report = timer.sweep()

    assert (report.read, report.expired) == (1, 1)
    assert offer_of(silent).status == "expired"
    assert [o.entry_id for o in open_offers(slot.slot_id)] == [next_one.entry_id]
    # Another slot freed now skips the silent patient (cooling down) and the one holding an offer.
    other = freed(external_id="HIS-2", hour=12)
    assert [o.entry_id for o in open_offers(other.slot_id)] == [third.entry_id]
    assert timer.sweep().read == 0  # nothing else is due
    # A list of three: the silent one rests an hour (the shortest cool-down), not a day.
    rest = parse_iso(WaitingEntry.get(silent.entry_id).offer_cooldown_until) - parse_iso(offer_of(silent).hold_until)
    assert rest == timedelta(hours=1)


def test_outside_sending_hours_the_wave_waits_for_eight_oclock(join, book, monkeypatch, aws):
    join(1)
    set_now(monkeypatch, warsaw(1, 21))
    appointment = book(starts_at=warsaw(3, 10).isoformat(), phone="600 999 999", patient_id="P-x")
    appointments.cancel(appointment, channel="web")

    offers.offer_freed_slot(appointment.appointment_id)

    slot = FreedSlot.get(appointment.appointment_id)
    assert slot.status == "offering" and not list(Offer.scan())
    assert slot.offer_due_at == iso(warsaw(2, 8))
    set_now(monkeypatch, warsaw(2, 8, 1))
    timer.sweep()
    assert len(list(Offer.scan())) == 1


def test_a_slot_too_close_to_reach_is_reported_unfilled(join, book, monkeypatch, aws):
    join(1)
    set_now(monkeypatch, warsaw(1, 11))
    appointment = book(starts_at=warsaw(1, 12).isoformat(), phone="600 999 999", patient_id="P-x")
    appointments.cancel(appointment, channel="sms")

    offers.offer_freed_slot(appointment.appointment_id)

    assert FreedSlot.get(appointment.appointment_id).status == "unfilled"
    assert events.SLOT_UNFILLED in event_types() and not list(Offer.scan())


def test_a_facility_in_waves_mode_offers_k_at_once_and_the_first_yes_wins(join, freed, facility):
    settings.save_strategy(facility.facility.facility_id, {"mode": "waves", "wave_size": 3})
    patients = [join(n) for n in range(1, 6)]
    slot = freed()
    wave = open_offers(slot.slot_id)
    assert {o.entry_id for o in wave} == {p.entry_id for p in patients[:3]}

    claims.accept(offer_of(patients[1]), channel="web")
    late = claims.accept(Offer.get(offer_of(patients[0]).offer_id), channel="sms")

    assert late.answer is claims.Answer.TAKEN
    assert sms_kinds(patients[0].entry_id).count("offer_taken") == 1
    assert WaitingEntry.get(patients[0].entry_id).status == "active"  # keeps the place
    assert Offer.get(offer_of(patients[2]).offer_id).status == "lost"


# ---------------------------------------------------------------------------------------------
# SMS replies


def test_tak_by_sms_takes_the_offer_it_answers(join, freed):
    entry = join(1)
    slot = freed()
    item = next(i for i in OutboxItem.scan() if i.message_kind == "offer")
    deliver(item, RecordingGateway())

    outcome = handle(InboundSms(sender="601 000 001", text="Tak", message_id="in-1"))

    assert outcome is Outcome.OFFER_ACCEPTED
    assert FreedSlot.get(slot.slot_id).status == "filled"
    assert not Conversation.get(entry.phone).awaiting_offers


def test_nie_by_sms_declines_the_offer_not_a_visit_of_the_same_number(join, freed, book):
    entry = join(1)
    own_visit = book(external_id="HIS-own", phone="601 000 001", patient_id="W-1",
                     starts_at=(now() + timedelta(days=30)).isoformat())
    deliver(queue_item("r-1", "reminder", own_visit.appointment_id), RecordingGateway())
    freed()
    deliver(next(i for i in OutboxItem.scan() if i.message_kind == "offer"), RecordingGateway())

    outcome = handle(InboundSms(sender="+48601000001", text="NIE", message_id="in-2"))

    assert outcome is Outcome.OFFER_DECLINED
    assert Appointment.get(own_visit.appointment_id).status == "booked"
    assert offer_of(entry).status == "declined"


def test_a_yes_after_a_no_takes_the_slot_while_it_is_free(join, freed, facility):
    one_at_a_time(facility)
    first, second = join(1), join(2)
    slot = freed()
    claims.decline(offer_of(first), channel="sms")
    [asked_next] = open_offers(slot.slot_id)

    changed_mind = claims.accept(offer_of(first), channel="web")

    assert changed_mind.answer is claims.Answer.ACCEPTED and changed_mind.changed
    assert FreedSlot.get(slot.slot_id).status == "filled"
    assert WaitingEntry.get(first.entry_id).status == "served"
    assert Offer.get(asked_next.offer_id).status == "lost"  # the next patient, asked meanwhile, is told if they answer
    assert WaitingEntry.get(second.entry_id).status == "active"


def test_a_yes_after_a_no_once_the_slot_is_taken_leaves_the_no_and_sends_nothing_more(join, freed, facility):
    one_at_a_time(facility)
    first, second = join(1), join(2)
    slot = freed()
    claims.decline(offer_of(first), channel="sms")
    claims.accept(offer_of(second), channel="sms")
    told_before = sms_kinds(first.entry_id)

    late = claims.accept(offer_of(first), channel="web")

    assert (late.answer, late.changed) == (claims.Answer.TAKEN, False)
    assert offer_of(first).status == "declined" and FreedSlot.get(slot.slot_id).status == "filled"
    assert sms_kinds(first.entry_id) == told_before == ["offer", "offer_declined", "waitlist_joined"]


def test_a_bare_nie_to_two_open_offers_declines_the_newer_and_says_which(join, freed, monkeypatch):
    entry = join(1)
    older = freed(external_id="HIS-1", hour=10)
    set_now(monkeypatch, now() + timedelta(minutes=16))
    timer.sweep()  # unanswered: still answerable, the patient rests a while (a short list: an hour)
    set_now(monkeypatch, now() + timedelta(hours=2))
    newer = freed(external_id="HIS-2", hour=12)
    for item in sorted((i for i in OutboxItem.scan() if i.message_kind == "offer"), key=lambda i: i.created_at):
        deliver(item, RecordingGateway())

    assert handle(InboundSms(sender="601 000 001", text="nie", message_id="in-3")) is Outcome.OFFER_DECLINED

    by_slot = {o.slot_id: o for o in Offer.scan() if o.entry_id == entry.entry_id}
    assert (by_slot[older.slot_id].status, by_slot[newer.slot_id].status) == ("expired", "declined")
    gateway = RecordingGateway()
    deliver(next(i for i in OutboxItem.scan() if i.message_kind == "offer_declined"), gateway)
    [thanks] = gateway.sent
    assert "12:00" in thanks.text and "10:00" not in thanks.text  # the patient sees which slot the NIE answered
    # They meant the other one; the newer one's page still takes it while it is free.
    assert claims.accept(by_slot[newer.slot_id], channel="web").answer is claims.Answer.ACCEPTED


# ---------------------------------------------------------------------------------------------
# NFZ: a no-show at a visit obtained from the list


def test_a_no_show_at_a_visit_from_the_list_strikes_the_entry_off(join, freed, monkeypatch):
    entry = join(1)
    freed()
    booking = Appointment.get(claims.accept(offer_of(entry), channel="web").appointment_id)
    set_now(monkeypatch, now() + timedelta(days=3))

    reception.record_visit_outcome(booking, "no_show")
    reception.record_visit_outcome(Appointment.get(booking.appointment_id), "no_show")  # recorded twice

    struck = WaitingEntry.get(entry.entry_id)
    assert struck.status == "struck_off" and struck.strike_off.reason == "no_show"
    assert event_types().count(events.WAITING_LIST_STRUCK_OFF) == 1


# ---------------------------------------------------------------------------------------------
# Pay-to-claim (issue 4's prepayment rules)


def first_visits_prepaid(facility) -> None:
    """Given the facility asks first-time patients to prepay, with 24 hours to pay."""
    from odwolaj.payments.rules import save_facility_rules

    save_facility_rules(facility.facility.facility_id, {
        "mode": "optional", "kind": "full", "amount": 15000, "first_visit_mandatory": True,
        "deadline": {"mode": "after_booking", "hours_after_booking": 24, "hours_before_visit": 2}})


def test_a_patient_who_must_prepay_holds_the_slot_for_the_claim_window_then_it_goes_to_the_next(
        join, freed, facility, monkeypatch):
    from odwolaj.usecases import payment_expiry as expiry

    first_visits_prepaid(facility)
    first, second = join(1), join(2)
    slot = freed()

    claim = claims.accept(offer_of(first), channel="sms")

    held = Appointment.get(claim.appointment_id)
    assert held.status == "awaiting_payment"
    # Held for the claim window (10 minutes), not the rule's 24 hours.
    assert abs((parse_iso(held.payment_deadline) - now()).total_seconds() - 600) < 5
    assert FreedSlot.get(slot.slot_id).status == "claimed"
    assert "payment_link" in [i.message_kind for i in OutboxItem.scan() if i.appointment_id == held.appointment_id]
    assert events.SLOT_FILLED not in event_types()

    # Unpaid: the deadline sweep cancels it, which frees the slot again; the stream offers it on.
    set_now(monkeypatch, now() + timedelta(minutes=11))
    expiry.sweep()
    offers.offer_freed_slot(held.appointment_id)

    assert WaitingEntry.get(first.entry_id).status == "active"  # back on the list, in its place
    [again] = open_offers(held.appointment_id)
    assert again.entry_id == second.entry_id


def test_a_claim_paid_in_time_fills_the_slot_once(join, freed, facility, http, stripe_fake):
    from tests.integration.test_stripe_webhook import deliver, opened

    first_visits_prepaid(facility)
    entry = join(1)
    slot = freed()
    held = Appointment.get(claims.accept(offer_of(entry), channel="sms").appointment_id)
    assert event_types().count(events.SLOT_FILLED) == 0

    paid = stripe_fake.pay(opened(http, stripe_fake, held))
    answers = [deliver(http, stripe_fake, paid)["statusCode"] for _ in range(2)]  # Stripe delivers it twice

    assert answers == [200, 200]
    assert Appointment.get(held.appointment_id).status == "confirmed"
    filled = FreedSlot.get(slot.slot_id)
    assert (filled.status, filled.filled_appointment_id) == ("filled", held.appointment_id)
    assert event_types().count(events.SLOT_FILLED) == 1



# ---------------------------------------------------------------------------------------------
# NFZ: after a planned week, the exact date reaches the patient 14 days ahead, confirmed


def _week(days_ahead: int) -> str:
    moment = now() + timedelta(days=days_ahead)
    return f"{moment:%G}-W{moment:%V}"


def _send_all(entry_id: str, gateway) -> None:
    for item in OutboxItem.scan():
        if item.entry_id == entry_id and item.kind == "sms":
            deliver(item, gateway)


def test_an_exact_date_delivered_in_time_is_confirmed_and_one_not_delivered_is_reported(join, monkeypatch):
    from odwolaj.messaging import deliveries
    from odwolaj.reserve import notices

    delivered, silent = join(1, planned_date=_week(220)), join(2, planned_date=_week(220))
    day = (now() + timedelta(days=215)).date().isoformat()
    gateway = RecordingGateway()
    for entry in (delivered, silent):
        entries.update(entry, {"planned_date": day})
        _send_all(entry.entry_id, gateway)
    assert "exact_date" in sms_kinds(delivered.entry_id)
    deliveries.report(WaitingEntry.get(delivered.entry_id).exact_date_message_id, deliveries.DELIVERED)
    assert notices.check().read == 0  # nothing due for months

    set_now(monkeypatch, now() + timedelta(days=202))
    report = notices.check()

    assert (report.confirmed, report.reported) == (1, 1)
    assert WaitingEntry.get(delivered.entry_id).exact_date_status == "confirmed"
    unconfirmed = [json.loads(i.detail) for i in OutboxItem.scan() if i.detail_type == events.EXACT_DATE_UNCONFIRMED]
    assert [e["data"]["entry_id"] for e in unconfirmed] == [silent.entry_id]
    assert notices.check().read == 0  # settled once


def test_an_exact_date_set_less_than_14_days_ahead_is_reported_at_once(join):
    entry = join(1, planned_date=_week(220))
    entries.update(entry, {"planned_date": (now() + timedelta(days=10)).date().isoformat()})
    assert events.EXACT_DATE_UNCONFIRMED in event_types()


def test_a_yes_from_a_patient_who_must_prepay_but_has_no_time_left_is_told_the_offer_lapsed(join, freed, facility):
    from odwolaj.payments.rules import save_facility_rules

    entry = join(1)
    slot = freed()
    save_facility_rules(facility.facility.facility_id, {
        "mode": "mandatory", "kind": "full", "amount": 15000,
        "deadline": {"mode": "before_visit", "hours_before_visit": 72}})

    result = claims.accept(offer_of(entry), channel="sms")

    assert result.answer is claims.Answer.EXPIRED
    assert FreedSlot.get(slot.slot_id).status == "offering" and not [a for a in Appointment.scan()
                                                                      if a.waiting_entry_id]
    assert sms_kinds(entry.entry_id).count("offer_expired") == 1


def test_a_wave_that_raced_a_strike_off_is_chosen_again_without_that_patient(join, book, monkeypatch):
    from odwolaj.reserve import order

    first, second = join(1), join(2)
    visit = book(starts_at=warsaw(3, 10).isoformat(), phone="600 999 999", patient_id="P-x")
    appointments.cancel(visit, channel="web")
    real_search = order.first_eligible

    def search_then_strike(slot, count, at, timezone="Europe/Warsaw", **options):
        found = real_search(slot, count, at, timezone, **options)
        if not WaitingEntry.get(first.entry_id).strike_off:  # the clinic strikes the first off meanwhile
            entries.strike_off(entries.get(first.facility_id, first.entry_id), "patient_resigned")
        return found

    monkeypatch.setattr(offers, "first_eligible", search_then_strike)
    offers.offer_freed_slot(visit.appointment_id)

    assert [o.entry_id for o in open_offers(visit.appointment_id)] == [second.entry_id]
