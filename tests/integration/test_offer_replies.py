"""SMS replies to a reserve-list offer ("Zwolnił się termin … Odpowiedz TAK lub NIE"): any refusal
declines it, a reply that is neither gets one answer saying what to reply, by when and where, and
STOP stops offers (not the place on the list, not a visit's reminders)."""
import json
import logging

import pytest
from pynamodb.exceptions import TransactWriteError

from odwolaj.appointments import lifecycle as appointments
from odwolaj.core.clock import now
from odwolaj.core.transactions import transact
from odwolaj.data.models import Appointment, Conversation, Offer, OutboxItem, WaitingEntry
from odwolaj.messaging import conversations, inbound_sms
from odwolaj.messaging.inbound_sms import InboundSms, Outcome, handle
from odwolaj.messaging.outbound_sms import deliver
from odwolaj.reserve import claims, entries, messages as reserve_messages, offers, replies as reserve_replies
from odwolaj.reserve.entries import EntryInput
from tests.conftest import RecordingGateway
from tests.reserve_helpers import entry_payload, set_now, warsaw

PATIENT = "+48601000001"


@pytest.fixture
def offered(facility, book, monkeypatch):
    """Given a waiting patient who was just sent an offer of a freed slot (at 11:00 in Warsaw)."""
    set_now(monkeypatch, warsaw(1, 11))
    entry = entries.join(facility.facility.facility_id, EntryInput.from_payload(entry_payload(1)))
    cancelled = book(external_id="HIS-1", starts_at=warsaw(3, 10).isoformat(), phone="600 999 999", patient_id="P-x")
    appointments.cancel(cancelled, channel="web", reason="cannot_attend")
    offers.offer_freed_slot(cancelled.appointment_id)
    gateway = RecordingGateway()
    [item] = [i for i in OutboxItem.scan() if i.message_kind == "offer"]
    deliver(item, gateway)
    return entry, Offer.get(item.offer_id), gateway


def answers(entry) -> list[OutboxItem]:
    """What the patient was told after the offer."""
    return [i for i in OutboxItem.scan() if i.entry_id == entry.entry_id and i.message_kind not in ("offer",
                                                                                                    "waitlist_joined")]


def test_a_reply_that_is_neither_yes_nor_no_gets_one_answer_with_what_to_reply_and_the_link(offered):
    entry, offer, gateway = offered

    assert handle(InboundSms(PATIENT, "A to na NFZ?", "m-1")) is Outcome.OFFER_HELPED
    assert handle(InboundSms(PATIENT, "Ile to kosztuje?", "m-2")) is Outcome.IGNORED  # once per offer

    [help_item] = [i for i in answers(entry) if i.message_kind == "offer_help"]
    deliver(help_item, gateway)
    text = gateway.sent[-1].text
    assert "Odpisz TAK" in text and "NIE" in text and "https://odw.pl/o/" in text
    assert "Czekamy do" not in text  # no reply-by hour: a yes counts while the slot is free (docs/reserve.md)
    assert Offer.get(offer.offer_id).status == "open"


@pytest.mark.parametrize("text", ["Nie mogę w tym terminie", "nie dam rady tak szybko", "Niestety nie, jestem w pracy"])
def test_any_refusal_declines_the_offer_and_keeps_the_place(offered, text):
    entry, offer, _ = offered

    assert handle(InboundSms(PATIENT, text, "m-1")) is Outcome.OFFER_DECLINED

    assert Offer.get(offer.offer_id).status == "declined"
    assert WaitingEntry.get(entry.entry_id).status == "active"


def freed_again(book, hour: int, day: int = 3) -> None:
    """Another visit of the same list is cancelled and its slot offered."""
    other = book(external_id=f"HIS-{hour}", starts_at=warsaw(day, hour).isoformat(), phone="600 999 998",
                 patient_id=f"P-{hour}")
    appointments.cancel(other, channel="web", reason="cannot_attend")
    offers.offer_freed_slot(other.appointment_id)


