"""Login attempts: a bounded count of recent failures per client address, and overall."""

from collections import deque
from collections.abc import Callable
from time import monotonic

PER_CLIENT = 5  # failures per window from one address
OVERALL = 50  # failures per window from everywhere (a spread-out guessing attempt)
WINDOW = 15 * 60.0
MAX_CLIENTS = 10_000  # addresses remembered; the oldest are forgotten first


class LoginLimiter:
    def __init__(self, clock: Callable[[], float] = monotonic) -> None:
        self._clock = clock
        self._clients: dict[str, deque[float]] = {}
        self._all: deque[float] = deque()

    def retry_after(self, client: str) -> int:
        """Seconds until ``client`` may try again; 0 when it may try now."""
        now = self._clock()
        failures = self._recent(self._clients.get(client), now)
        overall = self._recent(self._all, now)
        waits = [
            queue[0] + WINDOW - now
            for queue, limit in ((failures, PER_CLIENT), (overall, OVERALL))
            if queue is not None and len(queue) >= limit
        ]
        return max(1, int(max(waits)) + 1) if waits else 0

    def failed(self, client: str) -> None:
        now = self._clock()
        if client not in self._clients and len(self._clients) >= MAX_CLIENTS:
            del self._clients[next(iter(self._clients))]
        self._clients.setdefault(client, deque()).append(now)
        self._all.append(now)

    def succeeded(self, client: str) -> None:
        self._clients.pop(client, None)

    @staticmethod
    def _recent(queue: deque[float] | None, now: float) -> deque[float] | None:
        while queue and queue[0] <= now - WINDOW:
            queue.popleft()
        return queue
