"""Stripe's webhook through the template's route and handler: events made by the local stand-in
(as Stripe makes them) and signed with the SDK's own WebhookSignature.generate_signature_header."""
import json
import time
from datetime import timedelta

import pytest
import stripe

from odwolaj.appointments import lifecycle as appointments
from odwolaj.data.models import Appointment, FreedSlot, OutboxItem, Payment
from odwolaj.payments import checkout
from odwolaj.security.links import link_signer


def opened(http, stripe_fake, appointment) -> str:
    """The patient opened the payment link: the id of the Checkout Session it made."""
    answer = http("GET", f"/p/{link_signer().issue('p', appointment.appointment_id)}")
    return answer["headers"]["Location"].rsplit("/", 1)[1]


def deliver(http, stripe_fake, event: dict, *, secret: str | None = None, timestamp: int | None = None,
            signature: str | None = "sign") -> dict:
    payload = json.dumps({k: v for k, v in event.items() if not k.startswith("_")})
    headers = {"content-type": "application/json"}
    if signature:
        headers["stripe-signature"] = stripe.WebhookSignature.generate_signature_header(
            payload, secret or stripe_fake.webhook_secret, timestamp=timestamp)
    return http("POST", "/webhooks/stripe", headers=headers, body=payload)


def sms_kinds(appointment) -> list[str]:
    return sorted(item.message_kind for item in OutboxItem.scan()
                  if item.kind == "sms" and item.appointment_id == appointment.appointment_id
                  and item.message_kind != "booked")


def outbox_events(detail_type: str) -> list[dict]:
    return [json.loads(item.detail) for item in OutboxItem.scan() if item.detail_type == detail_type]


def stored(appointment) -> Appointment:
    return Appointment.get(appointment.appointment_id, consistent_read=True)


def state(appointment) -> tuple:
    payment = checkout.get_payment(appointment.appointment_id)
    return stored(appointment).status, stored(appointment).version, payment and payment.status, OutboxItem.count()


def test_a_paid_session_confirms_the_visit_leaves_the_deadline_index_and_tells_the_patient(
        http, stripe_fake, awaiting_payment):
    appointment = awaiting_payment(amount=8000)
    session_id = opened(http, stripe_fake, appointment)

    answer = deliver(http, stripe_fake, stripe_fake.pay(session_id))

    assert answer["statusCode"] == 200
    visit = stored(appointment)
    assert visit.status == "confirmed" and visit.version == appointment.version + 1
    assert visit.payment_shard is None and visit.payment_due_at is None  # the sweep never sees it again
    payment = Payment.get(appointment.appointment_id)
    assert (payment.status, payment.outcome, payment.amount_paid) == ("paid", "confirmed", 8000)
    assert payment.payment_intent == stripe_fake.sessions[session_id]["payment_intent"]
    assert sms_kinds(appointment) == ["payment_received"]
    [received] = outbox_events("PaymentReceived")
    assert received["data"] == {"appointment_id": appointment.appointment_id, "external_id": "HIS-1",
                                "amount": 8000, "currency": "pln", "outcome": "confirmed",
                                "starts_at": appointment.starts_at, "service": appointment.service,
                                "specialist": appointment.specialist}
    assert outbox_events("AppointmentConfirmed")[0]["data"]["channel"] == "payment"


def test_the_same_event_twice_is_applied_once(http, stripe_fake, awaiting_payment):
    appointment = awaiting_payment()
    event = stripe_fake.pay(opened(http, stripe_fake, appointment))
    deliver(http, stripe_fake, event)
    after_first = state(appointment)

    again = deliver(http, stripe_fake, event)

    assert again["statusCode"] == 200 and state(appointment) == after_first
    assert sms_kinds(appointment) == ["payment_received"]


def test_a_late_expired_event_after_completed_changes_nothing(http, stripe_fake, awaiting_payment):
    appointment = awaiting_payment()
    session_id = opened(http, stripe_fake, appointment)
    deliver(http, stripe_fake, stripe_fake.pay(session_id))
    after_paid = state(appointment)
    expired = stripe_fake.event("checkout.session.expired", {**stripe_fake.sessions[session_id], "status": "expired"})

    assert deliver(http, stripe_fake, expired)["statusCode"] == 200
    assert state(appointment) == after_paid


