"""The figures of a period, computed from its daily items (odwolaj.stats.store) and the standing
item: pure arithmetic, the same for the dashboard and GET /api/v1/stats. Definitions:
odwolaj.stats.definitions."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Iterable, Mapping, Sequence

from odwolaj.stats.counting import ALL, GROUPS, LEAD_BANDS
from odwolaj.stats.settings import StatsSettings

# Cancellation lead times as shown, from the counters' buckets (odwolaj.stats.counting.lead_bucket).
LEAD_TIME_BANDS: dict[str, tuple[str, ...]] = {
    "under_2h": tuple(f"h{h:02d}" for h in range(2)),
    "2_24h": tuple(f"h{h:02d}" for h in range(2, 24)),
    "1_3d": tuple(f"h{h:02d}" for h in range(24, 72)),
    "3_7d": tuple(f"d{d}" for d in range(3, 7)),
    "over_7d": ("d7+",),
}
CHANNELS = ("web", "sms", "email", "clinic_api", "reception", "payment_expired")
PAYMENT_KINDS = ("requested", "paid", "expired", "refunded")
STRIKE_OFF_REASONS = ("no_show", "service_performed", "provider_stopped", "patient_resigned")


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def shifted(self, *, years: int = 0, months: int = 0) -> "Period":
        return Period(_shift(self.first, years, months), _shift(self.last, years, months))


def _shift(day: date, years: int, months: int) -> date:
    """The same day `years` and `months` earlier (negative: later); the 31st becomes the month's last."""
    index = day.year * 12 + day.month - 1 - years * 12 - months
    year, month = divmod(index, 12)
    for candidate in range(day.day, 27, -1):
        try:
            return date(year, month + 1, candidate)
        except ValueError:
            continue
    return date(year, month + 1, min(day.day, 28))


def day_of(item: Mapping[str, Any]) -> date:
    return date.fromisoformat(str(item["sk"]).rsplit("#", 1)[1])


@dataclass
class Totals:
    """The counters of several days added up, and the lists joined."""

    counts: dict[str, float] = field(default_factory=dict)
    fill_minutes: list[float] = field(default_factory=list)

    @classmethod
    def of(cls, items: Iterable[Mapping[str, Any]]) -> "Totals":
        totals = cls()
        for item in items:
            for name, value in item.items():
                if name == "fill_minutes":
                    totals.fill_minutes += [float(v) for v in value]
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    totals.counts[name] = totals.counts.get(name, 0) + value
        return totals

    def __getitem__(self, name: str) -> float:
        return self.counts.get(name, 0)

    def prefixed(self, prefix: str) -> dict[str, float]:
        return {name[len(prefix):]: value for name, value in self.counts.items() if name.startswith(prefix)}


def rate(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in (0, 1]): a value that occurred, never an interpolation."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(q * len(ordered)) - 1)], 1)


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered, middle = sorted(values), len(values) // 2
    found = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return round(found, 1)


@dataclass(frozen=True)
class Headline:
    """The figures compared between periods and shown week by week."""

    visits_booked: int
    visits_due: int
    attended: int
    no_shows: int
    no_show_rate: float | None
    cancellations: int
    late_cancellations: int
    late_cancellation_rate: float | None
    slots_freed: int
    slots_filled: int
    fill_rate: float | None

    @classmethod
    def of(cls, totals: Totals, late_hours: int) -> "Headline":
        booked, cancelled = int(totals["booked"]), int(totals["cancelled"])
        due = booked - cancelled + int(totals["reinstated"])
        late = int(sum(totals[f"lead:h{h:02d}"] for h in range(late_hours)))
        freed, filled = int(totals["slots_freed"]), int(totals["slots_filled"])
        return cls(booked, due, int(totals["attended"]), int(totals["no_shows"]),
                   rate(totals["no_shows"], due), cancelled, late, rate(late, booked), freed, filled,
                   rate(filled, freed))

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass(frozen=True)
class Week:
    start: date  # Monday (or the period's first day)
    end: date
    figures: Headline


