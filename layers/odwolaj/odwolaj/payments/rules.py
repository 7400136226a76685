"""Prepayment rules: does this patient have to pay for this visit, how much, by when.

A facility's rules (`Facility.payment_rules`) set a mode (none, optional, mandatory), what is paid
(the full price or a deposit, an amount in grosze) and the deadline rule (odwolaj.payments.deadlines);
a specialist may override any of these. Two switches make payment mandatory whatever the mode:
first-time patients (`first_visit_mandatory`) and blacklisted ones (`blacklist_mandatory`, on by
default). Staff holding the right `payments:override` may set the mode and amount of one visit.

Precedence, strongest first: the blacklist, the per-visit override, the first-time rule, the
specialist's rules, the facility's rules.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, time
from typing import Any, Iterable

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition

from odwolaj.core.clock import now, parse_iso
from odwolaj.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from odwolaj.core.transactions import conditionally
from odwolaj.core.validation import choice, flag, reject_unknown, whole_number
from odwolaj.data.models import Facility, Patient
from odwolaj.payments import deadlines
from odwolaj.payments.deadlines import DeadlineRule
from odwolaj.security.facilities import PAYMENTS_OVERRIDE

NONE = "none"
OPTIONAL = "optional"
MANDATORY = "mandatory"
MODES = (NONE, OPTIONAL, MANDATORY)
FULL = "full"
DEPOSIT = "deposit"
KINDS = (FULL, DEPOSIT)
MAX_AMOUNT = 10_000_000  # 100 000 zł: more is a typo
DEFAULT_DEADLINE = DeadlineRule(deadlines.BY_HOUR, hour=time(20, 0), hours_before_visit=2)
# What a specialist may set for their own visits (the blacklist switch is the facility's).
SPECIALIST_FIELDS = ("mode", "kind", "amount", "first_visit_mandatory", "deadline")


@dataclass(frozen=True)
class BlacklistPolicy:
    """A patient goes on the blacklist after `no_shows` uncancelled no-shows within `within_months`
    months, for `days` days (then off on their own unless staff extend it)."""

    no_shows: int
    within_months: int
    days: int

    @classmethod
    def from_dict(cls, value: object, field: str = "blacklist") -> "BlacklistPolicy":
        if not isinstance(value, dict):
            raise InvalidInput(f"{field} must be an object with no_shows, within_months and days", field=field)
        reject_unknown(value, ("no_shows", "within_months", "days"), prefix=f"{field}.", field=field)
        return cls(**{name: whole_number(value.get(name), f"{field}.{name}", 1, high, required=True)
                      for name, high in (("no_shows", 20), ("within_months", 24), ("days", 730))})

    def to_dict(self) -> dict[str, Any]:
        return {"no_shows": self.no_shows, "within_months": self.within_months, "days": self.days}


@dataclass(frozen=True)
class PaymentRules:
    mode: str = NONE
    kind: str = FULL
    amount: int | None = None  # grosze
    first_visit_mandatory: bool = False
    blacklist_mandatory: bool = True
    deadline: DeadlineRule = DEFAULT_DEADLINE
    specialists: dict[str, dict[str, Any]] = field(default_factory=dict)  # each: what differs from the facility
    blacklist: BlacklistPolicy | None = None  # automatic blacklisting; none: only staff put patients on it

    @classmethod
    def from_dict(cls, value: object, field_prefix: str = "", *, base: "PaymentRules | None" = None,
                  allowed: Iterable[str] | None = None) -> "PaymentRules":
        """Validate rules as the clinic API sends them (or as stored). `base` fills what is absent
        (a specialist's rules start from the facility's)."""
        if not isinstance(value, dict):
            raise InvalidInput(f"{field_prefix or 'payment rules'} must be an object", field=field_prefix or None)
        allowed = set(allowed or (*SPECIALIST_FIELDS, "blacklist_mandatory", "specialists", "blacklist"))
        reject_unknown(value, allowed, prefix=field_prefix)
        base = base or cls()
        rules = replace(
            base,
            mode=choice(value.get("mode", base.mode), field_prefix + "mode", MODES),
            kind=choice(value.get("kind", base.kind), field_prefix + "kind", KINDS),
            amount=amount_in_grosze(value.get("amount", base.amount), field_prefix + "amount"),
            first_visit_mandatory=flag(value.get("first_visit_mandatory", base.first_visit_mandatory),
                                        field_prefix + "first_visit_mandatory"),
            blacklist_mandatory=flag(value.get("blacklist_mandatory", base.blacklist_mandatory),
                                      field_prefix + "blacklist_mandatory"),
            deadline=(DeadlineRule.from_dict(value["deadline"], field_prefix + "deadline")
                      if "deadline" in value else base.deadline),
            specialists={},
            blacklist=(BlacklistPolicy.from_dict(value["blacklist"], field_prefix + "blacklist")
                       if value.get("blacklist") is not None else base.blacklist),
        )
        specialists = value.get("specialists", {})
        if not isinstance(specialists, dict):
            raise InvalidInput(f"{field_prefix}specialists must be an object keyed by specialist",
                               field=field_prefix + "specialists")
        own_rules = {}
        for name, own in specialists.items():
            # Validated against these rules, stored as given: a later facility change still applies.
            resolved = cls.from_dict(own, f"{field_prefix}specialists.{name}.", base=rules, allowed=SPECIALIST_FIELDS)
            own_rules[name] = {key: (resolved.deadline.to_dict() if key == "deadline" else own[key]) for key in own}
        rules = replace(rules, specialists=own_rules)
        rules.check_amount(field_prefix)
        return rules

    def check_amount(self, field_prefix: str = "") -> None:
        if self.amount is None and (self.mode != NONE or self.first_visit_mandatory or self.blacklist_mandatory):
            raise InvalidInput(
                f"{field_prefix}amount (grosze) is required when payment can be required (mode "
                "optional/mandatory, first_visit_mandatory or blacklist_mandatory)", field=field_prefix + "amount")

    def for_specialist(self, specialist: str | None) -> "PaymentRules":
        own = self.specialists.get(specialist or "")
        return self if own is None else PaymentRules.from_dict(own, base=self, allowed=SPECIALIST_FIELDS)

    def to_dict(self) -> dict[str, Any]:
        values = {"mode": self.mode, "kind": self.kind, "amount": self.amount,
                  "first_visit_mandatory": self.first_visit_mandatory, "blacklist_mandatory": self.blacklist_mandatory,
                  "deadline": self.deadline.to_dict(), "specialists": self.specialists,
                  "blacklist": self.blacklist.to_dict() if self.blacklist else None}
        return {name: value for name, value in values.items() if value is not None}


def amount_in_grosze(value: object, field: str) -> int | None:
    return whole_number(value, field, 1, MAX_AMOUNT, " of grosze (15000 is 150 zł)")


@dataclass(frozen=True)
class VisitOverride:
    """Staff's rule for one visit (the PUT body's `payment`); needs the right payments:override."""

    mode: str
    amount: int | None = None
    kind: str | None = None

    @classmethod
    def from_payload(cls, value: object) -> "VisitOverride":
        if not isinstance(value, dict):
            raise InvalidInput("payment must be an object with a mode", field="payment")
        reject_unknown(value, ("mode", "amount", "kind"), prefix="payment.", field="payment")
        kind = value.get("kind")
        return cls(mode=choice(value.get("mode"), "payment.mode", MODES),
                   amount=amount_in_grosze(value.get("amount"), "payment.amount"),
                   kind=None if kind is None else choice(kind, "payment.kind", KINDS))


def require_override_right(rights: Iterable[str]) -> None:
    if PAYMENTS_OVERRIDE not in set(rights or ()):
        raise Forbidden(f"this API key may not set a visit's payment rule; it needs the right {PAYMENTS_OVERRIDE} "
                        f"(odwolaj-admin issue-key --right {PAYMENTS_OVERRIDE})", field="payment")


@dataclass(frozen=True)
class PatientStanding:
    first_time: bool
    blacklisted_until: datetime | None = None

    def blacklisted(self, at: datetime) -> bool:
        return self.blacklisted_until is not None and self.blacklisted_until > at


@dataclass(frozen=True)
class PaymentRequirement:
    mode: str  # mandatory or optional
    amount: int  # grosze
    kind: str  # full or deposit
    deadline: datetime | None  # mandatory only: cancelled if unpaid by then
    reason: str  # blacklist, override, first_visit, specialist, facility


def decide(rules: PaymentRules, *, specialist: str | None, standing: PatientStanding, booked_at: datetime,
           starts_at: datetime, override: VisitOverride | None = None,
           timezone: str = "Europe/Warsaw") -> PaymentRequirement | None:
    """The requirement for one booking, or None when nothing is to be paid."""
    own = rules.for_specialist(specialist)
    amount = override.amount if override is not None and override.amount is not None else own.amount
    # A facility without any amount set (no rules at all) has nothing to ask a blacklisted patient for.
    if standing.blacklisted(booked_at) and rules.blacklist_mandatory and amount is not None:
        mode, reason = MANDATORY, "blacklist"
    elif override is not None:
        mode, reason = override.mode, "override"
    elif own.first_visit_mandatory and standing.first_time:
        mode, reason = MANDATORY, "first_visit"
    else:
        mode, reason = own.mode, ("specialist" if specialist in rules.specialists else "facility")
    if mode == NONE:
        return None
    if amount is None:
        raise InvalidInput("payment.amount is required: the facility has no amount set", field="payment.amount")
    kind = (override.kind if override is not None and override.kind else None) or own.kind
    due = deadlines.deadline(own.deadline, booked_at, starts_at, timezone_name=timezone) if mode == MANDATORY else None
    return PaymentRequirement(mode=mode, amount=amount, kind=kind, deadline=due, reason=reason)


def facility_rules(facility: Facility) -> PaymentRules:
    return PaymentRules.from_dict(facility.payment_rules.as_dict()) if facility.payment_rules else PaymentRules()


def could_require(rules: PaymentRules) -> bool:
    """Whether any patient could have to pay (else no patient needs to be read)."""
    every = (rules, *(rules.for_specialist(name) for name in rules.specialists))
    if rules.blacklist_mandatory and rules.amount is not None:
        return True
    return any(r.mode != NONE or r.first_visit_mandatory for r in every)


def standing_of(facility_id: str, patient_id: str) -> PatientStanding:
    """First-time and blacklist standing from the patient's own item: one read, no scan."""
    try:
        patient = Patient.get(facility_id, patient_id)
    except DoesNotExist:
        return PatientStanding(first_time=True)
    until = parse_iso(patient.blacklisted_until) if patient.blacklisted_until else None
    return PatientStanding(first_time=not patient.bookings_count, blacklisted_until=until)


