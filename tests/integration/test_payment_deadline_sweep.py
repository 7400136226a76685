"""The payment-deadline sweep against moto: cancels what is unpaid at its deadline, once, frees the
slot, tells the patient; never touches a paid booking; reads only what is due."""
from datetime import timedelta

import pytest

from odwolaj.adapters import stripe_api
from odwolaj.appointments import lifecycle as appointments
from odwolaj.core.clock import iso, now, parse_iso
from odwolaj.data.models import Appointment, FreedSlot, OutboxItem, Payment
from odwolaj.payments.rules import save_facility_rules
from odwolaj.security.links import link_signer
from odwolaj.usecases import payment_expiry as expiry
from odwolaj_local.aws import free_port
from odwolaj_local.lambdas import FakeLambdaContext, load_handler

RULES = {"mode": "mandatory", "kind": "deposit", "amount": 5000,
         "deadline": {"mode": "after_booking", "hours_after_booking": 24, "hours_before_visit": 2}}


@pytest.fixture
def awaiting(facility, book):
    """book(...) with mandatory prepayment: the booking awaits payment for 24 hours."""
    save_facility_rules(facility.facility.facility_id, RULES)

    def _book(**kwargs):
        appointment = book(**kwargs)
        assert appointment.status == "awaiting_payment"
        return appointment

    return _book


def deadline_of(appointment):
    return parse_iso(appointment.payment_deadline)


def messages() -> list[str]:
    return sorted(item.message_kind for item in OutboxItem.scan() if item.kind == "sms")


def events() -> list[str]:
    return sorted(item.detail_type for item in OutboxItem.scan() if item.kind == "event")


def pay(appointment: Appointment) -> None:
    """What the payment side does on payment: confirmed, out of the index, conditioned on the state
    (on a copy: the caller's object stays as it was read, like the sweep's)."""
    Appointment.get(appointment.appointment_id).update(
        actions=[Appointment.status.set("confirmed"), Appointment.version.add(1),
                 Appointment.payment_shard.remove(), Appointment.payment_due_at.remove()],
        condition=(Appointment.status == "awaiting_payment") & (Appointment.version == appointment.version))


def test_an_unpaid_booking_is_cancelled_at_its_deadline_and_its_slot_freed(awaiting, clock):
    appointment = awaiting(days=5)
    deadline = deadline_of(appointment)

    early = expiry.sweep(deadline - timedelta(seconds=1))
    report = expiry.sweep(deadline)

    assert (early.read, report.read, report.expired) == (0, 1, 1)
    stored = Appointment.get(appointment.appointment_id)
    assert stored.status == "cancelled"
    assert (stored.cancellation.channel, stored.cancellation.reason) == ("payment_expired", "unpaid")
    assert stored.payment_shard is None and stored.payment_due_at is None
    assert stored.payment_deadline == appointment.payment_deadline  # kept for the report
    assert FreedSlot.get(appointment.appointment_id).source == "payment_expired"
    assert messages() == ["payment_expired", "payment_link"]
    assert events() == ["AppointmentBooked", "AppointmentCancelled", "PaymentExpired", "SlotFreed"]


def test_repeated_and_overlapping_runs_cancel_once(awaiting):
    appointment = awaiting(days=5)
    deadline = deadline_of(appointment)
    stale = list(Appointment.payments_due.query(Appointment.get(appointment.appointment_id).payment_shard))

    first = expiry.sweep(deadline)
    again = expiry.sweep(deadline + timedelta(minutes=2))
    # An overlapping run that read the index before the first one wrote:
    report = expiry.SweepReport()
    expiry._settle(stale[0], deadline, report)

    assert (first.expired, again.read, report.expired, report.skipped) == (1, 0, 0, 1)
    assert messages() == ["payment_expired", "payment_link"]


def test_a_paid_booking_is_never_cancelled(awaiting):
    appointment = awaiting(days=5)
    pay(appointment)

    report = expiry.sweep(deadline_of(appointment) + timedelta(hours=1))

    assert report.read == 0
    assert Appointment.get(appointment.appointment_id).status == "confirmed"