@dataclass(frozen=True)
class Comparison:
    kind: str  # year_before, quarter_before
    period: Period
    figures: Headline


@dataclass(frozen=True)
class Figures:
    period: Period
    scope: str
    settings: StatsSettings
    headline: Headline
    outcome_not_recorded: int
    upcoming: int
    reinstated: int
    cancellations_by_channel: dict[str, int]
    cancellations_by_reason: dict[str, int]
    cancellation_lead_time: dict[str, int]
    reminders_sent: int
    confirmed: int
    confirmation_rate: float | None
    opt_outs: int
    slots_offered: int
    slots_unfilled: int
    unfilled_by_reason: dict[str, int]
    offers_sent: int
    offers_accepted: int
    median_minutes_to_fill: float | None
    p90_minutes_to_fill: float | None
    offers_per_fill: float | None
    recovered_value: int | None
    fill_by_lead_time: dict[str, dict[str, Any]]
    payments: dict[str, dict[str, int]]
    waiting_now: dict[str, int]
    waiting_list_joined: dict[str, int]
    struck_off: dict[str, int]
    left_with_visit: int
    average_wait_days: float | None
    weeks: tuple[Week, ...]
    comparison: Comparison | None
    services: tuple[str, ...]
    specialists: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        """GET /api/v1/stats: every figure under its key (docs/openapi.yaml)."""
        h = self.headline
        return {
            "from": self.period.first.isoformat(), "to": self.period.last.isoformat(),
            "timezone": "Europe/Warsaw", "late_cancellation_hours": self.settings.late_cancellation_hours,
            **h.as_dict(),
            "outcome_not_recorded": self.outcome_not_recorded, "upcoming": self.upcoming,
            "reinstated": self.reinstated,
            "cancellations_by_channel": self.cancellations_by_channel,
            "cancellations_by_reason": self.cancellations_by_reason,
            "cancellation_lead_time": self.cancellation_lead_time,
            "reminders_sent": self.reminders_sent, "confirmed": self.confirmed,
            "confirmation_rate": self.confirmation_rate, "opt_outs": self.opt_outs,
            "slots_offered": self.slots_offered, "slots_unfilled": self.slots_unfilled,
            "unfilled_by_reason": self.unfilled_by_reason, "offers_sent": self.offers_sent,
            "offers_accepted": self.offers_accepted,
            "median_minutes_to_fill": self.median_minutes_to_fill, "p90_minutes_to_fill": self.p90_minutes_to_fill,
            "offers_per_fill": self.offers_per_fill, "visits_recovered": h.slots_filled,
            "recovered_value": self.recovered_value, "fill_by_lead_time": self.fill_by_lead_time,
            "payments": self.payments,
            "waiting_list": {"waiting_now": self.waiting_now, "joined": self.waiting_list_joined,
                             "struck_off": self.struck_off, "left_with_visit": self.left_with_visit,
                             "average_wait_days": self.average_wait_days},
            "weeks": [{"week_start": w.start.isoformat(), "week_end": w.end.isoformat(), **w.figures.as_dict()}
                      for w in self.weeks],
            "comparison": None if self.comparison is None else {
                "kind": self.comparison.kind, "from": self.comparison.period.first.isoformat(),
                "to": self.comparison.period.last.isoformat(), **self.comparison.figures.as_dict()},
        }


def _weeks(items: Sequence[Mapping[str, Any]], period: Period, late_hours: int) -> tuple[Week, ...]:
    by_week: dict[date, list[Mapping[str, Any]]] = {}
    for item in items:
        day = day_of(item)
        by_week.setdefault(day - timedelta(days=day.weekday()), []).append(item)
    weeks = []
    monday = period.first - timedelta(days=period.first.weekday())
    while monday <= period.last:
        start, end = max(monday, period.first), min(monday + timedelta(days=6), period.last)
        weeks.append(Week(start, end, Headline.of(Totals.of(by_week.get(monday, [])), late_hours)))
        monday += timedelta(days=7)
    return tuple(weeks)


