"""Moving the runner's clock forward as if the time had passed.

Every scheduled function of the template sweeps a sparse index of what is due (the `*_due_at`
sort keys: reminders, payment deadlines, the reserve list's next waves, grace windows and
cut-offs, exact-date checks). A jump therefore stops at each moment within it when something in
those indexes falls due: the clock is set to the first firing of any schedule at or after that
moment, the due schedules fire, and the stream records their work wrote are delivered before the
next stop. A wave due 15 minutes into a three-hour jump goes out at that minute, and the next one
when it is due, as on AWS; minutes in which nothing is due are skipped.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from odwolaj_local.template import Application


@dataclass(frozen=True)
class DueIndex:
    table: str  # physical name
    index: str
    attribute: str  # its sort key, an ISO-8601 UTC moment


def due_indexes(app: Application, names: dict[str, str]) -> list[DueIndex]:
    """The template's sparse indexes sorted by a `*_due_at` attribute."""
    found = []
    for logical_id, props in app.tables.items():
        for index in props.get("GlobalSecondaryIndexes", []):
            sort = [k["AttributeName"] for k in index["KeySchema"] if k["KeyType"] == "RANGE"]
            if sort and sort[0].endswith("_due_at"):
                found.append(DueIndex(names[logical_id], index["IndexName"], sort[0]))
    return found


def earliest_due(client, indexes: list[DueIndex], after: datetime) -> datetime | None:
    """The first due moment strictly after `after` in any of the indexes (sparse, so small)."""
    bound = after.strftime("%Y-%m-%dT%H:%M:%SZ")
    first = None
    for index in indexes:
        pages = client.get_paginator("scan").paginate(
            TableName=index.table, IndexName=index.index, ProjectionExpression="#due",
            FilterExpression="#due > :after", ExpressionAttributeNames={"#due": index.attribute},
            ExpressionAttributeValues={":after": {"S": bound}})
        for page in pages:
            for item in page["Items"]:
                value = item[index.attribute]["S"]
                first = value if first is None or value < first else first
    return datetime.fromisoformat(first.replace("Z", "+00:00")) if first else None


@dataclass
class Jump:
    now: Callable[[], datetime]
    set_clock: Callable[[datetime], None]
    fire_due: Callable[[], list]  # fires the schedules due at the clock's time; returns them
    next_firing: Callable[[datetime], datetime | None]  # first firing of any schedule at or after
    due_after: Callable[[datetime], datetime | None]
    settle: Callable[[], None]  # deliver what the streams hold

    def to(self, target: datetime) -> list[str]:
        """Move to `target`, stopping wherever something falls due; the names of the schedules fired."""
        fired = self._fire()
        while True:
            due = self.due_after(self.now())
            moment = self.next_firing(due) if due is not None and due <= target else None
            if moment is None or moment > target:
                break
            self.set_clock(moment)
            fired += self._fire()
        self.set_clock(target)
        return fired + self._fire()

    def _fire(self) -> list[str]:
        self.settle()  # what earlier requests wrote is delivered before the sweeps read
        fired = [entry.name for entry in self.fire_due()]
        self.settle()
        return fired
