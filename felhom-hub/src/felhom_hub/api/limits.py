"""Per-key limits for customer keys: a request rate (token bucket) and a daily byte budget.

Kept in memory, per hub process: they bound what one leaked or misbehaving key can make the
hub do, not an accounting. The global key is the operator's and is not limited.
"""

import math
import threading
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class _Bucket:
    tokens: float
    updated: float
    day: str = ""
    bytes_today: int = 0


@dataclass
class KeyLimiter:
    per_minute: int
    daily_bytes: int
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def admit(self, key: str, now: datetime) -> float | None:
        """Take one request token; None when admitted, else seconds until the next one."""
        t = now.timestamp()
        with self._lock:
            bucket = self._buckets.setdefault(key, _Bucket(float(self.per_minute), t))
            rate = self.per_minute / 60.0
            bucket.tokens = min(self.per_minute, bucket.tokens + (t - bucket.updated) * rate)
            bucket.updated = t
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return None
            return (1 - bucket.tokens) / rate

    def spend(self, key: str, size: int, now: datetime) -> float | None:
        """Count ``size`` body bytes against today's budget (UTC); None when within it,
        else the seconds until the budget renews at midnight UTC."""
        day = now.strftime("%Y-%m-%d")
        with self._lock:
            bucket = self._buckets.setdefault(key, _Bucket(float(self.per_minute), now.timestamp()))
            if bucket.day != day:
                bucket.day, bucket.bytes_today = day, 0
            if bucket.bytes_today + size > self.daily_bytes:
                midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
                return math.ceil(86400 - (now - midnight).total_seconds())
            bucket.bytes_today += size
            return None
