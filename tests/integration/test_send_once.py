"""Send once when the answer to the claim is lost (docs/messages.md, "Delivery guarantees"): the
claim is written before the provider call, and a write whose answer never came may or may not have
landed. The item tells which, by the attempt's claim id."""
from __future__ import annotations

import pytest
from pynamodb.exceptions import UpdateError

from odwolaj.data.models import OutboxItem
from odwolaj.messaging import outbound_sms
from odwolaj.messaging.sending import SENT
from tests.conftest import RecordingGateway, queue_item


@pytest.fixture
def thanks(book):
    """A thank-you for a cancellation: a kind never sent again when in doubt (at most once)."""
    appointment = book(days=3)
    return queue_item(f"{appointment.appointment_id}:sms:cancelled", "cancelled", appointment.appointment_id)


def lose_the_first_answer(monkeypatch, *, landed: bool) -> None:
    """The first write to an outbox item (the claim) fails after it landed, or before."""
    real, calls = OutboxItem.update, []

    def update(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            if landed:
                real(self, *args, **kwargs)
            raise UpdateError("the connection dropped before the answer")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(OutboxItem, "update", update)


def test_a_claim_that_landed_but_whose_answer_was_lost_sends_the_message_once(thanks, monkeypatch):
    """Before: the attempt failed, the retry found a claim it took for a call in flight, and the
    message, never sent, was settled `unknown`: lost."""
    lose_the_first_answer(monkeypatch, landed=True)
    gateway = RecordingGateway()

    outcome = outbound_sms.deliver(thanks, gateway)
    again = outbound_sms.deliver(thanks, gateway)  # a duplicate delivery of the record

    assert outcome.state == again.state == SENT and len(gateway.sent) == 1
    assert OutboxItem.get(thanks.outbox_id).send_state == SENT


def test_a_claim_that_never_landed_fails_the_attempt_and_the_retry_sends_once(thanks, monkeypatch):
    lose_the_first_answer(monkeypatch, landed=False)
    gateway = RecordingGateway()

    with pytest.raises(UpdateError):
        outbound_sms.deliver(thanks, gateway)
    assert gateway.sent == []
    outbound_sms.deliver(thanks, gateway)  # the stream's retry

    assert len(gateway.sent) == 1 and OutboxItem.get(thanks.outbox_id).send_state == SENT