def test_a_bank_transfer_waits_for_the_bank_whatever_order_the_events_come_in(http, stripe_fake, awaiting_payment):
    """Given a Przelewy24 transfer: `completed` says unpaid; the visit waits. The bank's success
    arrives first, the `completed` after it: confirmed once, the late `completed` changes nothing."""
    first, second = awaiting_payment(external_id="A"), awaiting_payment(external_id="B")
    waiting = stripe_fake.pay(opened(http, stripe_fake, first), delayed=True)
    deliver(http, stripe_fake, waiting)
    assert stored(first).status == "awaiting_payment" and sms_kinds(first) == []

    session_b = opened(http, stripe_fake, second)
    completed_b = stripe_fake.pay(session_b, delayed=True)
    succeeded_b = stripe_fake.bank_result(session_b, succeeded=True)
    deliver(http, stripe_fake, succeeded_b)
    deliver(http, stripe_fake, completed_b)  # delivered late

    assert stored(second).status == "confirmed" and sms_kinds(second) == ["payment_received"]
    deliver(http, stripe_fake, stripe_fake.bank_result(waiting["data"]["object"]["id"], succeeded=True))
    assert stored(first).status == "confirmed"


def test_a_declined_transfer_lets_the_patient_pay_again_with_a_new_session(http, stripe_fake, awaiting_payment):
    appointment = awaiting_payment()
    session_id = opened(http, stripe_fake, appointment)
    stripe_fake.pay(session_id, delayed=True)

    deliver(http, stripe_fake, stripe_fake.bank_result(session_id, succeeded=False))

    assert stored(appointment).status == "awaiting_payment"
    assert Payment.get(appointment.appointment_id).session_id is None
    assert opened(http, stripe_fake, appointment) != session_id


@pytest.mark.parametrize("attack", ["unsigned", "forged", "stale", "tampered"])
def test_unsigned_forged_stale_or_tampered_events_are_refused_and_change_nothing(
        http, stripe_fake, awaiting_payment, attack):
    appointment = awaiting_payment()
    event = stripe_fake.pay(opened(http, stripe_fake, appointment))
    before = state(appointment)

    if attack == "unsigned":
        answer = deliver(http, stripe_fake, event, signature=None)
    elif attack == "forged":
        answer = deliver(http, stripe_fake, event, secret="whsec_someone_else")
    elif attack == "stale":  # a replay of a genuine event more than Stripe's 5 minutes later
        answer = deliver(http, stripe_fake, event, timestamp=int(time.time()) - 600)
    else:
        payload = json.dumps({k: v for k, v in event.items() if not k.startswith("_")})
        signature = stripe.WebhookSignature.generate_signature_header(payload, stripe_fake.webhook_secret)
        answer = http("POST", "/webhooks/stripe", headers={"stripe-signature": signature},
                      body=payload.replace('"amount_total": 5000', '"amount_total": 1'))

    assert answer["statusCode"] == 400
    assert state(appointment) == before


def test_without_a_webhook_secret_every_event_is_refused(http, stripe_fake, awaiting_payment, aws):
    appointment = awaiting_payment()
    event = stripe_fake.pay(opened(http, stripe_fake, appointment))
    aws.client("ssm").delete_parameter(Name="/odwolaj/local/stripe-webhook-secret")
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()
    before = state(appointment)

    answer = deliver(http, stripe_fake, event)

    assert answer["statusCode"] >= 500 and state(appointment) == before


def expire_by_the_sweep(appointment) -> None:
    """What the deadline sweep does at the deadline: cancel (freeing the slot), expire the session."""
    appointments.cancel(appointments.get(appointment.appointment_id), channel="payment_expired", reason="unpaid")
    checkout.expire_open_session(appointment.appointment_id)


