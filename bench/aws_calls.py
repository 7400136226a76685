"""Counting the AWS API calls code makes, with botocore's event hooks.

Every botocore client created after `install()` (PynamoDB's, Powertools', boto3's) reports each
API call once, with its parameters, on `before-parameter-build`: retries are not counted, and a
TransactWriteItems is one request whatever it holds.
"""
from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from typing import Iterator

import botocore.session


class CallCounter:
    def __init__(self):
        self._recording: Counter[tuple[str, str, str | None]] | None = None

    def _count(self, model, params, **_kwargs) -> None:
        if self._recording is not None:
            self._recording[(model.service_model.service_name, model.name, params.get("TableName"))] += 1

    @contextmanager
    def measure(self) -> Iterator[Counter[tuple[str, str, str | None]]]:
        """Counts (service, operation, table name or None) → calls made inside the block."""
        self._recording = Counter()
        try:
            yield self._recording
        finally:
            self._recording = None


def install() -> CallCounter:
    """Hook every client botocore creates from now on; call before anything builds one."""
    counter = CallCounter()
    create_client = botocore.session.Session.create_client

    def counted_create_client(self, *args, **kwargs):
        client = create_client(self, *args, **kwargs)
        client.meta.events.register("before-parameter-build", counter._count)
        return client

    botocore.session.Session.create_client = counted_create_client
    return counter
