"""A booking that needs prepayment, through the clinic API (PUT /api/v1/appointments/{id}) against
moto: awaiting payment with its deadline and due-index keys, the payment-link SMS, the rights a
per-visit rule needs, and refusals that write nothing."""
import re
from datetime import datetime, timedelta, timezone

import pytest

from odwolaj.core.clock import iso, now, parse_iso
from odwolaj.core.ids import new_appointment_id, new_visit_code
from odwolaj.data.models import Appointment, Facility, OutboxItem, Patient
from odwolaj.messaging.outbound_sms import compose
from odwolaj.payments import booking
from odwolaj.payments.rules import PaymentRequirement, save_facility_rules
from odwolaj.security.facilities import issue_api_key
from odwolaj.security.links import link_signer
from tests.integration.test_clinic_api import call, key, payload, run_admin, stored_state  # noqa: F401 (fixtures)

RULES = {
    "mode": "optional", "kind": "full", "amount": 15000, "first_visit_mandatory": True,
    "deadline": {"mode": "after_booking", "hours_after_booking": 24, "hours_before_visit": 2},
}


@pytest.fixture
def rules(facility):
    return save_facility_rules(facility.facility.facility_id, RULES)


@pytest.fixture
def override_key(facility) -> str:
    return issue_api_key(facility.facility.facility_id, label="reception", rights={"payments:override"})


def queued_sms() -> list[str]:
    return sorted(item.message_kind for item in OutboxItem.scan() if item.kind == "sms")


def due_now(at: datetime) -> list[str]:
    return [item.appointment_id for shard in range(16)
            for item in Appointment.payments_due.query(f"p{shard:02d}", Appointment.payment_due_at <= iso(at))]


def test_a_first_time_patient_gets_a_reservation_awaiting_payment_and_the_payment_link(call, key, rules):
    status, view, _ = call("PUT", "appointments/HIS-1", key, payload(days=10))

    assert status == 201 and view["status"] == "awaiting_payment"
    deadline = parse_iso(view["payment"]["deadline"])
    assert view["payment"] | {"deadline": None} == {"mode": "mandatory", "amount": 15000, "kind": "full",
                                                    "deadline": None}
    assert timedelta(hours=23, minutes=59) < deadline - now() <= timedelta(hours=24)
    stored = next(Appointment.scan())
    assert stored.payment_due_at == stored.payment_deadline == view["payment"]["deadline"]
    assert re.fullmatch(r"p\d\d", stored.payment_shard)
    assert due_now(deadline) == [stored.appointment_id] and due_now(deadline - timedelta(seconds=1)) == []
    assert queued_sms() == ["payment_link"]  # instead of the plain booking message


def test_the_same_body_again_changes_nothing(call, key, rules):
    call("PUT", "appointments/HIS-1", key, payload(days=10))
    before = stored_state()

    status, view, _ = call("PUT", "appointments/HIS-1", key, payload(days=10))

    assert status == 200 and view["status"] == "awaiting_payment"
    assert stored_state() == before


def test_a_returning_patient_with_optional_payment_is_booked_with_the_amount(call, key, rules):
    call("PUT", "appointments/HIS-1", key, payload(days=10))

    status, view, _ = call("PUT", "appointments/HIS-2", key, payload(days=12))

    assert status == 201 and view["status"] == "booked"
    assert view["payment"] == {"mode": "optional", "amount": 15000, "kind": "full", "deadline": None}
    second = next(a for a in Appointment.scan() if a.external_id == "HIS-2")
    assert second.payment_shard is None and second.payment_due_at is None  # the sweep never sees it
    assert queued_sms() == ["payment_link", "payment_optional"]
    assert Patient.get(second.facility_id, "P-1").bookings_count == 2


def test_without_rules_nothing_is_asked(call, key):
    status, view, _ = call("PUT", "appointments/HIS-1", key, payload(days=10))

    assert (status, view["status"], view["payment"]) == (201, "booked", None)
    assert queued_sms() == ["booked"]


