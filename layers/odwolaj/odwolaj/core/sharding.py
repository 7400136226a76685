"""Sparse-index shards: the sweeps' indexes spread one minute's items over SHARDS partitions, each
item's shard derived from its id, so a sweep queries every shard for what is due and reads nothing
else."""
from __future__ import annotations

import hashlib

SHARDS = 16


def shard_of(item_id: str, prefix: str = "r") -> str:
    """The index shard of an item: r00..r15 for reminders and offers (other sweeps pass their prefix)."""
    return f"{prefix}{int(hashlib.sha256(item_id.encode()).hexdigest()[:4], 16) % SHARDS:02d}"