def offers_to(entry) -> int:
    return len([o for o in Offer.scan() if o.entry_id == entry.entry_id])


@pytest.mark.parametrize("text", ["STOP", "stop prosze", "Nie chcę więcej takich SMS-ów, STOP"])
def test_stop_to_an_offer_stops_offers_only_and_keeps_the_place(offered, book, monkeypatch, text):
    entry, _, gateway = offered

    assert handle(InboundSms(PATIENT, text, "m-1")) is Outcome.OFFERS_STOPPED

    stored = WaitingEntry.get(entry.entry_id)
    assert stored.status == "active" and stored.offers_stopped_at and stored.queue  # still on the list, in place
    assert not Conversation.get(PATIENT).opted_out  # reminders of a visit are another matter
    [told] = answers(entry)
    deliver(told, gateway)
    assert "nie wyslemy juz propozycji" in gateway.sent[-1].text and "START" in gateway.sent[-1].text
    [event] = [json.loads(i.detail)["data"] for i in OutboxItem.scan() if i.detail_type == "PatientOptedOut"]
    assert event == {"channel": "sms", "patient_id": entry.patient_id, "scope": "offers"}
    # A second STOP changes nothing and is not acknowledged again.
    assert handle(InboundSms(PATIENT, "STOP", "m-2")) is Outcome.OFFERS_STOPPED
    assert len(answers(entry)) == 1
    # The next freed slot is not offered to them, however long they have rested.
    set_now(monkeypatch, warsaw(1, 18))
    freed_again(book, 12)
    assert offers_to(entry) == 1


def test_a_stop_whose_write_failed_changes_nothing_and_the_retry_applies_it_once(offered, throttle_next):
    """STOP's effect, its acknowledgement, its event and the reply's record are one transaction: a
    throttled write leaves nothing half done, and the provider's retry of the same message applies
    it once."""
    entry, _, _ = offered
    throttle_next("ConversationsTable")

    with pytest.raises(TransactWriteError):
        handle(InboundSms(PATIENT, "STOP", "m-1"))
    assert WaitingEntry.get(entry.entry_id).offers_stopped_at is None
    assert answers(entry) == [] and not [i for i in OutboxItem.scan() if i.detail_type == "PatientOptedOut"]

    assert handle(InboundSms(PATIENT, "STOP", "m-1")) is Outcome.OFFERS_STOPPED
    assert handle(InboundSms(PATIENT, "STOP", "m-1")) is Outcome.OFFERS_STOPPED  # a duplicate delivery
    assert WaitingEntry.get(entry.entry_id).offers_stopped_at
    assert [i.message_kind for i in answers(entry)] == ["offers_stopped"]
    assert len([i for i in OutboxItem.scan() if i.detail_type == "PatientOptedOut"]) == 1


def test_start_to_an_offer_resumes_offers(offered, book, monkeypatch):
    entry, _, _ = offered
    handle(InboundSms(PATIENT, "STOP", "m-1"))

    assert handle(InboundSms(PATIENT, "START", "m-2")) is Outcome.OFFERS_STARTED

    assert WaitingEntry.get(entry.entry_id).offers_stopped_at is None
    assert sorted(i.message_kind for i in answers(entry)) == ["offers_started", "offers_stopped"]
    set_now(monkeypatch, warsaw(1, 18))
    freed_again(book, 12)
    assert offers_to(entry) == 2


@pytest.mark.parametrize("text, outcome, status", [("TAK", Outcome.OFFER_ACCEPTED, "accepted"),
                                                    ("NIE", Outcome.OFFER_DECLINED, "declined")])
