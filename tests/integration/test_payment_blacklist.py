"""The prepayment blacklist and the payment-rules routes, through the clinic API against moto."""
from datetime import timedelta
from urllib.parse import quote

import pytest

from odwolaj.core.clock import iso, now, parse_iso
from odwolaj.data.models import Appointment, Facility, OutboxItem, Patient
from odwolaj.language.gsm import transliterate
from odwolaj.language.polish import MONTHS as MONTHS_GENITIVE
from odwolaj.messaging.outbound_sms import compose
from odwolaj.payments.rules import save_facility_rules
from tests.integration.test_clinic_api import call, key, payload, stored_state  # noqa: F401 (fixtures)

FUTURE = "<in a month>"  # replaced by a date a month ahead when the test runs
RULES = {"mode": "none", "amount": 10000, "blacklist": {"no_shows": 2, "within_months": 6, "days": 90}}


@pytest.fixture
def rules(facility):
    return save_facility_rules(facility.facility.facility_id, RULES)


def in_a_month() -> str:
    return (now() + timedelta(days=30)).date().isoformat()


def queued_sms() -> list[str]:
    return sorted(item.message_kind for item in OutboxItem.scan() if item.kind == "sms")


def patient(facility) -> Patient:
    return Patient.get(facility.facility.facility_id, "P-1")


def no_show(call, key, external_id: str) -> None:
    assert call("POST", f"appointments/{external_id}/outcome", key, {"outcome": "no_show"})[0] == 200


def test_two_no_shows_within_six_months_put_the_patient_on_it_and_they_are_told(call, key, facility, rules, clock):
    call("PUT", "appointments/A", key, payload(days=1))
    call("PUT", "appointments/B", key, payload(days=2))
    clock(days=3)

    no_show(call, key, "A")
    assert patient(facility).blacklisted_until is None and "blacklisted_no_shows" not in queued_sms()
    no_show(call, key, "B")

    entry = call("GET", "patients/P-1/blacklist", key)[1]
    assert entry["blacklisted"] is True
    assert timedelta(days=89, hours=23) < parse_iso(entry["until"]) - now() <= timedelta(days=90)
    assert [(c["action"], c["by"]) for c in entry["history"]] == [("added", "rule")]
    assert "2 uncancelled no-shows within 6 months" in entry["history"][0]["reason"]
    assert len(entry["no_shows"]) == 2
    assert queued_sms().count("blacklisted_no_shows") == 1

    status, view, _ = call("PUT", "appointments/C", key, payload(days=10))
    assert (status, view["status"], view["payment"]["amount"]) == (201, "awaiting_payment", 10000)


def test_no_shows_older_than_the_window_do_not_count(call, key, facility, rules, clock):
    call("PUT", "appointments/A", key, payload(days=1))
    Patient(facility.facility.facility_id, "P-1").update(actions=[
        Patient.no_show_dates.set([iso(now() - timedelta(days=200))]), Patient.no_show_count.set(1)])
    clock(days=2)

    no_show(call, key, "A")

    assert call("GET", "patients/P-1/blacklist", key)[1]["blacklisted"] is False


def test_the_entry_ends_on_its_own_after_its_period(call, key, facility, rules, clock):
    for external_id, days in (("A", 1), ("B", 2)):
        call("PUT", f"appointments/{external_id}", key, payload(days=days))
    clock(days=3)
    no_show(call, key, "A")
    no_show(call, key, "B")

    clock(days=91)

    assert call("GET", "patients/P-1/blacklist", key)[1]["blacklisted"] is False
    status, view, _ = call("PUT", "appointments/C", key, payload(days=10))
    assert (status, view["status"], view["payment"]) == (201, "booked", None)


def test_staff_put_a_patient_on_it_extend_and_lift_it_each_change_recorded(call, key, facility, rules):
    call("PUT", "appointments/A", key, payload(days=10))
    until = iso(now() + timedelta(days=30))

    body = {"until": until, "reason": "repeated late cancellations"}
    status, entry, _ = call("PUT", "patients/P-1/blacklist", key, body)
    assert (status, entry["blacklisted"], entry["until"]) == (200, True, until)
    assert queued_sms().count("blacklisted") == 1

    again = stored_state()
    call("PUT", "patients/P-1/blacklist", key, body)
    assert stored_state() == again  # the same end again: nothing written, nothing sent

    later = (now() + timedelta(days=60)).date().isoformat()
    entry = call("PUT", "patients/P-1/blacklist", key, {"until": later, "reason": "no improvement"})[1]
    assert entry["until"].startswith((now() + timedelta(days=60)).date().isoformat()[:8])

    status, entry, _ = call("DELETE", "patients/P-1/blacklist", key, {"reason": "paid the outstanding fee"})
    assert (status, entry["blacklisted"], entry["until"]) == (200, False, None)
    actions = [(c["action"], c["reason"]) for c in entry["history"]]
    assert actions == [("added", "repeated late cancellations"), ("extended", "no improvement"),
                       ("lifted", "paid the outstanding fee")]
    assert all(c["by"].startswith("api_key:initial:") for c in entry["history"])

    lifted = stored_state()
    assert call("DELETE", "patients/P-1/blacklist", key, {"reason": "again"})[0] == 200
    assert stored_state() == lifted


