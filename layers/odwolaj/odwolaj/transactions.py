"""One DynamoDB transaction: every item written, each on its condition, or none.

Every state change here is decided from what was read and written on the condition that it is
still so; `applied` tells whether it was, so the caller can re-read and decide again."""
from __future__ import annotations

import threading

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite


_local = threading.local()


def _connection() -> Connection:
    """One connection per thread, made on first use: a new one per transaction would build a new
    botocore client each time (tens of milliseconds of a warm Lambda's time), and botocore builds
    clients unsafely across threads."""
    connection = getattr(_local, "connection", None)
    if connection is None:
        connection = _local.connection = Connection()
    return connection


def transact(write) -> None:
    """Run `write(transaction)` as one transaction; TransactWriteError when it is cancelled."""
    with TransactWrite(connection=_connection()) as transaction:
        write(transaction)


def condition_failed(error: TransactWriteError) -> bool:
    """Cancelled because one of its conditions no longer held (not throttling or a fault)."""
    return any(r and r.code == "ConditionalCheckFailed" for r in (error.cancellation_reasons or []))


def applied(write) -> bool:
    """Run the transaction; False when a condition failed (something changed since it was decided).
    Any other failure propagates."""
    try:
        transact(write)
    except TransactWriteError as error:
        if condition_failed(error):
            return False
        raise
    return True
