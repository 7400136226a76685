"""Fixed-window counters in DynamoDB: one atomic ADD per hit, no read-modify-write race."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from odwolaj.core.clock import now
from odwolaj.data.models import RateLimitBucket


def hit(scope: str, subject: str, *, limit: int, window_seconds: int) -> bool:
    """Count one attempt; True while the subject is within its limit for the current window.

    The subject (an IP address, a visit code) is hashed: the table never holds it in clear.
    """
    moment = int(now().timestamp())
    window = moment // window_seconds
    digest = hashlib.sha256(f"{scope}|{subject}".encode()).hexdigest()[:32]
    bucket = RateLimitBucket(bucket=f"{scope}#{digest}#{window}")
    # Expired buckets may linger (TTL deletes lazily) but the window number in the key means an
    # old bucket is never read again.
    bucket.update(actions=[
        RateLimitBucket.hits.add(1),
        RateLimitBucket.expires_at.set((window + 1) * window_seconds + 3600),
    ])
    return bucket.hits <= limit


def window_end(window_seconds: int) -> datetime:
    """When the current window ends: a subject over its limit may try again then."""
    moment = int(now().timestamp())
    return datetime.fromtimestamp((moment // window_seconds + 1) * window_seconds, tz=timezone.utc)
