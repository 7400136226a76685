"""A sweep's time budget. A scheduled sweep works through what is due item by item, each item one
conditional change; when the invocation is about to run out of time it stops between two items and
the next run (minutes later) goes on from the index, so no item is ever cut half-way."""
from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

Stop = Callable[[], bool]


class LambdaContext(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


def never() -> bool:
    return False


def running_out(context: LambdaContext, reserve_seconds: float) -> Stop:
    """True once the invocation has less than `reserve_seconds` left: enough for the slowest item."""
    return lambda: context.get_remaining_time_in_millis() < reserve_seconds * 1000
