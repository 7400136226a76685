"""SMS replies to a reserve-list offer ("Zwolnił się termin … Odpowiedz TAK lub NIE"): any refusal
declines it, a reply that is neither gets one answer saying what to reply, by when and where, and
STOP stops offers (not the place on the list, not a visit's reminders)."""
import json

import pytest
from pynamodb.exceptions import TransactWriteError

from odwolaj.appointments import lifecycle as appointments
from odwolaj.data.models import Conversation, Offer, OutboxItem, WaitingEntry
from odwolaj.messaging import inbound_sms
from odwolaj.messaging.inbound_sms import InboundSms, Outcome, handle
from odwolaj.messaging.outbound_sms import deliver
from odwolaj.reserve import entries, messages as reserve_messages, offers
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


def freed_again(book, hour: int) -> None:
    """Another visit of the same list is cancelled and its slot offered."""
    other = book(external_id=f"HIS-{hour}", starts_at=warsaw(3, hour).isoformat(), phone="600 999 998",
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


def test_a_reply_racing_the_offer_being_sent_is_decided_again_as_its_answer(offered, book, monkeypatch):
    """Given a waiting patient who also has a visit to come: a TAK read just before the offer was
    recorded as sent would be read against the visit (a bare yes to a booking: unclear). The offer
    makes a new version of the conversation, so the reply is decided again, as the offer's answer."""
    entry, offer, _ = offered
    book(external_id="HIS-2", starts_at=warsaw(5, 10).isoformat(), phone="601 000 001", patient_id=entry.patient_id)
    [item] = [i for i in OutboxItem.scan() if i.message_kind == "offer"]
    Conversation(PATIENT).update(actions=[Conversation.awaiting_offers.delete({offer.offer_id}),
                                          Conversation.last_offer_sent_at.remove()])  # not sent yet
    real_load = inbound_sms.conversations.load
    raced = []

    def load_as_the_offer_goes_out(number):
        conversation = real_load(number)
        if not raced:
            raced.append(True)
            reserve_messages.await_answer(item)
        return conversation

    monkeypatch.setattr(inbound_sms.conversations, "load", load_as_the_offer_goes_out)

    assert handle(InboundSms(PATIENT, "TAK", "m-1")) is Outcome.OFFER_ACCEPTED
    assert raced and Offer.get(offer.offer_id).status == "accepted"