def requirement_for(facility_id: str, *, patient_id: str, specialist: str | None, starts_at: datetime,
                    booked_at: datetime | None = None, override: VisitOverride | None = None,
                    facility: Facility | None = None) -> PaymentRequirement | None:
    """Does this patient have to prepay for this visit, how much and by when (None: nothing to pay).
    Raises BookingCutoff / PrepaymentRefused when a mandatory payment leaves no time to pay."""
    booked_at = booked_at or now()
    facility = facility or get_facility(facility_id)
    rules = facility_rules(facility)
    if override is None and not could_require(rules):
        return None  # no patient read for a facility without prepayment
    return decide(rules, specialist=specialist, standing=standing_of(facility_id, patient_id), booked_at=booked_at,
                  starts_at=starts_at, override=override, timezone=facility.timezone)


def with_specialist(current: PaymentRules, specialist: str, value: object | None) -> PaymentRules:
    """The facility's rules with one specialist's own rules set (or with None removed), validated
    as a whole (InvalidInput names the field under `specialists.<name>.`)."""
    specialists: dict[str, object] = dict(current.specialists)
    if value is None:
        specialists.pop(specialist, None)
    else:
        specialists[specialist] = value
    return PaymentRules.from_dict({**current.to_dict(), "specialists": specialists})


