"""The dispatcher: every minute, each active campaign's messages that are due go to the send queue,
no faster than the facility's rate and, all facilities together, the provider's.

Members waiting for a message carry a key in the sparse index `sends_due`: their due time and a
fixed random order. A campaign keeps a cursor, the last key it released, so each tick reads only
what it releases (a Query from the cursor, at most the tick's budget) and nothing is released
twice by the dispatcher; a message the queue delivers twice is sent once all the same (the send's
claim, odwolaj.campaigns.sending). A tick releases nothing outside 9:00-19:00 Warsaw time on
working days, and within one releases only as many as the rest of the window allows at the rate.
Each message's SQS delay spreads a tick's messages evenly over its minute.
"""
from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from odwolaj.campaigns.drafts import COMPLETED, REACTIVATION, SENDING
from odwolaj.campaigns.settings import get as facility_settings, provider_rate_per_second
from odwolaj.core.clock import iso
from odwolaj.core.transactions import conditionally
from odwolaj.core.workdays import in_window, window_end
from odwolaj.data.models import Campaign, CampaignMember

TICK = timedelta(minutes=1)
ACTIVE = "1"


@dataclass(frozen=True)
class Release:
    member_id: str
    touch: int
    delay_seconds: int

    def body(self) -> dict[str, Any]:
        return {"member_id": self.member_id, "touch": self.touch}


# Sends releases in order; returns how many of the first were accepted.
Enqueue = Callable[[Sequence[Release]], int]


@dataclass
class TickReport:
    campaigns: int = 0
    released: int = 0
    completed: int = 0
    budget: dict[str, int] = field(default_factory=dict)  # facility → messages it could release


def budgets(rates_per_minute: dict[str, int], seconds: float, provider_per_second: int) -> dict[str, int]:
    """Messages each facility may release in `seconds`: its own rate, and together no more than the
    provider's; when they would exceed it, each gets its share in proportion to its rate."""
    wanted = {facility: int(rate * seconds // 60) for facility, rate in rates_per_minute.items()}
    ceiling = int(provider_per_second * seconds)
    total = sum(wanted.values())
    if total <= ceiling:
        return wanted
    return {facility: want * ceiling // total for facility, want in wanted.items()}


def tick(at: datetime, enqueue: Enqueue) -> TickReport:
    report = TickReport()
    if not in_window(at):
        return report
    seconds = min(TICK.total_seconds(), (window_end(at) - at).total_seconds())
    by_facility: dict[str, list[Campaign]] = defaultdict(list)
    for key in Campaign.active_campaigns.query(ACTIVE):
        campaign = Campaign.get(key.campaign_id, consistent_read=True)
        if campaign.status == SENDING:
            by_facility[campaign.facility_id].append(campaign)
    rates = {facility: facility_settings(facility).rate_per_minute for facility in by_facility}
    report.budget = budgets(rates, seconds, provider_rate_per_second())
    for facility, campaigns in by_facility.items():
        left, offset = report.budget[facility], 0
        spread = seconds / max(report.budget[facility], 1)  # seconds between two of this facility's messages
        for position, campaign in enumerate(campaigns):
            share = left // (len(campaigns) - position)  # even shares; what one leaves goes to the next
            released = release(campaign, share, at, enqueue, first_delay=offset, spread=spread)
            left -= released
            offset += released
            report.released += released
            report.campaigns += 1
            if released == 0 and finish_if_done(campaign, at):
                report.completed += 1
    return report


def release(campaign: Campaign, budget: int, at: datetime, enqueue: Enqueue, *, first_delay: int = 0,
            spread: float = 1.0) -> int:
    """Release up to `budget` of the campaign's due messages from its cursor; returns how many."""
    if budget <= 0:
        return 0
    cursor = json.loads(campaign.release_cursor) if campaign.release_cursor else None
    due = CampaignMember.sends_due.query(campaign.campaign_id, CampaignMember.send_key <= f"{iso(at)}#~",
                                         last_evaluated_key=cursor, limit=budget)
    found = list(due)
    if not found:
        return 0
    releases = [Release(m.member_id, int(m.next_touch or 1), min(int((first_delay + i) * spread), 59))
                for i, m in enumerate(found)]
    accepted = enqueue(releases)
    if accepted:
        last = found[accepted - 1]
        moved = json.dumps({"send_queue": {"S": campaign.campaign_id}, "send_key": {"S": last.send_key},
                            "member_id": {"S": last.member_id}}, sort_keys=True)
        previous = campaign.release_cursor
        unchanged = (Campaign.release_cursor == previous) if previous else Campaign.release_cursor.does_not_exist()
        # A dispatcher that raced this one moved the cursor first: its releases stand (the send's
        # claim keeps any message queued by both to one SMS).
        conditionally(lambda: campaign.update(actions=[Campaign.release_cursor.set(moved)], condition=unchanged))
    return accepted


def finish_if_done(campaign: Campaign, at: datetime) -> bool:
    """A reactivation campaign with no message left to send (no member keeps a send key) is
    completed and leaves the active index. A facility's rebook nudge never completes."""
    if campaign.kind != REACTIVATION:
        return False
    if list(CampaignMember.sends_due.query(campaign.campaign_id, limit=1)):
        return False
    return conditionally(lambda: campaign.update(
        actions=[Campaign.status.set(COMPLETED), Campaign.active.remove(), Campaign.updated_at.set(iso(at))],
        condition=Campaign.status == SENDING))