def _recovered_value(totals: Totals, settings: StatsSettings) -> int | None:
    """Filled slots × the value of a visit of their service; None while no value is set at all (a
    service without its own value takes the facility's, or counts 0 when there is none)."""
    if settings.visit_value is None and not settings.service_values:
        return None
    return int(sum(filled * (settings.value_of(service) or 0)
                   for service, filled in totals.prefixed("filled_service:").items()))


def compute(items: Sequence[Mapping[str, Any]], standing: Mapping[str, Any], settings: StatsSettings, *,
            period: Period, scope: str = ALL, today: date,
            comparison: tuple[str, Period, Sequence[Mapping[str, Any]]] | None = None) -> Figures:
    """The period's figures from its daily items (of one scope), the standing item and the settings."""
    totals = Totals.of(items)
    headline = Headline.of(totals, settings.late_cancellation_hours)
    due_so_far = Headline.of(Totals.of(i for i in items if day_of(i) <= today), settings.late_cancellation_hours)
    lead = {band: int(sum(totals[f"lead:{bucket}"] for bucket in buckets))
            for band, buckets in LEAD_TIME_BANDS.items()}
    filled = int(totals["slots_filled"])
    fill_by_lead_time = {band: {"freed": int(totals[f"freed:{band}"]), "offered": int(totals[f"offered:{band}"]),
                                "filled": int(totals[f"filled:{band}"]),
                                "fill_rate": rate(totals[f"filled:{band}"], totals[f"freed:{band}"])}
                         for band in LEAD_BANDS}
    payments = {kind: {"count": int(totals[f"payments_{kind}"]), "amount": int(totals[f"payments_{kind}_amount"])}
                for kind in PAYMENT_KINDS}
    waiting = {group: int(standing.get(f"waiting:{scope}:{group}", 0)) for group in GROUPS}
    waited = int(totals["wl_waited"])
    compared = None
    if comparison is not None:
        kind, earlier, earlier_items = comparison
        compared = Comparison(kind, earlier, Headline.of(Totals.of(earlier_items), settings.late_cancellation_hours))
    return Figures(
        period=period, scope=scope, settings=settings, headline=headline,
        outcome_not_recorded=max(0, due_so_far.visits_due - due_so_far.attended - due_so_far.no_shows),
        upcoming=headline.visits_due - due_so_far.visits_due,
        reinstated=int(totals["reinstated"]),
        cancellations_by_channel={c: int(totals[f"channel:{c}"]) for c in CHANNELS},
        cancellations_by_reason={k: int(v) for k, v in sorted(totals.prefixed("reason:").items()) if v},
        cancellation_lead_time=lead,
        reminders_sent=int(totals["reminders_sent"]), confirmed=int(totals["confirmed"]),
        confirmation_rate=rate(totals["confirmed"], headline.visits_due), opt_outs=int(totals["opt_outs"]),
        slots_offered=int(totals["slots_offered"]), slots_unfilled=int(totals["slots_unfilled"]),
        unfilled_by_reason={k: int(v) for k, v in sorted(totals.prefixed("unfilled:").items()) if v},
        offers_sent=int(totals["offers_sent"]), offers_accepted=int(totals["offers_accepted"]),
        median_minutes_to_fill=median(totals.fill_minutes),
        p90_minutes_to_fill=percentile(totals.fill_minutes, 0.9),
        offers_per_fill=round(totals["fill_offers"] / filled, 2) if filled else None,
        recovered_value=_recovered_value(totals, settings),
        fill_by_lead_time=fill_by_lead_time, payments=payments,
        waiting_now={**waiting, "total": sum(waiting.values())},
        waiting_list_joined={group: int(totals[f"wl_joined:{group}"]) for group in GROUPS},
        struck_off={reason: int(totals[f"wl_struck_off:{reason}"]) for reason in STRIKE_OFF_REASONS},
        left_with_visit=int(totals["wl_served"]),
        average_wait_days=round(totals["wl_wait_days"] / waited, 1) if waited else None,
        weeks=_weeks(items, period, settings.late_cancellation_hours),
        comparison=compared,
        services=tuple(sorted(standing.get("services") or ())),
        specialists=tuple(sorted(standing.get("specialists") or ())),
    )
