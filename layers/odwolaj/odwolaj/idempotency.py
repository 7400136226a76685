"""Run a function once per key with Powertools idempotency, its DynamoDB store built on first use
(the table's name comes from the environment, which tests and the runner set late)."""
from __future__ import annotations

from typing import Callable

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from odwolaj.config import table_name


class Once:
    """`Once(fn, key="message_id")(payload)` runs fn(payload=...) once per payload[key]; a repeat
    returns the first result. fn takes the keyword `payload` (a JSON-able dict)."""

    def __init__(self, fn: Callable[..., dict], *, key: str, expires_after_seconds: int = 7 * 24 * 3600):
        self._fn = fn
        self.config = IdempotencyConfig(event_key_jmespath=key, expires_after_seconds=expires_after_seconds,
                                        raise_on_no_idempotency_key=True)
        self._wrapped: Callable[..., dict] | None = None

    def __call__(self, payload: dict) -> dict:
        if self._wrapped is None:
            store = DynamoDBPersistenceLayer(table_name=table_name("IDEMPOTENCY_TABLE"))
            self._wrapped = idempotent_function(data_keyword_argument="payload", persistence_store=store,
                                                config=self.config)(self._fn)
        return self._wrapped(payload=payload)