def test_an_answer_whose_record_failed_is_answered_again_by_the_retry_and_applied_once(offered, throttle_next, text,
                                                                                       outcome, status):
    """The offer's answer went through, recording the reply did not (throttled): the offer still
    awaits the reply, so the provider's retry answers it the same and changes nothing twice (the
    accepted slot is the patient's visit to come, which a lost wait would have made it answer)."""
    entry, offer, _ = offered
    throttle_next("ConversationsTable")

    with pytest.raises(TransactWriteError):
        handle(InboundSms(PATIENT, text, "m-1"))
    assert Offer.get(offer.offer_id).status == status
    assert offer.offer_id in Conversation.get(PATIENT).awaiting_offers
    queued = sorted(i.outbox_id for i in OutboxItem.scan())

    assert handle(InboundSms(PATIENT, text, "m-1")) is outcome

    assert Offer.get(offer.offer_id).status == status
    assert sorted(i.outbox_id for i in OutboxItem.scan()) == queued
    assert not Conversation.get(PATIENT).awaiting_offers
    assert handle(InboundSms(PATIENT, text, "m-1")) is outcome  # a third delivery: its recorded outcome


def while_the_reply_is_read(monkeypatch, happening) -> list[bool]:
    """`happening` runs once, just after the reply's conversation is read (the list says it ran)."""
    real_load = inbound_sms.conversations.load
    raced: list[bool] = []

    def load_as_it_happens(number):
        conversation = real_load(number)
        if not raced:
            raced.append(True)
            happening()
        return conversation

    monkeypatch.setattr(inbound_sms.conversations, "load", load_as_it_happens)
    return raced


def test_a_reply_racing_the_offer_being_sent_is_decided_again_as_its_answer(offered, book, monkeypatch):
    """Given a waiting patient who also has a visit to come: a TAK read just before the offer was
    recorded as sent would be read against the visit (a bare yes to a booking: unclear). The offer
    makes a new version of the conversation, so the reply is decided again, as the offer's answer."""
    entry, offer, _ = offered
    book(external_id="HIS-2", starts_at=warsaw(5, 10).isoformat(), phone="601 000 001", patient_id=entry.patient_id)
    [item] = [i for i in OutboxItem.scan() if i.message_kind == "offer"]
    Conversation(PATIENT).update(actions=[Conversation.awaiting_offers.delete({offer.offer_id}),
                                          Conversation.last_offer_sent_at.remove()])  # not sent yet
    raced = while_the_reply_is_read(monkeypatch, lambda: reserve_messages.await_answer(item))

    assert handle(InboundSms(PATIENT, "TAK", "m-1")) is Outcome.OFFER_ACCEPTED
    assert raced and Offer.get(offer.offer_id).status == "accepted"


# ---------------------------------------------------------------------------------------------
# A no does not bind: a TAK after a NIE takes the slot while it is free (docs/reserve.md, "Replies")

SECOND = "+48601000002"


@pytest.fixture
def two_offered(facility, book, monkeypatch):
    """Given two waiting patients of one class, both just sent the offer of one freed slot."""
    set_now(monkeypatch, warsaw(1, 11))
    first, second = (entries.join(facility.facility.facility_id, EntryInput.from_payload(entry_payload(n)))
                     for n in (1, 2))
    cancelled = book(external_id="HIS-1", starts_at=warsaw(3, 10).isoformat(), phone="600 999 999", patient_id="P-x")
    appointments.cancel(cancelled, channel="web", reason="cannot_attend")
    offers.offer_freed_slot(cancelled.appointment_id)
    gateway = RecordingGateway()
    sent = {i.entry_id: i for i in OutboxItem.scan() if i.message_kind == "offer"}
    for item in sent.values():
        deliver(item, gateway)
    return (first, Offer.get(sent[first.entry_id].offer_id)), (second, Offer.get(sent[second.entry_id].offer_id)), \
        gateway


def bookings_of(offer) -> list[Appointment]:
    """The visits booked on the offer's slot from the list (a slot's booking id derives from the offer)."""
    slot_offers = [o.offer_id for o in Offer.scan() if o.slot_id == offer.slot_id]
    return [a for a in Appointment.scan() if a.appointment_id in {claims.booking_key(o) for o in slot_offers}]