@pytest.mark.parametrize("slot_status", ["free", "unfilled"])  # not yet offered / nobody on the list took it
def test_a_payment_after_the_automatic_cancellation_reinstates_the_visit_while_its_slot_is_untaken(
        http, stripe_fake, awaiting_payment, slot_status):
    appointment = awaiting_payment()
    session_id = opened(http, stripe_fake, appointment)
    stripe_fake.pay(session_id, delayed=True)  # a transfer started in time...
    expire_by_the_sweep(appointment)
    FreedSlot(appointment.appointment_id).update(actions=[FreedSlot.status.set(slot_status)])
    assert Payment.get(appointment.appointment_id).status == "expired"

    deliver(http, stripe_fake, stripe_fake.bank_result(session_id, succeeded=True))  # ...arrives late

    visit = stored(appointment)
    assert visit.status == "confirmed" and visit.cancellation is None
    assert visit.history[-1].event == "reinstated"
    assert FreedSlot.get(appointment.appointment_id).status == "reinstated"  # the reserve list will not offer it
    assert (Payment.get(appointment.appointment_id).status, Payment.get(appointment.appointment_id).outcome) == \
        ("paid", "reinstated")
    assert sms_kinds(appointment) == ["payment_expired", "payment_reinstated"]
    assert outbox_events("AppointmentReinstated") and not stripe_fake.refunds


def test_a_payment_after_the_slot_went_to_someone_else_is_refunded_and_the_patient_told(
        http, stripe_fake, awaiting_payment):
    appointment = awaiting_payment(amount=6000)
    session_id = opened(http, stripe_fake, appointment)
    stripe_fake.pay(session_id, delayed=True)
    expire_by_the_sweep(appointment)
    FreedSlot(appointment.appointment_id).update(actions=[  # the reserve list offered it to someone
        FreedSlot.status.set("offering"), FreedSlot.offers_made.set(1)])
    late = stripe_fake.bank_result(session_id, succeeded=True)

    deliver(http, stripe_fake, late)
    deliver(http, stripe_fake, late)  # Stripe retries: still one refund

    assert stored(appointment).status == "cancelled"
    [refund] = stripe_fake.refunds.values()
    assert (refund["amount"], refund["payment_intent"]) == (6000, stripe_fake.sessions[session_id]["payment_intent"])
    [request] = stripe_fake.requests_to("POST", "/v1/refunds")
    assert request.idempotency_key == f"odwolaj-refund-{refund['payment_intent']}"
    payment = Payment.get(appointment.appointment_id)
    assert (payment.status, payment.outcome, payment.refund_id) == ("refunded", "refunded_late", refund["id"])
    assert sms_kinds(appointment) == ["payment_expired", "payment_refunded"]
    assert FreedSlot.get(appointment.appointment_id).status == "offering"

    # Stripe then reports the refund it made for us: already recorded, nothing changes.
    before = state(appointment)
    [charge_refunded] = [e for e in stripe_fake.events if e["type"] == "charge.refunded"]
    deliver(http, stripe_fake, charge_refunded)
    assert state(appointment) == before


def test_a_payment_for_a_visit_the_patient_cancelled_is_refunded(http, stripe_fake, awaiting_payment):
    appointment = awaiting_payment()
    session_id = opened(http, stripe_fake, appointment)
    appointments.cancel(appointments.get(appointment.appointment_id), channel="web")

    deliver(http, stripe_fake, stripe_fake.pay(session_id))

    assert stored(appointment).status == "cancelled" and len(stripe_fake.refunds) == 1
    assert FreedSlot.get(appointment.appointment_id).status == "free"  # never reinstated against the patient's wish
    assert Payment.get(appointment.appointment_id).status == "refunded"


def test_a_refund_made_by_the_clinic_in_stripe_is_recorded_and_the_visit_kept(http, stripe_fake, awaiting_payment):
    appointment = awaiting_payment()
    session_id = opened(http, stripe_fake, appointment)
    deliver(http, stripe_fake, stripe_fake.pay(session_id))
    charge = {"id": "ch_x", "object": "charge", "amount": 5000, "amount_refunded": 5000, "refunded": True,
              "currency": "pln", "payment_intent": stripe_fake.sessions[session_id]["payment_intent"],
              "metadata": {"appointment_id": appointment.appointment_id}}

    deliver(http, stripe_fake, stripe_fake.event("charge.refunded", charge))

    payment = Payment.get(appointment.appointment_id)
    assert (payment.status, payment.outcome) == ("refunded", "refunded_by_clinic")
    assert stored(appointment).status == "confirmed"
    assert outbox_events("PaymentRefunded")[0]["data"]["outcome"] == "refunded_by_clinic"


