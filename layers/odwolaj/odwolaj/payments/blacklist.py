"""The prepayment blacklist, rule-based and fair.

A patient goes on it by the facility's rule (`payment_rules.blacklist`: N uncancelled no-shows
within M months puts them on it for D days) or by staff through the clinic API. The entry is only
its end, `Patient.blacklisted_until`, compared with the clock wherever it is read: it ends on its
own (no timer, no TTL) unless staff extend it, and staff can lift it. Every change is appended to
`Patient.blacklist_history` with who (`rule` or the API key's label and id), when and why, in the
same conditional write as the change. The patient is told by SMS why prepayment is now required
and until when.
"""
from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from odwolaj.core.clock import WARSAW, iso, now, parse_iso, to_utc
from odwolaj.core.errors import InvalidInput, NotFound
from odwolaj.core.transactions import apply_or_conflict
from odwolaj.core.validation import reject_unknown
from odwolaj.data.models import Appointment, BlacklistChange, Patient
from odwolaj.data.outbox import queue_sms
from odwolaj.payments import rules

RULE_ACTOR = "rule"
KEPT_NO_SHOWS = 20  # the latest no-shows' dates kept on the patient (more than any rule needs)
MAX_REASON = 300
BY_RULE = "blacklisted_no_shows"  # message kinds: odwolaj.messaging.outbound_sms.BLACKLIST_KINDS
BY_STAFF = "blacklisted"


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the month's last day if shorter)."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _patient(facility_id: str, patient_id: str) -> Patient | None:
    try:
        return Patient.get(facility_id, patient_id, consistent_read=True)
    except DoesNotExist:
        return None


def _until(patient: Patient | None) -> datetime | None:
    return parse_iso(patient.blacklisted_until) if patient and patient.blacklisted_until else None


def _change(at: datetime, action: str, by: str, reason: str, until: datetime | None) -> BlacklistChange:
    return BlacklistChange(at=iso(at), action=action, by=by, reason=reason, until=iso(until) if until else None)


def _count_condition(patient: Patient | None) -> Condition:
    """The no-show count the decision was made from (a concurrent no-show makes it retry)."""
    condition: Condition = (Patient.no_show_count.does_not_exist() | (Patient.no_show_count == 0)
                            if patient is None or not patient.no_show_count
                            else Patient.no_show_count == patient.no_show_count)
    return condition


def record_no_show(transaction: TransactWrite, appointment: Appointment, at: datetime) -> None:
    """Inside the no-show's own transaction: count it with its date and, when the facility's rule
    says so, put the patient on the blacklist and queue the message that says why and until when."""
    patient = _patient(appointment.facility_id, appointment.patient_id)
    dates = sorted([*(patient.no_show_dates or [] if patient else []), appointment.starts_at])[-KEPT_NO_SHOWS:]
    actions: list[Action] = [Patient.no_show_count.add(1), Patient.no_show_dates.set(dates)]
    policy = rules.facility_rules(rules.get_facility(appointment.facility_id)).blacklist
    current = _until(patient)
    if policy is not None and not (current and current > at):
        since = iso(months_before(parse_iso(appointment.starts_at), policy.within_months))
        recent = [d for d in dates if d >= since]
        if len(recent) >= policy.no_shows:
            until = at + timedelta(days=policy.days)
            reason = f"{len(recent)} uncancelled no-shows within {policy.within_months} months"
            actions += [Patient.blacklisted_until.set(iso(until)),
                        Patient.blacklist_history.set((Patient.blacklist_history | []).append(
                            [_change(at, "added", RULE_ACTOR, reason, until)]))]
            transaction.save(queue_sms(appointment, BY_RULE, at, "blacklisted"))
    transaction.update(Patient(appointment.facility_id, appointment.patient_id), actions=actions,
                       condition=_count_condition(patient))


# ---------------------------------------------------------------------------------------------
# Staff, through the clinic API


def actor_of(label: str | None, key_id: str) -> str:
    return f"api_key:{label or '-'}:{key_id}"


