"""NFZ: a wait over six months may be planned to the week; the exact date must then reach the
patient at least 14 days before, with confirmation that it reached them.

When the clinic replaces a planned week by a day, the patient gets the exact date by SMS and the
entry carries a check, in the sparse `notices_due` index, due 14 days before that day. The check
reads the message's delivery report: delivered → confirmed; anything else → the clinic gets an
`ExactDateUnconfirmed` event so it can reach the patient another way. A day set less than 14 days
ahead is reported at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from odwolaj.core.clock import WARSAW, iso, now
from odwolaj.core.sharding import SHARDS, shard_of
from odwolaj.core.transactions import applied
from odwolaj.data import events
from odwolaj.data.models import Delivery, WaitingEntry
from odwolaj.data.status import DELIVERED

NOTICE_AHEAD = timedelta(days=14)
SHARD_PREFIX = "n"
PENDING, CONFIRMED, REPORTED = "pending", "confirmed", "reported"


def check_due(day: date) -> datetime:
    """When to check delivery: 8:00 in Warsaw, 14 days before the exact day."""
    return datetime.combine(day - NOTICE_AHEAD, time(8), WARSAW)


def notice_actions(entry: WaitingEntry, day: date, at: datetime) -> list[Action]:
    """Update actions that start the check for an exact day just set (with its SMS)."""
    due = max(check_due(day), at)
    return [WaitingEntry.exact_date_status.set(PENDING), WaitingEntry.exact_date_message_id.remove(),
            WaitingEntry.notice_shard.set(shard_of(entry.entry_id, SHARD_PREFIX)),
            WaitingEntry.notice_due_at.set(iso(due))]


def remember_message(entry_id: str, provider_message_id: str) -> None:
    WaitingEntry(entry_id).update(actions=[WaitingEntry.exact_date_message_id.set(provider_message_id)],
                                  condition=WaitingEntry.entry_id.exists())


def _delivered(provider_message_id: str | None) -> bool:
    if not provider_message_id:
        return False
    try:
        return Delivery.get(provider_message_id, consistent_read=True).status == DELIVERED
    except DoesNotExist:
        return False


@dataclass
class CheckReport:
    read: int = 0
    confirmed: int = 0
    reported: int = 0


def check(at: datetime | None = None) -> CheckReport:
    """Settle every due check (reads only the sparse index)."""
    at = at or now()
    report = CheckReport()
    for shard in range(SHARDS):
        for due in WaitingEntry.notices_due.query(f"{SHARD_PREFIX}{shard:02d}", WaitingEntry.notice_due_at <= iso(at)):
            report.read += 1
            entry = WaitingEntry.get(due.entry_id, consistent_read=True)
            if entry.notice_due_at is None or entry.notice_due_at > iso(at):
                continue
            delivered = _delivered(entry.exact_date_message_id)
            if _settle(entry, at, delivered):
                if delivered:
                    report.confirmed += 1
                else:
                    report.reported += 1
    return report


def _settle(entry: WaitingEntry, at: datetime, delivered: bool) -> bool:
    status = CONFIRMED if delivered else REPORTED
    kind = events.EXACT_DATE_CONFIRMED if delivered else events.EXACT_DATE_UNCONFIRMED
    data = {"entry_id": entry.entry_id, "list_number": int(entry.list_number), "service": entry.service,
            "planned_date": entry.planned_date,
            "reason": None if delivered else ("not_sent" if not entry.exact_date_message_id else "not_delivered")}

    def write(transaction: TransactWrite) -> None:
        transaction.update(entry, actions=[WaitingEntry.exact_date_status.set(status),
                                           WaitingEntry.notice_shard.remove(), WaitingEntry.notice_due_at.remove()],
                           condition=WaitingEntry.notice_due_at == entry.notice_due_at)
        transaction.save(events.DomainEvent(kind, entry.facility_id,
                                            f"{entry.entry_id}:exact-date:{entry.planned_date}", data).to_outbox(at))

    return applied(write)