def test_events_that_are_not_ours_or_not_handled_are_acknowledged_and_change_nothing(
        http, stripe_fake, awaiting_payment):
    appointment = awaiting_payment()
    before = state(appointment)
    foreign = stripe_fake.event("checkout.session.completed", {
        "id": "cs_other", "object": "checkout.session", "payment_status": "paid", "metadata": {},
        "client_reference_id": None})
    other_kind = stripe_fake.event("customer.created", {"id": "cus_1", "object": "customer"})

    assert deliver(http, stripe_fake, foreign)["statusCode"] == 200
    assert deliver(http, stripe_fake, other_kind)["statusCode"] == 200
    assert state(appointment) == before


def test_a_refund_stripe_failed_to_make_is_made_when_stripe_retries_the_event(
        http, stripe_fake, awaiting_payment, monkeypatch):
    """Given a late payment whose refund call fails: the event fails (Stripe retries it); the
    retry makes the refund once, and the patient gets one message."""
    from odwolaj.adapters import stripe_api
    from odwolaj.core.errors import PaymentUnavailable

    appointment = awaiting_payment()
    session_id = opened(http, stripe_fake, appointment)
    appointments.cancel(appointments.get(appointment.appointment_id), channel="web")
    event = stripe_fake.pay(session_id)
    real_refund = stripe_api.refund

    def failing(*args, **kwargs):
        raise PaymentUnavailable("Stripe is down")

    monkeypatch.setattr(stripe_api, "refund", failing)
    assert deliver(http, stripe_fake, event)["statusCode"] == 500
    assert Payment.get(appointment.appointment_id).refund_id is None

    monkeypatch.setattr(stripe_api, "refund", real_refund)
    assert deliver(http, stripe_fake, event)["statusCode"] == 200

    assert len(stripe_fake.refunds) == 1
    assert Payment.get(appointment.appointment_id).refund_id in stripe_fake.refunds
    assert sms_kinds(appointment) == ["cancelled", "payment_refunded"]


def test_a_second_session_paid_for_a_paid_visit_is_refunded(http, stripe_fake, awaiting_payment):
    """Given two sessions of one visit both paid (the first one's result was late), the second
    payment is refunded: the visit is paid once."""
    appointment = awaiting_payment()
    first = opened(http, stripe_fake, appointment)
    late_first = stripe_fake.pay(first, delayed=True)
    deliver(http, stripe_fake, stripe_fake.event("checkout.session.expired", {**stripe_fake.sessions[first],
                                                                              "status": "expired"}))
    second = opened(http, stripe_fake, appointment)
    deliver(http, stripe_fake, stripe_fake.pay(second))
    assert late_first and stored(appointment).status == "confirmed"

    deliver(http, stripe_fake, stripe_fake.bank_result(first, succeeded=True))

    [refund] = stripe_fake.refunds.values()
    assert refund["payment_intent"] == stripe_fake.sessions[first]["payment_intent"]
    assert Payment.get(appointment.appointment_id).payment_intent == stripe_fake.sessions[second]["payment_intent"]
    assert stored(appointment).status == "confirmed" and sms_kinds(appointment) == ["payment_received"]


def test_a_payment_racing_the_deadline_sweep_is_decided_again_from_what_won(
        http, stripe_fake, awaiting_payment, monkeypatch):
    """Given the sweep cancels the booking between the webhook's read and its write, the
    confirmation's condition fails, and the payment is applied to the cancelled booking: its slot
    is still free, so it is reinstated."""
    from odwolaj.usecases import payment_webhook as webhook

    appointment = awaiting_payment()
    event = stripe_fake.pay(opened(http, stripe_fake, appointment))
    real_get, reads = appointments.get, []

    def stale_then_real(appointment_id):
        reads.append(appointment_id)
        snapshot = real_get(appointment_id)
        if len(reads) == 1:  # the sweep wins right after this read
            appointments.cancel(real_get(appointment_id), channel="payment_expired", reason="unpaid")
        return snapshot

    monkeypatch.setattr(webhook.appointments, "get", stale_then_real)

    assert deliver(http, stripe_fake, event)["statusCode"] == 200

    assert len(reads) == 2
    assert stored(appointment).status == "confirmed" and stored(appointment).history[-1].event == "reinstated"
    assert Payment.get(appointment.appointment_id).outcome == "reinstated" and not stripe_fake.refunds


# --- a late payment while the reserve list works on the freed slot: decided by the slot's state ---


