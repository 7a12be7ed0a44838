"""A token-bucket rate limiter per key (a client address), with bounded memory."""

import math
from collections import OrderedDict
from dataclasses import dataclass

MAX_KEYS = 10_000


@dataclass
class _Bucket:
    tokens: float
    last: float


class RateLimiter:
    """`rate` requests per second on average per key, bursts of up to `burst`.

    Time is passed in (seconds, any origin) so the limiter is pure; a clock going backwards
    refills nothing. At most `max_keys` buckets are kept, the least recently used dropped
    first (a dropped key starts again with a full bucket).
    """

    def __init__(self, rate: float, burst: int, *, max_keys: int = MAX_KEYS) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = rate
        self.burst = burst
        self.max_keys = max(1, max_keys)
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def acquire(self, key: str, now: float) -> float:
        """0 when the request may go ahead (one token taken), else the seconds to wait."""
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            elapsed = max(0.0, now - bucket.last)
            bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.rate)
            bucket.last = max(bucket.last, now)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return (1 - bucket.tokens) / self.rate

    def __len__(self) -> int:
        return len(self._buckets)


def retry_after_header(wait: float) -> str:
    """Whole seconds for `Retry-After`, at least 1."""
    return str(max(1, math.ceil(wait)))