def reminded_of_a_visit(book, monkeypatch, entry) -> Appointment:
    """The waiting patient also has a visit to come, whose two-way reminder went after the offer."""
    visit = book(external_id="HIS-2", starts_at=warsaw(5, 10).isoformat(), phone="601 000 001",
                 patient_id=entry.patient_id)
    set_now(monkeypatch, warsaw(1, 12))
    conversations.remember_sent(visit, "reminder_two_way")
    return visit


@pytest.mark.parametrize("no", ["NIE", "Nie mogę w tym terminie"])
def test_a_tak_after_a_nie_takes_the_offer_while_its_slot_is_free(offered, no):
    entry, offer, _ = offered
    assert handle(InboundSms(PATIENT, no, "m-1")) is Outcome.OFFER_DECLINED
    assert Offer.get(offer.offer_id).status == "declined"

    assert handle(InboundSms(PATIENT, "TAK", "m-2")) is Outcome.OFFER_ACCEPTED

    taken = Offer.get(offer.offer_id)
    assert (taken.status, taken.channel) == ("accepted", "sms")
    assert WaitingEntry.get(entry.entry_id).status == "served"
    [booking] = bookings_of(offer)
    assert booking.appointment_id == taken.appointment_id and booking.phone == PATIENT
    assert [i.message_kind for i in OutboxItem.scan() if i.appointment_id == booking.appointment_id
            and i.kind == "sms"] == ["booked"]
    queued = sorted(i.outbox_id for i in OutboxItem.scan())
    # The provider delivers the TAK again: its recorded outcome, nothing new.
    assert handle(InboundSms(PATIENT, "TAK", "m-2")) is Outcome.OFFER_ACCEPTED
    assert sorted(i.outbox_id for i in OutboxItem.scan()) == queued
    assert Conversation.get(PATIENT).declined_offer is None


def test_a_tak_after_a_nie_goes_to_a_visit_whose_reminder_asked_since(offered, book, monkeypatch):
    """The reminder asked last: the TAK answers it, not the declined offer."""
    entry, offer, _ = offered
    handle(InboundSms(PATIENT, "NIE", "m-1"))
    visit = reminded_of_a_visit(book, monkeypatch, entry)

    assert handle(InboundSms(PATIENT, "TAK", "m-2")) is Outcome.CONFIRMED

    assert Offer.get(offer.offer_id).status == "declined"
    assert appointments.get(visit.appointment_id).status == "confirmed"


@pytest.mark.parametrize("taken_by", ["page", "sms"])
def test_a_tak_after_a_nie_when_the_slot_was_taken_is_told_once_by_sms(two_offered, taken_by):
    (first, mine), (second, theirs), gateway = two_offered
    handle(InboundSms(PATIENT, "NIE", "m-1"))
    if taken_by == "page":
        claims.accept(theirs, channel="web")
    else:
        assert handle(InboundSms(SECOND, "TAK", "s-1")) is Outcome.OFFER_ACCEPTED

    assert handle(InboundSms(PATIENT, "TAK", "m-2")) is Outcome.OFFER_TAKEN

    assert [b.phone for b in bookings_of(mine)] == [SECOND]
    assert Offer.get(mine.offer_id).status == "declined"  # the no stands
    assert WaitingEntry.get(first.entry_id).status == "active"  # the place kept
    told = {i.message_kind: i for i in answers(first)}
    assert sorted(told) == ["offer_declined", "offer_taken"]
    deliver(told["offer_taken"], gateway)
    text = gateway.sent[-1].text
    assert "zajal juz ktos inny" in text and "na swoim miejscu" in text
    queued = sorted(i.outbox_id for i in OutboxItem.scan())
    assert handle(InboundSms(PATIENT, "TAK", "m-2")) is Outcome.OFFER_TAKEN  # the same delivery again
    assert handle(InboundSms(PATIENT, "Tak, biore", "m-3")) in (Outcome.OFFER_TAKEN, Outcome.IGNORED)
    assert sorted(i.outbox_id for i in OutboxItem.scan()) == queued  # told once


