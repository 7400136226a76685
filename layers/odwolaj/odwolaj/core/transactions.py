"""Conditional writes: one DynamoDB transaction (every item written, each on its condition, or
none), or one item's conditional save or update.

Every state change is decided from what was read and written on the condition that it is still
so. `applied` and `conditionally` tell whether it was, so the caller can re-read and decide again;
`apply_or_conflict` turns a lost race into the Conflict a request answers with. Throttling and
faults are never taken for a lost race: they propagate."""
from __future__ import annotations

import threading
from collections.abc import Callable

from pynamodb.connection import Connection
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from odwolaj.core.errors import Conflict

Write = Callable[[TransactWrite], None]


_local = threading.local()


def _connection() -> Connection:
    """One connection per thread, made on first use: a new one per transaction would build a new
    botocore client each time (tens of milliseconds of a warm Lambda's time), and botocore builds
    clients unsafely across threads."""
    connection = getattr(_local, "connection", None)
    if connection is None:
        connection = _local.connection = Connection()
    return connection


def transact(write: Write) -> None:
    """Run `write(transaction)` as one transaction; TransactWriteError when it is cancelled."""
    with TransactWrite(connection=_connection()) as transaction:
        write(transaction)


def condition_failed(error: TransactWriteError) -> bool:
    """Cancelled because one of its conditions no longer held (not throttling or a fault)."""
    return any(r and r.code == "ConditionalCheckFailed" for r in (error.cancellation_reasons or []))


def applied(write: Write) -> bool:
    """Run the transaction; False when a condition failed (something changed since it was decided).
    Any other failure propagates."""
    try:
        transact(write)
    except TransactWriteError as error:
        if condition_failed(error):
            return False
        raise
    return True


def apply_or_conflict(write: Write, message: str, *, conflict: type[Conflict] = Conflict,
                      field: str | None = None) -> None:
    """Run the transaction; `conflict(message)` when a condition failed: the request lost a race to
    another change and may be retried."""
    if not applied(write):
        raise conflict(message, field=field)


def conditionally(write: Callable[[], object]) -> bool:
    """Run one item's conditional save or update; False when its condition failed."""
    try:
        write()
    except (PutError, UpdateError) as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True