def test_a_blacklisted_patient_must_pay_whatever_the_visit_rule_says(call, override_key, facility, rules):
    Patient(facility.facility.facility_id, "P-1", phone="+48600100200", updated_at=iso(now()), bookings_count=5,
            blacklisted_until=iso(now() + timedelta(days=30))).save()

    status, view, _ = call("PUT", "appointments/HIS-1", override_key, payload(days=10, payment={"mode": "none"}))

    assert status == 201 and view["status"] == "awaiting_payment" and view["payment"]["mode"] == "mandatory"


def test_a_visit_rule_without_the_right_is_403_and_writes_nothing(call, key, rules):
    before = stored_state()

    status, answer, _ = call("PUT", "appointments/HIS-1", key, payload(days=10, payment={"mode": "none"}))

    assert status == 403
    assert answer["error"]["code"] == "forbidden" and answer["error"]["field"] == "payment"
    assert "payments:override" in answer["error"]["message"]
    assert stored_state() == before


def test_staff_with_the_right_set_one_visits_rule(call, override_key, rules):
    status, view, _ = call("PUT", "appointments/HIS-1", override_key,
                           payload(days=10, payment={"mode": "mandatory", "amount": 5000, "kind": "deposit"}))

    assert status == 201 and view["status"] == "awaiting_payment"
    assert (view["payment"]["amount"], view["payment"]["kind"]) == (5000, "deposit")

    status, view, _ = call("PUT", "appointments/HIS-2", override_key, payload(days=11, payment={"mode": "none"}))
    assert (status, view["payment"]) == (201, None)


def test_a_later_visit_rule_changes_nothing_and_a_repeat_still_answers_200(call, override_key, rules):
    call("PUT", "appointments/HIS-1", override_key, payload(days=10, payment={"mode": "mandatory"}))
    before = stored_state()

    status, view, _ = call("PUT", "appointments/HIS-1", override_key, payload(days=10, payment={"mode": "none"}))

    assert (status, view["status"]) == (200, "awaiting_payment")
    assert stored_state() == before


def test_a_bad_visit_rule_is_422(call, override_key, rules):
    status, answer, _ = call("PUT", "appointments/HIS-1", override_key, payload(payment={"mode": "sometimes"}))

    assert (status, answer["error"]["field"]) == (422, "payment.mode")


def test_a_booking_after_the_cutoff_hour_is_409_and_writes_nothing(call, key, facility):
    # A cut-off at midnight refuses every booking that needs prepayment, whenever the test runs.
    save_facility_rules(facility.facility.facility_id, {**RULES, "deadline": {
        "mode": "by_hour", "hour": "20:00", "booking_cutoff": "00:00"}})
    before = stored_state()

    status, answer, _ = call("PUT", "appointments/HIS-1", key, payload(days=10))

    assert (status, answer["error"]["code"]) == (409, "booking_cutoff")
    assert "00:00" in answer["error"]["message"]
    assert stored_state() == before


def test_a_visit_too_soon_for_the_deadline_rule_is_409(call, key, facility):
    save_facility_rules(facility.facility.facility_id, {**RULES, "mode": "mandatory", "deadline": {
        "mode": "before_visit", "hours_before_visit": 72}})

    status, answer, _ = call("PUT", "appointments/HIS-1", key, payload(days=2))

    assert (status, answer["error"]["code"]) == (409, "prepayment_too_late")


def test_the_payment_link_sms_names_the_deadline_in_words_and_opens_the_payment_page(call, key, facility, rules):
    call("PUT", "appointments/HIS-1", key, payload(days=10))
    appointment = next(Appointment.scan())
    appointment.payment_deadline = "2026-11-26T19:00:00Z"  # Thursday 20:00 in Warsaw

    message = compose("payment_link", appointment, Facility.get(appointment.facility_id), "ref")

    assert "do czwartku 26 listopada, godz. 20:00" in message.text  # sent transliterated: no diacritics here
    assert "150 zl" in message.text
    token = re.search(r"https://odw\.pl/p/(\S{18})", message.text).group(1)
    assert link_signer().resolve("p", token) == appointment.appointment_id