def lapse_at(monkeypatch, http, stripe_fake, awaiting_payment, hour: int, minute: int = 0):
    """Given a prepaid booking whose bank transfer started in time, and the deadline sweep and the
    reserve list's stream both run at `hour`:`minute` Warsaw time the next day."""
    from odwolaj.reserve.offers import offer_freed_slot
    from odwolaj.usecases.payment_expiry import sweep
    from tests.reserve_helpers import set_now, warsaw

    set_now(monkeypatch, warsaw(1, hour, minute) - timedelta(hours=3))
    appointment = awaiting_payment(deadline_hours=2, days=6)
    session_id = opened(http, stripe_fake, appointment)
    stripe_fake.pay(session_id, delayed=True)
    set_now(monkeypatch, warsaw(1, hour, minute))
    assert sweep().expired == 1
    offer_freed_slot(appointment.appointment_id)  # the Slots stream's INSERT
    return appointment, session_id


def test_a_late_payment_at_night_reinstates_the_visit_whose_slot_waits_for_sending_hours(
        http, stripe_fake, awaiting_payment, monkeypatch, facility):
    """04:50 in Warsaw: the reserve list may not text anyone before 8:00, so the freed slot waits,
    offered to nobody. A transfer confirmed then gets its visit back (this failed on main at night:
    the payment was refunded)."""
    join_waiting_patient(facility)
    appointment, session_id = lapse_at(monkeypatch, http, stripe_fake, awaiting_payment, 4, 50)
    slot = FreedSlot.get(appointment.appointment_id)
    assert slot.status == "offering" and not slot.offers_made and slot.offer_due_at  # waiting for 8:00

    deliver(http, stripe_fake, stripe_fake.bank_result(session_id, succeeded=True))

    assert stored(appointment).status == "confirmed" and not stripe_fake.refunds
    slot = FreedSlot.get(appointment.appointment_id)
    assert slot.status == "reinstated" and slot.offer_due_at is None  # the timer will not send the wave
    from odwolaj.reserve.timer import sweep as offer_timer

    offer_timer()  # at 8:00 the timer finds nothing to send
    assert not [item for item in OutboxItem.scan() if item.message_kind == "offer"]


def test_a_late_payment_after_the_slot_was_offered_is_refunded_and_the_offer_stands(
        http, stripe_fake, awaiting_payment, monkeypatch, facility):
    """10:00: the freed slot is offered to a waiting patient at once; a transfer confirmed after that
    is refunded (the offer was made in good faith and stands)."""
    join_waiting_patient(facility)
    appointment, session_id = lapse_at(monkeypatch, http, stripe_fake, awaiting_payment, 10)
    assert FreedSlot.get(appointment.appointment_id).offers_made == 1

    deliver(http, stripe_fake, stripe_fake.bank_result(session_id, succeeded=True))

    assert stored(appointment).status == "cancelled" and len(stripe_fake.refunds) == 1
    assert FreedSlot.get(appointment.appointment_id).status == "offering"


def test_a_late_payment_before_the_reserve_list_saw_the_slot_reinstates_and_the_stream_then_skips_it(
        http, stripe_fake, awaiting_payment, monkeypatch, facility):
    from odwolaj.reserve.offers import offer_freed_slot
    from odwolaj.usecases.payment_expiry import sweep
    from tests.reserve_helpers import set_now, warsaw

    join_waiting_patient(facility)
    set_now(monkeypatch, warsaw(1, 7))
    appointment = awaiting_payment(deadline_hours=2, days=6)
    session_id = opened(http, stripe_fake, appointment)
    stripe_fake.pay(session_id, delayed=True)
    set_now(monkeypatch, warsaw(1, 10))
    sweep()

    deliver(http, stripe_fake, stripe_fake.bank_result(session_id, succeeded=True))  # before the stream
    assert offer_freed_slot(appointment.appointment_id) == "reinstated"  # the stream comes late: no offer

    assert stored(appointment).status == "confirmed" and not stripe_fake.refunds
    assert not [item for item in OutboxItem.scan() if item.message_kind == "offer"]


def join_waiting_patient(facility) -> None:
    from odwolaj.reserve import entries
    from tests.reserve_helpers import entry_payload

    entries.join(facility.facility.facility_id, entries.EntryInput.from_payload(entry_payload(1)))
