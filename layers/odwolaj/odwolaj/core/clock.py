"""The one source of 'now' for the domain.

On Lambda this is the wall clock. The local runner can fast-forward time for every handler
it runs by setting ODWOLAJ_CLOCK_OFFSET_SECONDS; it is read on each call so a change applies
at once without restarting anything.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

WARSAW = ZoneInfo("Europe/Warsaw")


def now() -> datetime:
    offset = float(os.environ.get("ODWOLAJ_CLOCK_OFFSET_SECONDS", "0") or 0)
    return datetime.now(timezone.utc) + timedelta(seconds=offset)


def to_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a moment without a time zone is ambiguous")
    return moment.astimezone(timezone.utc)


def iso(moment: datetime) -> str:
    """UTC ISO-8601 with seconds: sortable as a string, which the indexes rely on."""
    return to_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