def test_no_payment_link_once_the_booking_no_longer_awaits_payment(call, key, facility, rules):
    call("PUT", "appointments/HIS-1", key, payload(days=10))
    appointment = next(Appointment.scan())
    appointment.status = "confirmed"

    assert compose("payment_link", appointment, Facility.get(appointment.facility_id), "ref") is None


def new_appointment(facility_id: str) -> Appointment:
    at = iso(now())
    return Appointment(appointment_id=new_appointment_id(), facility_id=facility_id, external_id="RES-1",
                       patient_id="P-9", phone="+48600100299", starts_at=iso(now() + timedelta(days=5)),
                       service="Poradnia kardiologiczna", status="booked", visit_code=new_visit_code(),
                       created_at=at, updated_at=at)


REQUIREMENT = PaymentRequirement(mode="mandatory", amount=15000, kind="full",
                                 deadline=datetime(2030, 1, 1, tzinfo=timezone.utc), reason="facility")


def test_a_claim_window_cuts_a_mandatory_deadline_but_never_extends_it(facility):
    soon = (now() + timedelta(minutes=10)).replace(microsecond=0)
    claimed, earlier_rule, optional = (new_appointment(facility.facility.facility_id) for _ in range(3))
    rule_first = PaymentRequirement(mode="mandatory", amount=15000, kind="full", deadline=soon - timedelta(minutes=5),
                                    reason="facility")
    optional_rule = PaymentRequirement(mode="optional", amount=15000, kind="full", deadline=None, reason="facility")

    kinds = (booking.apply(claimed, REQUIREMENT, claim_deadline=soon),
             booking.apply(earlier_rule, rule_first, claim_deadline=soon),
             booking.apply(optional, optional_rule, claim_deadline=soon))

    assert kinds == ("payment_link", "payment_link", "payment_optional")
    assert claimed.payment_deadline == iso(soon) and claimed.payment_due_at == iso(soon)
    assert earlier_rule.payment_deadline == iso(rule_first.deadline)
    assert (optional.status, optional.payment_deadline, optional.payment_shard) == ("booked", None, None)


def test_the_admin_command_issues_a_key_with_the_override_right(aws, call):
    created = run_admin("create-facility", "--name", "Przychodnia Zdrowie")
    save_facility_rules(created["facility_id"], RULES)

    issued = run_admin("issue-key", "--facility-id", created["facility_id"], "--right", "payments:override")

    assert issued["rights"] == ["payments:override"]
    assert call("PUT", "appointments/HIS-1", issued["api_key"], payload(payment={"mode": "none"}))[0] == 201
    assert call("PUT", "appointments/HIS-2", created["api_key"], payload(payment={"mode": "none"}))[0] == 403


def test_the_admin_command_refuses_an_unknown_right(aws, capsys):
    from odwolaj import cli

    created = run_admin("create-facility", "--name", "Przychodnia Zdrowie")
    assert cli.main(["issue-key", "--facility-id", created["facility_id"], "--right", "payments:everything"]) == 2
    assert "unknown right" in capsys.readouterr().err


def test_a_booking_awaiting_payment_moved_before_its_deadline_must_be_paid_by_the_visit(call, key, facility):
    save_facility_rules(facility.facility.facility_id, {**RULES, "mode": "mandatory", "deadline": {
        "mode": "after_booking", "hours_after_booking": 72, "hours_before_visit": 2}})
    first = call("PUT", "appointments/HIS-1", key, payload(days=10))[1]
    moved_to = (now() + timedelta(hours=30)).replace(microsecond=0)

    status, view, _ = call("PUT", "appointments/HIS-1", key, payload(starts_at=moved_to.isoformat()))

    assert status == 200 and view["payment"]["deadline"] == iso(moved_to) < first["payment"]["deadline"]
    stored = next(Appointment.scan())
    assert stored.payment_due_at == iso(moved_to)
    later = call("PUT", "appointments/HIS-1", key, payload(days=12))[1]
    assert later["payment"]["deadline"] == iso(moved_to)  # moved later: the deadline stays