def test_a_payment_racing_the_sweep_wins_over_a_stale_index_entry(awaiting):
    appointment = awaiting(days=5)
    seen = list(Appointment.payments_due.query(Appointment.get(appointment.appointment_id).payment_shard))[0]
    pay(appointment)  # lands between the sweep's index read and its own read

    report = expiry.SweepReport()
    expiry._settle(seen, deadline_of(appointment), report)

    assert (report.expired, report.skipped) == (0, 1)
    assert Appointment.get(appointment.appointment_id).status == "confirmed"
    assert "payment_expired" not in messages()


def test_a_payment_landing_between_the_sweeps_read_and_write_wins(awaiting, monkeypatch):
    appointment = awaiting(days=5)
    real_cancel = appointments.cancel

    def paid_first(current, **kwargs):
        pay(current)
        return real_cancel(current, **kwargs)

    monkeypatch.setattr(appointments, "cancel", paid_first)
    report = expiry.sweep(deadline_of(appointment))

    assert (report.read, report.expired, report.skipped) == (1, 0, 1)
    assert Appointment.get(appointment.appointment_id).status == "confirmed"
    assert not any(True for _ in FreedSlot.scan())


def test_a_patient_cancelling_first_leaves_nothing_for_the_sweep(awaiting):
    appointment = awaiting(days=5)
    appointments.cancel(appointment, channel="web", reason="cannot_attend")

    report = expiry.sweep(deadline_of(appointment) + timedelta(minutes=1))

    assert report.read == 0  # the cancellation took it out of the index
    assert Appointment.get(appointment.appointment_id).cancellation.channel == "web"


def test_a_visit_that_already_began_is_only_taken_out_of_the_index(awaiting):
    appointment = awaiting(days=5)
    # The sweep came too late: the visit began (cancel() refuses a visit that began).
    appointment.update(actions=[Appointment.starts_at.set(iso(now() - timedelta(minutes=1)))])

    report = expiry.sweep(deadline_of(appointment))

    assert (report.read, report.expired, report.released) == (1, 0, 1)
    stored = Appointment.get(appointment.appointment_id)
    assert stored.status == "awaiting_payment" and stored.payment_due_at is None
    assert expiry.sweep(deadline_of(appointment) + timedelta(days=1)).read == 0


def test_the_sweep_reads_only_due_items_in_bounded_runs(awaiting):
    visits = [awaiting(days=5, external_id=f"E{i}", patient_id=f"P{i}") for i in range(6)]
    deadline = max(deadline_of(v) for v in visits)
    # Three of them are due a day later: their deadline moves on.
    for later in visits[3:]:
        later.update(actions=[Appointment.payment_due_at.set(iso(deadline + timedelta(days=1)))])

    capped = expiry.sweep(deadline, max_items=2)
    rest = expiry.sweep(deadline)

    assert (capped.read, capped.expired) == (2, 2)
    assert (rest.read, rest.expired) == (1, 1)
    assert sorted(a.status for a in Appointment.scan()) == ["awaiting_payment"] * 3 + ["cancelled"] * 3


def test_the_scheduled_function_reports_counts_only(awaiting, clock):
    awaiting(days=5)
    clock(hours=25)

    result = load_handler("PaymentDeadlineSweepFunction")({}, FakeLambdaContext("PaymentDeadlineSweepFunction"))

    assert result == {"read": 1, "expired": 1, "skipped": 0, "released": 0, "sessions_left_open": 0, "stopped": False}


def open_checkout(http, appointment) -> str:
    """The patient opens the payment link: a Checkout Session is created; its id."""
    answer = http("GET", f"/p/{link_signer().issue('p', appointment.appointment_id)}")
    assert answer["statusCode"] == 303
    return answer["headers"]["Location"].rsplit("/", 1)[1]