def test_the_first_yes_wins_whether_it_reconsiders_a_no_or_not(two_offered):
    """A TAK after a NIE, then the other patient's yes: the slot is the first one's, never both."""
    (first, mine), (second, theirs), _ = two_offered
    handle(InboundSms(PATIENT, "NIE", "m-1"))

    assert handle(InboundSms(PATIENT, "TAK", "m-2")) is Outcome.OFFER_ACCEPTED
    assert handle(InboundSms(SECOND, "TAK", "s-1")) is Outcome.OFFER_TAKEN

    assert [b.phone for b in bookings_of(mine)] == [PATIENT]
    assert WaitingEntry.get(second.entry_id).status == "active"
    assert [i.message_kind for i in answers(second)] == ["offer_taken"]


def test_a_tak_after_a_nie_past_the_cut_off_is_told_it_is_too_late(offered, monkeypatch):
    entry, offer, gateway = offered
    handle(InboundSms(PATIENT, "NIE", "m-1"))
    set_now(monkeypatch, warsaw(3, 9))  # an hour before the visit: past the 90-minute cut-off

    assert handle(InboundSms(PATIENT, "TAK", "m-2")) is Outcome.OFFER_TAKEN

    assert bookings_of(offer) == []
    [late] = [i for i in answers(entry) if i.message_kind == "offer_expired"]
    deliver(late, gateway)
    assert "jest juz za pozno" in gateway.sent[-1].text


def test_a_tak_delivered_before_its_nie_keeps_the_slot(offered):
    """Out of order: the TAK (sent second) arrives first and takes the slot; the NIE after it
    changes nothing (the offer was accepted)."""
    entry, offer, _ = offered
    assert handle(InboundSms(PATIENT, "TAK", "m-2")) is Outcome.OFFER_ACCEPTED
    handle(InboundSms(PATIENT, "NIE", "m-1"))

    assert Offer.get(offer.offer_id).status == "accepted"
    [booking] = bookings_of(offer)
    assert appointments.get(booking.appointment_id).status in ("booked", "confirmed")
    assert not [i for i in answers(entry) if i.message_kind == "offer_declined"]


def test_a_tak_after_a_nie_whose_record_failed_is_applied_once_by_the_retry(offered, throttle_next):
    entry, offer, _ = offered
    handle(InboundSms(PATIENT, "NIE", "m-1"))
    throttle_next("ConversationsTable")

    with pytest.raises(TransactWriteError):
        handle(InboundSms(PATIENT, "TAK", "m-2"))
    assert Offer.get(offer.offer_id).status == "accepted"
    assert Conversation.get(PATIENT).declined_offer == offer.offer_id  # the reply not yet recorded
    queued = sorted(i.outbox_id for i in OutboxItem.scan())

    assert handle(InboundSms(PATIENT, "TAK", "m-2")) is Outcome.OFFER_ACCEPTED

    assert sorted(i.outbox_id for i in OutboxItem.scan()) == queued
    assert len(bookings_of(offer)) == 1


# ---------------------------------------------------------------------------------------------
# START with no offer outstanding

def opted_events(detail_type: str) -> list[dict]:
    return sorted((json.loads(i.detail)["data"] for i in OutboxItem.scan() if i.detail_type == detail_type),
                  key=lambda data: data["scope"])