@dataclass(frozen=True)
class StaffChange:
    until: datetime | None
    reason: str

    @classmethod
    def from_payload(cls, payload: dict[str, Any], *, lifting: bool = False) -> "StaffChange":
        reject_unknown(payload, ("reason",) if lifting else ("until", "reason"))
        reason = payload.get("reason")
        if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
            raise InvalidInput(f"reason is required: why, in at most {MAX_REASON} characters", field="reason")
        return cls(until=None if lifting else _until_value(payload.get("until")), reason=reason.strip())


def _until_value(value: object) -> datetime:
    """A date (the end of that day in Poland) or a date-time with an offset, in the future."""
    if not isinstance(value, str):
        raise InvalidInput("until is required: an ISO-8601 date or date-time with an offset", field="until")
    try:
        if len(value) == 10:
            moment = to_utc(datetime.combine(datetime.fromisoformat(value).date(), time(23, 59, 59), WARSAW))
        else:
            moment = to_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise InvalidInput("until is not an ISO-8601 date or date-time with an offset", field="until") from None
    if moment <= now():
        raise InvalidInput("until must be in the future (to end an entry, lift it)", field="until")
    if moment > now() + timedelta(days=2 * 365):
        raise InvalidInput("until may be at most two years ahead", field="until")
    return moment.replace(microsecond=0)


@dataclass(frozen=True)
class Standing:
    patient: Patient
    changed: bool

    def view(self, at: datetime | None = None) -> dict[str, Any]:
        at = at or now()
        until = _until(self.patient)
        return {
            "patient_id": self.patient.patient_id,
            "blacklisted": bool(until and until > at),
            "until": self.patient.blacklisted_until if until and until > at else None,
            "no_shows": list(self.patient.no_show_dates or []),
            "history": [{"at": c.at, "action": c.action, "by": c.by, "reason": c.reason, "until": c.until}
                        for c in self.patient.blacklist_history or []],
        }


def standing(facility_id: str, patient_id: str) -> Standing:
    patient = _patient(facility_id, patient_id)
    if patient is None:
        raise NotFound(f"no patient {patient_id} in this facility (they appear with their first appointment)")
    return Standing(patient, changed=False)


def put_on(facility_id: str, patient_id: str, change: StaffChange, *, by: str) -> Standing:
    """Put the patient on the blacklist until `change.until`, or move the end of their entry. The
    same end again changes nothing (and sends nothing)."""
    patient = standing(facility_id, patient_id).patient
    at = now()
    current = _until(patient)
    on_list = bool(current and current > at)
    if change.until is None:
        raise ValueError("a blacklist entry needs its end")  # StaffChange.from_payload(lifting=False) sets it
    if on_list and current == change.until:
        return Standing(patient, changed=False)
    action = "added" if not on_list or current is None else "extended" if change.until > current else "changed"
    return _write(patient, at, [Patient.blacklisted_until.set(iso(change.until))],
                  _change(at, action, by, change.reason, change.until), tell=True)


def lift(facility_id: str, patient_id: str, change: StaffChange, *, by: str) -> Standing:
    """Take the patient off the blacklist now; lifting an entry that is not there changes nothing."""
    patient = standing(facility_id, patient_id).patient
    at = now()
    current = _until(patient)
    if not (current and current > at):
        return Standing(patient, changed=False)
    return _write(patient, at, [Patient.blacklisted_until.remove()], _change(at, "lifted", by, change.reason, None),
                  tell=False)


def _write(patient: Patient, at: datetime, actions: list[Action], entry: BlacklistChange, *, tell: bool) -> Standing:
    previous = patient.blacklisted_until
    condition = (Patient.blacklisted_until == previous) if previous else Patient.blacklisted_until.does_not_exist()

    def write(transaction: TransactWrite) -> None:
        transaction.update(patient, actions=[*actions, Patient.updated_at.set(iso(at)),
                                             Patient.blacklist_history.set(
                                                 (Patient.blacklist_history | []).append([entry]))],
                           condition=condition)
        if tell and patient.last_appointment_id:
            transaction.save(queue_sms(Appointment(patient.last_appointment_id), BY_STAFF, at,
                                       f"blacklisted:{entry.until}"))

    apply_or_conflict(write, "the patient's blacklist entry changed while this request was processed; retry")
    return Standing(Patient.get(patient.facility_id, patient.patient_id, consistent_read=True), changed=True)
