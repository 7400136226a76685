"""The statistics table: counting an event once, and reading a facility's days.

Counting is one transaction per contribution: a conditional put of its marker (pk
`counted#<facility>#<marker>`, kept 400 days) and the counter updates, so an event delivered twice
(EventBridge retries, a replayed outbox record) counts once, and a crash between two writes cannot
count half of it. A waiting-list entry's ledger moves on the condition that it is as read.

Reading a period is one Query of the facility's partition, `<scope>#<first day>` to
`<scope>#<last day>`: at most one item per day that had events, whatever the number of visits.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.operand import Path
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from odwolaj.adapters import items
from odwolaj.core.clock import iso, now
from odwolaj.core.config import table_name
from odwolaj.core.errors import Conflict
from odwolaj.core.transactions import Write, applied
from odwolaj.data.models import StatsItem
from odwolaj.stats.counting import (
    STANDING,
    Contribution,
    Counting,
    Delta,
    LedgerChange,
    LedgerState,
    LedgerStep,
    count,
    ledger_step,
)

MARKER_RETENTION = timedelta(days=400)  # longer than any redelivery; a rebuild writes them anew
LEDGER = "ledger"
ATTEMPTS = 3


def marker_key(facility_id: str, marker: str) -> str:
    return f"counted#{facility_id}#{marker}"


def ledger_key(facility_id: str, entry_id: str) -> str:
    return f"entry#{facility_id}#{entry_id}"


def actions(delta: Delta) -> list[Action]:
    """Update actions adding a delta to its item (created by the first one)."""
    found: list[Action] = [Path([name]).add(value) for name, value in delta.add.items()]
    for name, values in delta.append.items():
        path = Path([name])
        found.append(path.set((path | []).append(list(values))))
    found += [Path([name]).add(set(tags)) for name, tags in delta.tags.items()]
    return found


def update(transaction: TransactWrite, facility_id: str, delta: Delta) -> None:
    transaction.update(StatsItem(facility_id, delta.sk), actions=actions(delta))


def record_event(detail_type: str, detail: dict[str, Any]) -> int:
    """Count one event from the bus (its `detail-type` and `detail`); how many of its
    contributions were new: 0 for a redelivery or an event the statistics do not count."""
    counting = count(detail_type, detail)
    return 0 if counting is None else record(counting)


def record(counting: Counting) -> int:
    """Count an event: each contribution at most once, then the entry's ledger. Returns how many
    contributions were new (0 for a redelivered event)."""
    added = sum(1 for contribution in counting.contributions if _once(counting.facility_id, contribution))
    if counting.ledger is not None:
        _move_ledger(counting.facility_id, counting.ledger)
    return added


def _once(facility_id: str, contribution: Contribution) -> bool:
    expires = int((now() + MARKER_RETENTION).timestamp())

    def write(transaction: TransactWrite) -> None:
        transaction.save(StatsItem(marker_key(facility_id, contribution.marker), "-", expires_at=expires),
                         condition=StatsItem.pk.does_not_exist())
        for delta in contribution.deltas:
            update(transaction, facility_id, delta)

    return applied(write)


def ledger_state(item: StatsItem | None) -> LedgerState | None:
    if item is None or item.state not in ("waiting", "left"):
        return None
    return LedgerState("waiting" if item.state == "waiting" else "left", item.group, item.service,
                       item.specialist, item.entered_at)


def ledger_item(facility_id: str, entry_id: str, state: LedgerState) -> StatsItem:
    return StatsItem(ledger_key(facility_id, entry_id), LEDGER, state=state.state, group=state.group,
                     service=state.service, specialist=state.specialist, entered_at=state.entered_at,
                     updated_at=iso(now()))


def _move_ledger(facility_id: str, change: LedgerChange) -> None:
    """Move the entry's ledger as the change says, on the condition that it is as read; a lost
    race reads again (the ledger only moves forward, so this ends)."""
    key = ledger_key(facility_id, change.entry_id)
    for _ in range(ATTEMPTS):
        try:
            current: StatsItem | None = StatsItem.get(key, LEDGER, consistent_read=True)
        except DoesNotExist:
            current = None
        step = ledger_step(ledger_state(current), change)
        if step.after is None or applied(_ledger_write(facility_id, change.entry_id, current, step)):
            return
    raise Conflict("a waiting-list entry's ledger kept changing; the event will be retried")


def _ledger_write(facility_id: str, entry_id: str, current: StatsItem | None, step: LedgerStep) -> Write:
    """The ledger's new state, on the condition that it is still `current`, with what that adds."""
    after = step.after
    assert after is not None
    condition = StatsItem.pk.does_not_exist() if current is None else StatsItem.state == current.state

    def write(transaction: TransactWrite) -> None:
        transaction.save(ledger_item(facility_id, entry_id, after), condition=condition)
        for delta in step.deltas:
            update(transaction, facility_id, delta)

    return write


# ---------------------------------------------------------------------------------------------
# Reading


def read_days(facility_id: str, scope: str, first: date, last: date) -> list[dict[str, Any]]:
    """The facility's counters for each day of the period that had any (one Query)."""
    return items.query_range(table_name("STATS_TABLE"), "pk", facility_id, "sk",
                             f"{scope}#{first.isoformat()}", f"{scope}#{last.isoformat()}")


def read_standing(facility_id: str) -> dict[str, Any]:
    """The facility's figures of now: waiting by group and scope, and its services and specialists."""
    return items.get(table_name("STATS_TABLE"), {"pk": facility_id, "sk": STANDING}) or {}
