"""Who a reactivation campaign is for, and who of them may be messaged.

The segment: patients whose last attended visit is at least `inactive_months_min` (and at most
`inactive_months_max`) whole months ago, in an age range (years since the birth year), who used one
of the campaign's specialties. Each falls in a band by months away: 12-18, 18-24, 24+ (the seed's;
the band decides the text). A patient of the segment is excluded, for the first reason that holds,
in this order: deceased or struck off; opted out of campaigns (STOP); no consent for the
campaign's purpose (care messages, or marketing by SMS: art. 398 of the Electronic Communications
Law needs prior consent for commercial SMS); a visit booked ahead; contacted by a campaign in the
last 90 days. The same rules are applied again when each message goes out (odwolaj.campaigns.sending).

The control group: a deterministic share of the eligible (`holdout_percent`, 10 % by default),
decided by a hash of (campaign, patient), so the preview, the launch and any retry agree.

Reading: only the index `by_last_visit` (patients with an attended visit, per facility shard), and
only its part with the last visit before the cut-off: a preview costs one Query page per shard and
1 MB of lapsed patients, never a scan of the facility's patients.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from pynamodb.pagination import ResultIterator

from odwolaj.campaigns.history import booked_ahead, granted
from odwolaj.core.clock import WARSAW, iso
from odwolaj.core.sharding import SHARDS
from odwolaj.data.models import Campaign, Patient

BANDS = ("12-18", "18-24", "24+")
REBOOK_BAND = "rebook"
DECEASED_OR_STRUCK_OFF = "deceased_or_struck_off"
OPTED_OUT = "opted_out"
NO_CONSENT = "no_consent"
VISIT_BOOKED = "visit_booked"
CONTACTED_RECENTLY = "contacted_recently"
REASONS = (DECEASED_OR_STRUCK_OFF, OPTED_OUT, NO_CONSENT, VISIT_BOOKED, CONTACTED_RECENTLY)
CONTACT_GAP = timedelta(days=90)
CONSENT_FOR = {"care": "consent_care", "marketing": "consent_marketing_sms"}
HOLDOUT_SCALE = 10_000


def months_between(earlier: date, later: date) -> int:
    """Whole calendar months from `earlier` to `later` (31 Jan → 28 Feb is 0, → 1 Mar is 1)."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - 1 if later.day < earlier.day else months


def band_of(months: int) -> str:
    return "12-18" if months < 18 else "18-24" if months < 24 else "24+"


def in_holdout(campaign_id: str, patient_id: str, percent: int) -> bool:
    digest = hashlib.sha256(f"holdout|{campaign_id}|{patient_id}".encode()).hexdigest()
    return int(digest[:8], 16) % HOLDOUT_SCALE < percent * HOLDOUT_SCALE // 100


