"""The patient index campaigns select on, kept from the clinic's history, its consents and the
bookings that flow through the API.

Per patient (Patients table, the facility's own patient id): the last attended visit (its date
keys the sparse index `by_last_visit`, spread over shards per facility), the specialties used, the
visits booked ahead (`next_visits`: visit id → date), the birth year, the standing (deceased,
struck off) and one consent per purpose. Every write is idempotent and order-free: the last visit
only moves later, specialties are a set, a booked visit is set or removed by its id, and a consent
is replaced only by a later decision, so a record sent twice, or an old one after a new one,
changes nothing.

A booking (a visit booked through the API, or an imported one) also counts for the campaigns the
patient is a member of: the member's first booking after the campaign's start is kept (the result).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.update import Action

from odwolaj.campaigns.records import (
    ConsentRecord,
    PatientRecord,
    RowError,
    VisitRecord,
    consent_record,
    history_record,
    parse_rows,
)
from odwolaj.core.clock import WARSAW, iso, now, parse_iso
from odwolaj.core.sharding import shard_of
from odwolaj.core.transactions import conditionally
from odwolaj.data.models import Campaign, CampaignMember, Patient

RESULT_WINDOW = timedelta(days=60)  # bookings count for a campaign's result this long after its start
WORKERS = 8  # patients updated at once within a chunk (each update is its own request)
ACTIVE = "active"


def visit_shard(facility_id: str, patient_id: str) -> str:
    return f"{facility_id}#{shard_of(patient_id, prefix='v')}"


def consent_value(record: ConsentRecord) -> str:
    """'<UTC ISO-8601>|granted': compared as a string, a later decision is the greater."""
    return f"{iso(record.at)}|{'granted' if record.granted else 'withdrawn'}"


def granted(value: str | None) -> bool:
    return bool(value) and str(value).endswith("|granted")


def withdrawn(value: str | None) -> bool:
    return bool(value) and str(value).endswith("|withdrawn")


# ---------------------------------------------------------------------------------------------
# History


def apply_rows(facility_id: str, kind: str, rows: Iterable[tuple[int, object]]) -> tuple[int, list[RowError]]:
    """Check each row (a history or a consents record) and apply those that pass: (applied, errors)."""
    if kind == "history":
        visits, errors = parse_rows(rows, history_record)
        apply_history(facility_id, visits)
        return len(visits), errors
    consents, errors = parse_rows(rows, consent_record)
    apply_consents(consents, facility_id)
    return len(consents), errors


def apply_history(facility_id: str, records: Iterable[VisitRecord | PatientRecord], *,
                  workers: int = WORKERS) -> None:
    """Apply a batch of history records, one patient's records together."""
    by_patient: dict[str, list[VisitRecord | PatientRecord]] = defaultdict(list)
    for record in records:
        by_patient[record.patient_id].append(record)
    since = first_campaign_start(facility_id)
    if workers <= 1 or len(by_patient) <= 1:
        for patient_id, own in by_patient.items():
            apply_patient(facility_id, patient_id, own, bookings_since=since)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for done in [pool.submit(apply_patient, facility_id, pid, own, bookings_since=since)
                     for pid, own in by_patient.items()]:
            done.result()


def first_campaign_start(facility_id: str) -> datetime | None:
    """When the facility's first campaign started: bookings before it cannot count for any result,
    so an import of old history looks up no memberships."""
    starts = [c.launched_at for c in Campaign.by_facility.query(facility_id) if c.launched_at]
    return parse_iso(min(starts)) if starts else None


def apply_patient(facility_id: str, patient_id: str, records: list[VisitRecord | PatientRecord], *,
                  bookings_since: datetime | None = None) -> None:
    at = now()
    today = at.astimezone(WARSAW).date()
    visits = [r for r in records if isinstance(r, VisitRecord)]
    actions: list[Action] = [Patient.updated_at.set(iso(at))]
    phones = [r.phone for r in records if r.phone]
    if phones:
        actions.append(Patient.phone.set(phones[-1]))
    years = [r.birth_year for r in records if r.birth_year]
    if years:
        actions.append(Patient.birth_year.set(years[-1]))
    statuses = [r.status for r in records if r.status]
    if statuses:
        actions.append(Patient.patient_status.remove() if statuses[-1] == ACTIVE
                       else Patient.patient_status.set(statuses[-1]))
    used = {v.specialty for v in visits if v.outcome == "attended"}
    if used:
        actions.append(Patient.specialties.add(used))
    stored = Patient(facility_id, patient_id)
    stored.update(actions=actions)  # answers with the whole item as it is now
    ahead = {v.visit_id: v.day.isoformat() for v in visits if v.outcome == "booked" and v.day >= today}
    # A visit no longer ahead is removed only if it is there: most rows are attended visits that
    # were never booked through us, and their removal would be a request that fails.
    listed = set(stored.next_visits.as_dict()) if stored.next_visits else set()
    done = [v.visit_id for v in visits if v.visit_id not in ahead and v.visit_id in listed]
    set_booked_visits(facility_id, patient_id, ahead, done)
    attended = [v.day for v in visits if v.outcome == "attended"]
    if attended and not (stored.last_visit_at and stored.last_visit_at >= max(attended).isoformat()):
        record_attended(facility_id, patient_id, max(attended))
    if bookings_since is None:
        return
    for visit in visits:
        if visit.outcome in ("booked", "attended"):
            # Without booked_at, the visit's day bounds the booking from above (it was made by then).
            booked_at = visit.booked_at or datetime.combine(visit.day, datetime.min.time(), WARSAW)
            if booked_at >= bookings_since:
                record_booking(facility_id, patient_id, booked_at)


