"""Per-principal token buckets: ``rate_limit_per_minute`` requests, refilled continuously.

Media GETs (frame images, video ranges) draw from a second bucket per principal,
``MEDIA_ALLOWANCE`` times larger: one page of a long session shows hundreds of thumbnails and a
seeking player sends many range requests, which must not use up the API calls' budget (or be
refused by it). They are limited rather than exempt, so a leaked key still cannot be used to
hammer the disk without bound.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

MEDIA_ALLOWANCE = 20


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """In memory, per process; a multi-replica deployment needs a shared store instead."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def acquire(self, principal: str) -> float:
        """Take a token; 0 when allowed, else the seconds to wait before retrying."""
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.setdefault(principal, _Bucket(self.capacity, now))
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.rate


def retry_after_header(wait_s: float) -> str:
    return str(max(1, math.ceil(wait_s)))