def test_the_open_checkout_session_of_a_lapsed_booking_is_expired_at_stripe(awaiting, http, stripe_fake):
    appointment = awaiting(days=5)
    session_id = open_checkout(http, appointment)

    report = expiry.sweep(deadline_of(appointment))

    assert (report.expired, report.sessions_left_open) == (1, 0)
    assert stripe_fake.sessions[session_id]["status"] == "expired"
    assert Payment.get(appointment.appointment_id).status == "expired"


def test_a_throttled_read_while_expiring_the_session_is_tried_again_in_the_same_run(awaiting, http, stripe_fake,
                                                                                     monkeypatch):
    """Once cancelled, the booking has left the sweep's index: no later run would expire its
    session, so the run tries again itself (found by make faults)."""
    from botocore.exceptions import ClientError

    from odwolaj.payments import checkout

    appointment = awaiting(days=5)
    session_id = open_checkout(http, appointment)
    real, failed = checkout.expire_open_session, []

    def throttled_once(appointment_id):
        if not failed:
            failed.append(appointment_id)
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "injected"}}, "Query")
        return real(appointment_id)

    monkeypatch.setattr(checkout, "expire_open_session", throttled_once)
    monkeypatch.setattr(expiry, "SESSION_RETRY_SECONDS", 0)

    report = expiry.sweep(deadline_of(appointment))

    assert failed and (report.expired, report.sessions_left_open) == (1, 0)
    assert stripe_fake.sessions[session_id]["status"] == "expired"


def test_a_lost_answer_to_the_cancellation_still_expires_the_session(awaiting, http, stripe_fake, monkeypatch):
    """The cancellation was written but its answer lost: the booking has left the index, so no
    retried run would come back to it; the run reads it again and expires the session itself
    (found by make faults)."""
    from botocore.exceptions import ReadTimeoutError

    appointment = awaiting(days=5)
    session_id = open_checkout(http, appointment)
    real = appointments.cancel

    def answer_lost(*args, **kwargs):
        real(*args, **kwargs)
        raise ReadTimeoutError(endpoint_url="https://dynamodb.example")

    monkeypatch.setattr(appointments, "cancel", answer_lost)

    report = expiry.sweep(deadline_of(appointment))

    assert (report.expired, report.sessions_left_open) == (1, 0)
    assert stripe_fake.sessions[session_id]["status"] == "expired"
    assert messages() == ["payment_expired", "payment_link"]


def test_a_cancellation_that_failed_before_writing_leaves_the_booking_for_the_next_run(awaiting, http, stripe_fake,
                                                                                        monkeypatch):
    from botocore.exceptions import EndpointConnectionError

    appointment = awaiting(days=5)
    session_id = open_checkout(http, appointment)
    real = appointments.cancel

    def unreachable(*args, **kwargs):
        raise EndpointConnectionError(endpoint_url="https://dynamodb.example")

    monkeypatch.setattr(appointments, "cancel", unreachable)
    with pytest.raises(EndpointConnectionError):  # the function fails: its schedule runs it again
        expiry.sweep(deadline_of(appointment))
    assert Appointment.get(appointment.appointment_id).status == "awaiting_payment"
    assert stripe_fake.sessions[session_id]["status"] == "open"

    monkeypatch.setattr(appointments, "cancel", real)
    report = expiry.sweep(deadline_of(appointment))

    assert (report.expired, report.sessions_left_open) == (1, 0)
    assert stripe_fake.sessions[session_id]["status"] == "expired"


def test_stripe_out_of_reach_does_not_stop_the_cancellation(awaiting, http, stripe_fake, monkeypatch):
    appointment = awaiting(days=5)
    session_id = open_checkout(http, appointment)
    monkeypatch.setenv("STRIPE_API_BASE", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    stripe_api._client.cache_clear()

    report = expiry.sweep(deadline_of(appointment))

    assert (report.expired, report.sessions_left_open) == (1, 1)
    assert Appointment.get(appointment.appointment_id).status == "cancelled"
    assert Payment.get(appointment.appointment_id).status == "pending"  # a late payment is settled by the webhook
    assert stripe_fake.sessions[session_id]["status"] == "open"