def test_the_message_says_until_when_and_is_not_sent_once_lifted(call, key, facility, rules):
    call("PUT", "appointments/A", key, payload(days=10))
    day = (now() + timedelta(days=100)).date()
    assert call("PUT", "patients/P-1/blacklist", key, {"until": day.isoformat(), "reason": "x"})[0] == 200
    appointment = next(Appointment.scan())
    facility_item = Facility.get(appointment.facility_id)

    text = compose("blacklisted", appointment, facility_item, "ref").text
    assert f"do {day.day} {transliterate(MONTHS_GENITIVE[day.month - 1])} {day.year}" in text and "z gory" in text

    call("DELETE", "patients/P-1/blacklist", key, {"reason": "x"})
    assert compose("blacklisted", appointment, facility_item, "ref") is None


@pytest.mark.parametrize("method, body, status, field", [
    ("PUT", {"reason": "x"}, 422, "until"),
    ("PUT", {"until": "2020-01-01", "reason": "x"}, 422, "until"),
    ("PUT", {"until": "soon", "reason": "x"}, 422, "until"),
    ("PUT", {"until": FUTURE}, 422, "reason"),
    ("PUT", {"until": FUTURE, "reason": "  "}, 422, "reason"),
    ("PUT", {"until": FUTURE, "reason": "x", "by": "me"}, 422, "by"),
    ("DELETE", {"reason": "x", "until": FUTURE}, 422, "until"),
])
def test_bad_blacklist_requests_are_refused_and_write_nothing(call, key, rules, method, body, status, field):
    call("PUT", "appointments/A", key, payload(days=10))
    body = {name: in_a_month() if value == FUTURE else value for name, value in body.items()}
    before = stored_state()

    answer = call(method, "patients/P-1/blacklist", key, body)

    assert (answer[0], answer[1]["error"]["field"]) == (status, field)
    assert stored_state() == before


def test_an_unknown_patient_is_404(call, key, rules):
    assert call("GET", "patients/NOBODY/blacklist", key)[0] == 404
    assert call("PUT", "patients/NOBODY/blacklist", key, {"until": in_a_month(), "reason": "x"})[0] == 404


# --------------------------------------------------------------------------- payment rules


def test_the_rules_are_read_and_set_whole_and_per_specialist(call, key):
    status, current, _ = call("GET", "payment-rules", key)
    assert (status, current["mode"], current["blacklist_mandatory"]) == (200, "none", True)

    status, saved, _ = call("PUT", "payment-rules", key, RULES)
    assert (status, saved["blacklist"]) == (200, RULES["blacklist"])

    name = quote("dr Anna Nowak")
    status, saved, _ = call("PUT", f"payment-rules/specialists/{name}", key,
                            {"mode": "mandatory", "deadline": {"mode": "before_visit", "hours_before_visit": 24}})
    assert status == 200 and saved["specialists"]["dr Anna Nowak"]["mode"] == "mandatory"
    status, view, _ = call("PUT", "appointments/A", key, payload(days=10))  # the payload's specialist
    assert (view["status"], view["payment"]["amount"]) == ("awaiting_payment", 10000)

    status, saved, _ = call("DELETE", f"payment-rules/specialists/{name}", key)
    assert (status, saved["specialists"]) == (200, {})
    assert call("GET", "payment-rules", key)[1] == saved


def test_bad_rules_are_422_and_change_nothing(call, key, rules):
    before = call("GET", "payment-rules", key)[1]

    status, answer, _ = call("PUT", "payment-rules", key, {"mode": "mandatory", "amount": "sto"})

    assert (status, answer["error"]["field"]) == (422, "amount")
    assert call("GET", "payment-rules", key)[1] == before


def test_a_specialist_rule_written_over_a_concurrent_change_is_409(call, key, facility, rules, monkeypatch):
    from odwolaj.payments import rules as payment_rules

    real_get = payment_rules.get_facility

    def read_then_changed(facility_id):
        seen = real_get(facility_id)
        save_facility_rules(facility_id, {**RULES, "amount": 7000})  # another request, in between
        return seen

    monkeypatch.setattr(payment_rules, "get_facility", read_then_changed)
    status, answer, _ = call("PUT", "payment-rules/specialists/dr%20X", key, {"mode": "mandatory"})
    monkeypatch.setattr(payment_rules, "get_facility", real_get)

    assert (status, answer["error"]["code"]) == (409, "conflict")
    current = call("GET", "payment-rules", key)[1]
    assert (current["amount"], current["specialists"]) == (7000, {})
    assert call("PUT", "payment-rules/specialists/dr%20X", key, {"mode": "mandatory"})[1]["specialists"] == {
        "dr X": {"mode": "mandatory"}}