def months_ago(day: date, months: int) -> date:
    """The date `months` calendar months before `day` (clamped to the month's last day)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    for last in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # unreachable: every month has 28 days


@dataclass(frozen=True)
class Segment:
    purpose: str
    inactive_months_min: int
    inactive_months_max: int | None = None
    age_min: int | None = None
    age_max: int | None = None
    specialties: frozenset[str] = frozenset()

    @classmethod
    def of(cls, campaign: Campaign) -> Segment:
        def number(value: object) -> int | None:
            return None if value is None else int(str(value))

        return cls(purpose=campaign.purpose, inactive_months_min=int(campaign.inactive_months_min or 12),
                   inactive_months_max=number(campaign.inactive_months_max), age_min=number(campaign.age_min),
                   age_max=number(campaign.age_max), specialties=frozenset(campaign.specialties or ()))

    def cutoff(self, today: date) -> str:
        """The latest last-visit date of the segment (the index's upper bound)."""
        return months_ago(today, self.inactive_months_min).isoformat()

    def band(self, patient: Patient, today: date) -> str | None:
        """The patient's band, or None when outside the segment."""
        if not patient.last_visit_at:
            return None
        months = months_between(date.fromisoformat(patient.last_visit_at), today)
        if months < self.inactive_months_min or (self.inactive_months_max is not None
                                                 and months > self.inactive_months_max):
            return None
        if self.age_min is not None or self.age_max is not None:
            if patient.birth_year is None:
                return None  # an age range needs the age
            age = today.year - int(patient.birth_year)
            if (self.age_min is not None and age < self.age_min) or (self.age_max is not None and age > self.age_max):
                return None
        if self.specialties and not self.specialties & set(patient.specialties or ()):
            return None
        return band_of(months)

    def exclusion(self, patient: Patient, at: datetime, *, campaign_id: str | None = None) -> str | None:
        """The first reason this patient may not be messaged now, or None. A contact by this very
        campaign (its first touch, before the follow-up) is not a reason."""
        today = at.astimezone(WARSAW).date()
        if patient.patient_status in ("deceased", "struck_off"):
            return DECEASED_OR_STRUCK_OFF
        if patient.campaigns_opted_out:
            return OPTED_OUT
        if not granted(getattr(patient, CONSENT_FOR[self.purpose])):
            return NO_CONSENT
        if booked_ahead(patient.next_visits, today):
            return VISIT_BOOKED
        contacted = patient.last_campaign_contact_at
        if contacted and contacted > iso(at - CONTACT_GAP) and (
                campaign_id is None or patient.last_campaign_id != campaign_id):
            return CONTACTED_RECENTLY
        return None


@dataclass
class Preview:
    """Counts per band (eligible, to message, control) and exclusions by reason."""

    bands: dict[str, Counter[str]] = field(default_factory=lambda: {band: Counter() for band in BANDS})
    excluded: Counter[str] = field(default_factory=Counter)
    read: int = 0  # index items read

    def count(self, band: str, reason: str | None, control: bool) -> None:
        if reason:
            self.excluded[reason] += 1
            self.bands[band]["excluded"] += 1
            return
        self.bands[band]["eligible"] += 1
        self.bands[band]["control" if control else "to_message"] += 1

    @property
    def to_message(self) -> int:
        return sum(counts["to_message"] for counts in self.bands.values())

    @property
    def control(self) -> int:
        return sum(counts["control"] for counts in self.bands.values())

    def as_dict(self) -> dict[str, object]:
        return {
            "bands": {band: {key: counts[key] for key in ("eligible", "to_message", "control", "excluded")}
                      for band, counts in self.bands.items()},
            "eligible": self.to_message + self.control,
            "to_message": self.to_message,
            "control": self.control,
            "excluded": {reason: self.excluded[reason] for reason in REASONS},
            "excluded_total": sum(self.excluded.values()),
        }


def shard_keys(facility_id: str) -> list[str]:
    return [f"{facility_id}#v{shard:02d}" for shard in range(SHARDS)]


def lapsed(shard_key: str, cutoff: str, *, last_evaluated_key: dict[str, dict[str, Any]] | None = None,
           page_size: int | None = None) -> ResultIterator[Patient]:
    """The shard's patients whose last visit is on or before `cutoff` (a projection of them)."""
    return Patient.by_last_visit.query(shard_key, Patient.last_visit_at <= cutoff,
                                       last_evaluated_key=last_evaluated_key, limit=page_size)


def preview(campaign: Campaign, at: datetime) -> Preview:
    """What launching now would do: read the lapsed part of every shard once."""
    segment = Segment.of(campaign)
    today = at.astimezone(WARSAW).date()
    cutoff = segment.cutoff(today)
    result = Preview()
    for shard_key in shard_keys(campaign.facility_id):
        for patient in lapsed(shard_key, cutoff):
            result.read += 1
            band = segment.band(patient, today)
            if band is None:
                continue
            control = in_holdout(campaign.campaign_id, patient.patient_id, int(campaign.holdout_percent))
            result.count(band, segment.exclusion(patient, at), control)
    return result
