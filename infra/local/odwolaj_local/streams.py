"""DynamoDB stream event sources, as Lambda's poller runs them: read the table's stream, keep the
records the template's FilterCriteria let through, and invoke the function in batches of its
BatchSize, retrying from the first record it reports in batchItemFailures."""
from __future__ import annotations

import json
import threading
import time
from typing import Callable

from odwolaj.adapters.failures import lambda_record, passes
from odwolaj_local.polling import Polling, log
from odwolaj_local.template import StreamSource

POLL_SECONDS = 0.2
SHARD_REFRESH_SECONDS = 5.0  # shards change rarely; listing them on every poll would double the calls


def _backoff(attempt: int) -> float:
    return min(0.1 * 2 ** attempt, 5)


class StreamPoller(Polling):
    """One event source mapping. `on_failure(source, shard_id, batch, attempts)` gets what is given
    up after the retries (the runner keeps it on the function's failure queue, as Lambda's
    on-failure destination does)."""

    def __init__(self, source: StreamSource, stream_arn: str, client, invoke: Callable[[str, dict], object], *,
                 retry_wait: Callable[[int], float] = _backoff,
                 on_failure: Callable[[StreamSource, str, list[dict], int], None] | None = None):
        super().__init__(f"stream {source.function}", POLL_SECONDS)
        self.source = source
        self.stream_arn = stream_arn
        self.client = client
        self.invoke = invoke
        self.retry_wait = retry_wait
        self.on_failure = on_failure
        self.retried = 0  # deliveries made again after a failure (tests read and reset it)
        self.patterns = [json.loads(p) for p in source.filters]
        self._iterators: dict[str, str | None] = {}  # shard id → next iterator (None: shard closed)
        self._shards_listed = float("-inf")
        self._lock = threading.Lock()  # the poller's thread and a clock jump's catch_up take turns

    def catch_up(self) -> None:
        """Deliver every record written so far, and those their deliveries write (a clock jump
        waits for this between its stops)."""
        while self.poll_once():
            pass

    def poll_once(self) -> int:
        """Read new records of every shard and deliver them; return how many were delivered."""
        with self._lock:
            return self._poll()

    def _poll(self) -> int:
        if time.monotonic() - self._shards_listed > SHARD_REFRESH_SECONDS:
            self._list_shards()
        delivered = 0
        for shard_id, iterator in list(self._iterators.items()):
            if iterator is None:
                continue
            response = self.client.get_records(ShardIterator=iterator, Limit=1000)
            self._iterators[shard_id] = response.get("NextShardIterator")
            records = [lambda_record(r, self.stream_arn) for r in response["Records"]]
            kept = [r for r in records if passes(self.patterns, r)]
            for start in range(0, len(kept), self.source.batch_size):
                self._deliver(kept[start:start + self.source.batch_size], shard_id)
            delivered += len(kept)
        return delivered

    def _list_shards(self) -> None:
        shards = self.client.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        for shard in shards:
            if shard["ShardId"] not in self._iterators:
                self._iterators[shard["ShardId"]] = self.client.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=shard["ShardId"],
                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        self._shards_listed = time.monotonic()

    def _deliver(self, batch: list[dict], shard_id: str) -> None:
        attempt = 0
        while batch and not self.stopping.is_set():
            try:
                response = self.invoke(self.source.function, {"Records": batch}) or {}
                failed = {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
            except Exception:  # the whole batch failed: Lambda retries all of it
                failed = {r["dynamodb"]["SequenceNumber"] for r in batch}
            if not failed:
                return
            # Lambda checkpoints before the first failed record and retries from there.
            first = min(i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] in failed)
            batch = batch[first:]
            attempt += 1
            if 0 <= self.source.max_retries < attempt:
                log.warning("stream %s: %d record(s) failed after %d retries", self.source.function,
                            len(batch), self.source.max_retries)
                if self.on_failure:
                    self.on_failure(self.source, shard_id, batch, attempt)
                return
            self.retried += 1
            self.stopping.wait(self.retry_wait(attempt))
