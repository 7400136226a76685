"""Prepayment rules: which rule wins, what is asked for, and what bad settings are refused."""
from datetime import datetime, timedelta, timezone

import pytest

from odwolaj.core.errors import Forbidden, InvalidInput
from odwolaj.payments.rules import (
    MANDATORY,
    OPTIONAL,
    PatientStanding,
    PaymentRules,
    VisitOverride,
    decide,
    require_override_right,
)

BOOKED = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)  # Wednesday 10:00 in Warsaw
VISIT = BOOKED + timedelta(days=14)
REGULAR = PatientStanding(first_time=False)
NEWCOMER = PatientStanding(first_time=True)
BLACKLISTED = PatientStanding(first_time=False, blacklisted_until=BOOKED + timedelta(days=30))

RULES = PaymentRules.from_dict({
    "mode": "optional", "kind": "full", "amount": 15000, "first_visit_mandatory": True,
    "deadline": {"mode": "by_hour", "hour": "20:00", "hours_before_visit": 2},
    "specialists": {
        "dr Anna Nowak": {"mode": "mandatory", "kind": "deposit", "amount": 5000,
                          "deadline": {"mode": "before_visit", "hours_before_visit": 48}},
        "dr Jan Lis": {"mode": "none", "first_visit_mandatory": False},
    },
})


def requirement(standing=REGULAR, specialist=None, override=None, rules=RULES):
    return decide(rules, specialist=specialist, standing=standing, booked_at=BOOKED, starts_at=VISIT,
                  override=override)


def test_the_facility_rule_applies_to_a_regular_patient():
    found = requirement()
    assert (found.mode, found.amount, found.kind, found.deadline, found.reason) == (OPTIONAL, 15000, "full", None,
                                                                                   "facility")


def test_a_first_time_patient_must_pay_by_the_facility_deadline():
    found = requirement(NEWCOMER)
    assert (found.mode, found.reason) == (MANDATORY, "first_visit")
    assert found.deadline == datetime(2026, 11, 25, 19, 0, tzinfo=timezone.utc)  # 20:00 in Warsaw


def test_a_specialist_overrides_the_facility_and_inherits_what_it_does_not_set():
    found = requirement(specialist="dr Anna Nowak")
    assert (found.mode, found.amount, found.kind, found.reason) == (MANDATORY, 5000, "deposit", "specialist")
    assert found.deadline == VISIT - timedelta(hours=48)
    assert RULES.for_specialist("dr Anna Nowak").first_visit_mandatory is True  # inherited


def test_a_specialist_without_prepayment_asks_nothing_even_of_a_newcomer():
    assert requirement(NEWCOMER, specialist="dr Jan Lis") is None


def test_the_blacklist_wins_over_every_other_rule():
    for specialist in (None, "dr Jan Lis"):
        found = requirement(BLACKLISTED, specialist=specialist, override=VisitOverride("none"))
        assert (found.mode, found.reason) == (MANDATORY, "blacklist")
        assert found.deadline is not None


def test_an_expired_blacklist_entry_no_longer_counts():
    expired = PatientStanding(first_time=False, blacklisted_until=BOOKED - timedelta(seconds=1))
    assert requirement(expired).reason == "facility"


def test_a_facility_may_switch_the_blacklist_rule_off():
    rules = PaymentRules.from_dict({"mode": "none", "blacklist_mandatory": False})
    assert requirement(BLACKLISTED, rules=rules) is None


def test_a_visit_override_beats_the_first_time_and_specialist_rules():
    assert requirement(NEWCOMER, override=VisitOverride("none")) is None
    found = requirement(specialist="dr Jan Lis", override=VisitOverride("mandatory", amount=9900, kind="deposit"))
    assert (found.mode, found.amount, found.kind, found.reason) == (MANDATORY, 9900, "deposit", "override")


def test_an_override_without_an_amount_takes_the_rules_amount():
    assert requirement(override=VisitOverride("mandatory")).amount == 15000


def test_nothing_is_asked_without_rules():
    assert requirement(NEWCOMER, rules=PaymentRules(blacklist_mandatory=False)) is None


def test_rules_survive_their_round_trip():
    assert PaymentRules.from_dict(RULES.to_dict()) == RULES


@pytest.mark.parametrize("value, field", [
    ({"mode": "always", "amount": 100}, "mode"),
    ({"mode": "mandatory"}, "amount"),
    ({"mode": "none"}, "amount"),  # the blacklist rule is on by default and needs an amount
    ({"mode": "optional", "amount": 0}, "amount"),
    ({"mode": "optional", "amount": 150.5}, "amount"),
    ({"mode": "optional", "amount": "150"}, "amount"),
    ({"mode": "optional", "amount": 100, "kind": "half"}, "kind"),
    ({"mode": "optional", "amount": 100, "first_visit_mandatory": "yes"}, "first_visit_mandatory"),
    ({"mode": "optional", "amount": 100, "colour": "red"}, "colour"),
    ({"mode": "optional", "amount": 100, "specialists": {"dr X": {"blacklist_mandatory": False}}},
     "specialists.dr X.blacklist_mandatory"),
    ({"mode": "optional", "amount": 100, "specialists": {"dr X": {"deadline": {"mode": "before_visit"}}}},
     "specialists.dr X.deadline.hours_before_visit"),
])
def test_bad_rules_are_refused_with_the_field(value, field):
    with pytest.raises(InvalidInput) as refused:
        PaymentRules.from_dict(value)
    assert refused.value.field == field


@pytest.mark.parametrize("value, field", [
    ({"mode": "sometimes"}, "payment.mode"),
    ({"mode": "mandatory", "amount": -5}, "payment.amount"),
    ({"mode": "mandatory", "deadline": "tomorrow"}, "payment"),
    ("mandatory", "payment"),
])
def test_bad_visit_overrides_are_refused(value, field):
    with pytest.raises(InvalidInput) as refused:
        VisitOverride.from_payload(value)
    assert refused.value.field == field


def test_an_override_needs_the_right():
    require_override_right({"payments:override"})
    with pytest.raises(Forbidden, match="payments:override"):
        require_override_right(set())


def test_a_facility_without_rules_asks_nothing_of_a_blacklisted_patient():
    assert requirement(BLACKLISTED, rules=PaymentRules()) is None