def save_facility_rules(facility_id: str, value: object) -> PaymentRules:
    """Replace the facility's rules (validated first: refused rules write nothing)."""
    rules = PaymentRules.from_dict(value)
    _store(facility_id, rules)
    return rules


def save_specialist_rules(facility_id: str, specialist: str, value: object | None) -> PaymentRules:
    """Set (or with None remove) one specialist's own rules, keeping the facility's others. Written
    on the condition that the rules are still those read (a concurrent change makes it a Conflict)."""
    facility = get_facility(facility_id)
    rules = with_specialist(facility_rules(facility), specialist, value)
    stored = facility.payment_rules.as_dict() if facility.payment_rules else None
    _store(facility_id, rules, unchanged=(Facility.payment_rules == stored) if stored
           else Facility.payment_rules.does_not_exist())
    return rules


def _store(facility_id: str, rules: PaymentRules, unchanged: Condition | None = None) -> None:
    condition = Facility.facility_id.exists()
    if unchanged is not None:
        condition &= unchanged
    if not conditionally(lambda: Facility(facility_id).update(actions=[Facility.payment_rules.set(rules.to_dict())],
                                                              condition=condition)):
        get_facility(facility_id)  # NotFound when there is no such facility
        raise Conflict("the payment rules changed while this request was processed; retry")


def get_facility(facility_id: str) -> Facility:
    try:
        return Facility.get(facility_id)
    except DoesNotExist:
        raise NotFound(f"no facility {facility_id}") from None
