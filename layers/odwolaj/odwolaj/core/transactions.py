"""One DynamoDB transaction: every item written, each on its condition, or none.

Every state change here is decided from what was read and written on the condition that it is
still so; `applied` tells whether it was, so the caller can re-read and decide again."""
from __future__ import annotations

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite


def transact(write) -> None:
    """Run `write(transaction)` as one transaction; TransactWriteError when it is cancelled."""
    with TransactWrite(connection=Connection()) as transaction:
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
