"""A campaign's result: did messaging bring patients back, compared with the control group.

Per band, for the messaged arm (everyone selected to be messaged, whether or not each message went
out: intention to treat) and the control group: members, bookings within 30 and 60 days of the
start (the first booking at or after it, from the history and the bookings the clinic pushes),
their rates, and the difference of the rates with a 95 % confidence interval by Newcombe's hybrid
score method (method 10 of Newcombe 1998: Wilson score intervals of each rate, combined), which
keeps its coverage with small counts and rates near 0 where the Wald interval does not. The
messaged arm also has its touches, SMS segments and responses; the cost is SMS segments per extra
booking (the difference of the rates times the messaged members). A rebook nudge compares the
cancellations nudged with those before the nudge was on (the baseline), over cases 30 days old.

Computed from the members (the index `by_campaign`: one Query page per about 4,000 members) and
kept on the campaign for 10 minutes, so reading it often costs nothing more.
"""
from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from odwolaj.campaigns import responses, sending
from odwolaj.campaigns.drafts import REBOOK
from odwolaj.campaigns.launch import BASELINE, CONTROL, MESSAGE
from odwolaj.core.clock import iso, parse_iso
from odwolaj.data.models import Campaign, CampaignMember

Z95 = 1.959963984540054
WINDOWS = (30, 60)
CACHE_FOR = timedelta(minutes=10)


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion."""
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(x1: int, n1: int, x2: int, n2: int, z: float = Z95) -> tuple[float, float, float] | None:
    """(p1 - p2, lower, upper): Newcombe's hybrid score interval; None without both groups."""
    if n1 == 0 or n2 == 0:
        return None
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson(x1, n1, z)
    l2, u2 = wilson(x2, n2, z)
    difference = p1 - p2
    return (difference, difference - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2),
            difference + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2))


@dataclass
class Arm:
    members: int = 0
    matured: dict[int, int] = field(default_factory=lambda: {w: 0 for w in WINDOWS})  # members whose window passed
    booked: dict[int, int] = field(default_factory=lambda: {w: 0 for w in WINDOWS})
    booked_matured: dict[int, int] = field(default_factory=lambda: {w: 0 for w in WINDOWS})
    first_touches: int = 0
    follow_ups: int = 0
    segments: int = 0
    responses: int = 0  # call back, what I need, a slot taken
    declined: int = 0
    opted_out: int = 0
    skipped: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, member: CampaignMember, at: datetime) -> None:
        self.members += 1
        start = parse_iso(member.started_at)
        first = parse_iso(member.first_booking_at) if member.first_booking_at else None
        for window in WINDOWS:
            passed = at >= start + timedelta(days=window)
            booked = first is not None and first <= start + timedelta(days=window)
            self.matured[window] += passed
            self.booked[window] += booked
            self.booked_matured[window] += passed and booked
        self.first_touches += sending.state(member, 1) == sending.SENT
        self.follow_ups += sending.state(member, 2) == sending.SENT
        self.segments += int(member.segments or 0)
        self.responses += member.response in responses.FOR_THE_CLINIC
        self.declined += member.response == responses.DECLINED
        self.opted_out += member.response == responses.OPTED_OUT
        if member.skipped:
            self.skipped[member.skipped] += 1

    def counted(self, window: int) -> tuple[int, int]:
        """(bookings, members) the rate of a window is taken over: the members whose window has
        passed, once any has (a rebook nudge's cases start one by one); until then all, so far."""
        if self.matured[window]:
            return self.booked_matured[window], self.matured[window]
        return self.booked[window], self.members

    def view(self, *, messaged: bool) -> dict[str, Any]:
        shown: dict[str, Any] = {"members": self.members}
        for window in WINDOWS:
            booked, over = self.counted(window)
            shown[f"booked_{window}d"] = booked
            shown[f"rate_{window}d"] = round(booked / over, 4) if over else None
            shown[f"counted_{window}d"] = over
            shown[f"window_{window}d_passed"] = over > 0 and self.matured[window] == over
        if messaged:
            shown.update(first_touches=self.first_touches, follow_ups=self.follow_ups, segments=self.segments,
                         responses=self.responses, declined=self.declined, opted_out=self.opted_out,
                         not_sent=dict(sorted(self.skipped.items())))
        return shown


def compare(messaged: Arm, control: Arm) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for window in WINDOWS:
        found = newcombe(*messaged.counted(window), *control.counted(window))
        if found is None:
            shown[f"difference_{window}d"] = None
            shown[f"segments_per_extra_booking_{window}d"] = None
            continue
        difference, lower, upper = found
        extra = difference * messaged.counted(window)[1]
        shown[f"difference_{window}d"] = {"value": round(difference, 4), "ci95": [round(lower, 4), round(upper, 4)],
                                          "extra_bookings": round(extra, 1)}
        shown[f"segments_per_extra_booking_{window}d"] = round(messaged.segments / extra, 1) if extra > 0 else None
    return shown


def compute(campaign: Campaign, at: datetime) -> dict[str, Any]:
    arms: dict[tuple[str, str], Arm] = defaultdict(Arm)
    for member in CampaignMember.by_campaign.query(campaign.campaign_id):
        arms[(member.band, member.arm)].add(member, at)
        arms[("all", member.arm)].add(member, at)
    comparison = BASELINE if campaign.kind == REBOOK else CONTROL
    bands = sorted({band for band, _arm in arms if band != "all"}) + ["all"]
    return {
        "computed_at": iso(at),
        "method": "intention to treat; 95 % CI of the difference of rates by Newcombe's hybrid score method",
        "compared_with": comparison,
        "bands": {band: {"messaged": arms[(band, MESSAGE)].view(messaged=True),
                         comparison: arms[(band, comparison)].view(messaged=False),
                         **compare(arms[(band, MESSAGE)], arms[(band, comparison)])} for band in bands},
    }


def current(campaign: Campaign, at: datetime) -> dict[str, Any] | None:
    """The result, recomputed when the kept one is older than 10 minutes; None for a draft."""
    if not campaign.launched_at:
        return None
    if campaign.result and campaign.result_at and parse_iso(campaign.result_at) > at - CACHE_FOR:
        kept: dict[str, Any] = json.loads(campaign.result)
        return kept
    result = compute(campaign, at)
    campaign.update(actions=[Campaign.result.set(json.dumps(result, sort_keys=True)),
                             Campaign.result_at.set(iso(at))])
    return result