def test_start_resumes_the_offers_a_stop_stopped_with_no_offer_outstanding(offered, book, monkeypatch, caplog):
    """NIE, then STOP (to the declined offer: offers stopped), then, after the slot's day, START:
    no offer awaits the number and it has no visit, yet the START resumes its entry's offers."""
    caplog.set_level(logging.INFO)
    entry, offer, gateway = offered
    handle(InboundSms(PATIENT, "NIE", "m-1"))
    assert handle(InboundSms(PATIENT, "STOP", "m-2")) is Outcome.OFFERS_STOPPED
    assert WaitingEntry.get(entry.entry_id).offers_stopped_at
    set_now(monkeypatch, warsaw(4, 11))
    assert not reserve_replies.pending(Conversation.get(PATIENT))

    assert handle(InboundSms(PATIENT, "START", "m-3")) is Outcome.OFFERS_STARTED

    assert WaitingEntry.get(entry.entry_id).offers_stopped_at is None
    [started] = [i for i in answers(entry) if i.message_kind == "offers_started"]
    deliver(started, gateway)
    assert "znow wyslemy propozycje" in gateway.sent[-1].text
    assert opted_events("PatientOptedIn") == [{"channel": "sms", "patient_id": entry.patient_id, "scope": "offers"}]
    queued = sorted(i.outbox_id for i in OutboxItem.scan())
    assert handle(InboundSms(PATIENT, "START", "m-3")) is Outcome.OFFERS_STARTED  # redelivered
    handle(InboundSms(PATIENT, "START", "m-4"))  # a second START: nothing left to resume
    assert sorted(i.outbox_id for i in OutboxItem.scan()) == queued
    set_now(monkeypatch, warsaw(4, 12))
    freed_again(book, 12, day=6)
    assert offers_to(entry) == 2
    assert PATIENT not in caplog.text and "601000001" not in caplog.text


def test_start_about_a_visit_resumes_its_reminders_and_the_stopped_offers(offered, book, monkeypatch):
    """Offers stopped (STOP to an offer), reminders stopped (STOP to a visit's reminder): one START
    to the reminder resumes both, each acknowledged and recorded once."""
    entry, _, _ = offered
    handle(InboundSms(PATIENT, "STOP", "m-1"))
    visit = reminded_of_a_visit(book, monkeypatch, entry)
    assert handle(InboundSms(PATIENT, "STOP", "m-2")) is Outcome.OPTED_OUT

    assert handle(InboundSms(PATIENT, "START", "m-3")) is Outcome.OPTED_IN

    assert not Conversation.get(PATIENT).opted_out
    assert WaitingEntry.get(entry.entry_id).offers_stopped_at is None
    told = [i.message_kind for i in OutboxItem.scan() if i.kind == "sms" and i.outbox_id.endswith(":m-3")]
    assert sorted(told) == ["offers_started", "started"]
    assert opted_events("PatientOptedIn") == [
        {"channel": "sms", "patient_id": entry.patient_id, "scope": "offers"},
        {"channel": "sms", "patient_id": visit.patient_id, "scope": "reminders"}]


def test_start_about_a_visit_with_only_offers_stopped_resumes_them(offered, book, monkeypatch):
    entry, _, _ = offered
    handle(InboundSms(PATIENT, "STOP", "m-1"))
    reminded_of_a_visit(book, monkeypatch, entry)

    assert handle(InboundSms(PATIENT, "START", "m-2")) is Outcome.OFFERS_STARTED

    assert WaitingEntry.get(entry.entry_id).offers_stopped_at is None
    told = [i.message_kind for i in OutboxItem.scan() if i.kind == "sms" and i.outbox_id.endswith(":m-2")]
    assert told == ["offers_started"]


def test_a_start_racing_the_console_resuming_the_offers_is_decided_again(offered, monkeypatch):
    """Reception resumes the offers while the START is being decided: the START's change is
    conditioned on the entry still being stopped, so it is decided again and adds nothing."""
    entry, _, _ = offered
    handle(InboundSms(PATIENT, "STOP", "m-1"))
    real_to_switch = reserve_replies.to_switch
    raced: list[bool] = []

    def read_as_reception_resumes(conversation, *, stop):
        found = real_to_switch(conversation, stop=stop)  # the entry read still stopped
        if not raced:
            raced.append(True)
            transact(reserve_replies.switch_offers([WaitingEntry.get(entry.entry_id)], False, now()))
        return found

    monkeypatch.setattr(reserve_replies, "to_switch", read_as_reception_resumes)

    assert handle(InboundSms(PATIENT, "START", "m-2")) is Outcome.OFFERS_STARTED

    assert raced and WaitingEntry.get(entry.entry_id).offers_stopped_at is None
    assert [i for i in OutboxItem.scan() if i.outbox_id.endswith(":m-2")] == []
