"""The figures of a facility's period, as the dashboard and GET /api/v1/stats read them: one Query
for the period, one or two for the comparison (a year before; a quarter before when the year has
no data) and one GetItem for the standing figures, whatever the number of visits; the settings
come with the facility the caller has read."""
from __future__ import annotations

from datetime import date

from odwolaj.core.clock import WARSAW, now
from odwolaj.core.errors import InvalidInput
from odwolaj.data.models import Facility
from odwolaj.stats import store
from odwolaj.stats.counting import ALL, service_scope, specialist_scope
from odwolaj.stats.figures import Figures, Period, compute
from odwolaj.stats.settings import settings_of

MAX_DAYS = 366
COMPARISONS = (("year_before", {"years": 1}), ("quarter_before", {"months": 3}))


def period(first: date, last: date) -> Period:
    """A period of whole days (Europe/Warsaw), at most a year; InvalidInput names the field."""
    if last < first:
        raise InvalidInput("to must not be before from", field="to")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidInput(f"the period from..to may span at most {MAX_DAYS} days", field="to")
    return Period(first, last)


def scope_of(service: str | None = None, specialist: str | None = None) -> str:
    """The scope of a dashboard: the whole facility, one service or one specialist (not both)."""
    if service and specialist:
        raise InvalidInput("give service or specialist, not both", field="specialist")
    if service:
        return service_scope(service)
    if specialist:
        return specialist_scope(specialist)
    return ALL


def checked_scope(scope: str) -> str:
    """A scope as the dashboard's links carry it (`all`, `s:…`, `p:…`)."""
    if scope in ("", ALL):
        return ALL
    if len(scope) > 600 or scope[:2] not in ("s:", "p:"):
        raise InvalidInput("scope must be a service (s:…) or a specialist (p:…)", field="scope")
    return scope


def figures_for(facility: Facility, wanted: Period, scope: str = ALL) -> Figures:
    facility_id = facility.facility_id
    items = store.read_days(facility_id, scope, wanted.first, wanted.last)
    comparison = None
    for kind, shift in COMPARISONS:
        earlier = wanted.shifted(**shift)
        earlier_items = store.read_days(facility_id, scope, earlier.first, earlier.last)
        if earlier_items:
            comparison = (kind, earlier, earlier_items)
            break
    standing = store.read_standing(facility_id)
    settings = settings_of(facility)
    return compute(items, standing, settings, period=wanted, scope=scope, today=now().astimezone(WARSAW).date(),
                   comparison=comparison)


def catalogue(facility_id: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The services and specialists the facility's events have named."""
    standing = store.read_standing(facility_id)
    return tuple(sorted(standing.get("services") or ())), tuple(sorted(standing.get("specialists") or ()))