def set_booked_visits(facility_id: str, patient_id: str, ahead: dict[str, str], done: Iterable[str]) -> None:
    """Visits booked ahead (id → date) are set, visits no longer ahead are removed, by their ids."""
    actions: list[Action] = [Patient.next_visits[visit_id].set(day) for visit_id, day in ahead.items()]
    actions += [Patient.next_visits[visit_id].remove() for visit_id in sorted(set(done) - set(ahead))]
    if not actions:
        return
    patient = Patient(facility_id, patient_id)
    try:
        patient.update(actions=actions)
    except UpdateError as error:
        # The map does not exist yet: a nested path cannot be set in it. Create it, then retry.
        if error.cause_response_code != "ValidationException":
            raise
        if not ahead:
            return  # nothing to remove from a map that is not there
        conditionally(lambda: patient.update(actions=[Patient.next_visits.set({})],
                                             condition=Patient.next_visits.does_not_exist()))
        patient.update(actions=actions)


def record_attended(facility_id: str, patient_id: str, day: date) -> None:
    """The last attended visit only moves later (and keys the patient into the index)."""
    value = day.isoformat()
    conditionally(lambda: Patient(facility_id, patient_id).update(
        actions=[Patient.last_visit_at.set(value), Patient.visit_shard.set(visit_shard(facility_id, patient_id))],
        condition=Patient.last_visit_at.does_not_exist() | (Patient.last_visit_at < value)))


def add_specialty(facility_id: str, patient_id: str, specialty: str) -> None:
    Patient(facility_id, patient_id).update(actions=[Patient.specialties.add({specialty})])


# ---------------------------------------------------------------------------------------------
# Consents


def apply_consents(records: Iterable[ConsentRecord], facility_id: str, *, workers: int = WORKERS) -> None:
    listed = list(records)
    if workers <= 1 or len(listed) <= 1:
        for record in listed:
            apply_consent(facility_id, record)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for done in [pool.submit(apply_consent, facility_id, record) for record in listed]:
            done.result()


def apply_consent(facility_id: str, record: ConsentRecord) -> bool:
    """Store the decision unless a later one is stored; True if it changed anything."""
    attribute = getattr(Patient, f"consent_{record.purpose}")
    value = consent_value(record)
    return conditionally(lambda: Patient(facility_id, record.patient_id).update(
        actions=[attribute.set(value), Patient.updated_at.set(iso(now()))],
        condition=attribute.does_not_exist() | (attribute < value)))


# ---------------------------------------------------------------------------------------------
# Bookings count for campaign results


def patient_key(facility_id: str, patient_id: str) -> str:
    return f"{facility_id}#{patient_id}"


def record_booking(facility_id: str, patient_id: str, booked_at: datetime) -> int:
    """A booking made at `booked_at`: each membership of the patient that started at most 60 days
    before it keeps its earliest booking since the start. Returns the memberships changed."""
    changed = 0
    moment = iso(booked_at)
    for member in CampaignMember.by_patient.query(
            patient_key(facility_id, patient_id),
            CampaignMember.started_at.between(iso(booked_at - RESULT_WINDOW), moment)):
        changed += _earliest_booking(member.member_id, moment)
    return changed


def _earliest_booking(member_id: str, moment: str) -> bool:
    return conditionally(lambda: CampaignMember(member_id).update(
        actions=[CampaignMember.first_booking_at.set(moment)],
        condition=CampaignMember.member_id.exists() & (
            CampaignMember.first_booking_at.does_not_exist() | (CampaignMember.first_booking_at > moment))))


def patient_row(facility_id: str, patient_id: str) -> Patient | None:
    try:
        return Patient.get(facility_id, patient_id)
    except Patient.DoesNotExist:
        return None


def booked_ahead(next_visits: Any, today: date) -> bool:
    """Any visit booked for today or later."""
    values = next_visits.as_dict() if hasattr(next_visits, "as_dict") else (next_visits or {})
    return any(str(day) >= today.isoformat() for day in values.values())
