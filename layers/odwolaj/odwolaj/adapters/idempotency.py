"""Run a function once per key with Powertools idempotency. The utility and its DynamoDB store are
loaded on first use: the table's name comes from the environment (which tests and the runner set
late), and importing the utility pulls boto3, which would otherwise slow every cold start."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from odwolaj.core.config import table_name

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

SEVEN_DAYS = 7 * 24 * 3600


class Once:
    """`Once(fn, key="message_id")(payload)` runs fn(payload=...) once per payload[key]; a repeat
    returns the first result. fn takes the keyword `payload` (a JSON-able dict)."""

    def __init__(self, fn: Callable[..., dict], *, key: str, expires_after_seconds: int = SEVEN_DAYS):
        self._fn, self._key, self._expires = fn, key, expires_after_seconds
        self._config: IdempotencyConfig | None = None
        self._wrapped: Callable[..., dict] | None = None
        self._context = None

    def register_lambda_context(self, context) -> None:
        """Lets an in-progress record expire with the invocation if it times out."""
        self._context = context

    def __call__(self, payload: dict) -> dict:
        if self._wrapped is None:
            from aws_lambda_powertools.utilities.idempotency import (
                DynamoDBPersistenceLayer,
                IdempotencyConfig,
                idempotent_function,
            )

            self._config = IdempotencyConfig(event_key_jmespath=self._key, expires_after_seconds=self._expires,
                                             raise_on_no_idempotency_key=True)
            store = DynamoDBPersistenceLayer(table_name=table_name("IDEMPOTENCY_TABLE"))
            self._wrapped = idempotent_function(data_keyword_argument="payload", persistence_store=store,
                                                config=self._config)(self._fn)
        if self._context is not None and self._config is not None:
            self._config.register_lambda_context(self._context)
        return self._wrapped(payload=payload)
