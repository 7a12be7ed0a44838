"""A de-duplicating, delaying, rate-limited work queue of hashable keys (asyncio).

Semantics follow client-go's workqueue: a key is handed to at most one worker at a time; adding
a key that is already queued is a no-op; adding a key that is being processed marks it dirty and
it is queued again once the worker calls `done`. Delayed adds keep the earliest due time.
"""

import asyncio
import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from beskar7.runtime.aio import wait_event

K = TypeVar("K", bound=Hashable)

Clock = Callable[[], float]


class QueueShutDownError(Exception):
    """`get` was called on (or woken by) a queue that has been shut down."""


class ExponentialBackoff(Generic[K]):
    """Per-key delays `base * 2**failures`, capped; `forget` starts a key over."""

    def __init__(self, base: float = 5.0, cap: float = 1800.0) -> None:
        self.base = base
        self.cap = cap
        self._failures: dict[K, int] = {}

    def when(self, key: K) -> float:
        """The delay for this failure of `key`, counting it."""
        failures = self._failures.get(key, 0)
        self._failures[key] = failures + 1
        if failures >= 64:  # 2**64 * base is far past any cap; avoid huge floats
            return self.cap
        return float(min(self.cap, self.base * 2**failures))

    def retries(self, key: K) -> int:
        return self._failures.get(key, 0)

    def forget(self, key: K) -> None:
        self._failures.pop(key, None)


class WorkQueue(Generic[K]):
    def __init__(
        self, *, backoff: ExponentialBackoff[K] | None = None, clock: Clock = time.monotonic
    ) -> None:
        self.backoff: ExponentialBackoff[K] = (
            backoff if backoff is not None else ExponentialBackoff()
        )
        self.clock = clock
        self._queue: deque[K] = deque()
        self._dirty: set[K] = set()
        self._processing: set[K] = set()
        self._waiting: dict[K, float] = {}  # key -> due time (clock)
        self._heap: list[tuple[float, int, K]] = []
        self._seq = itertools.count()
        self._changed = asyncio.Event()
        self._shut_down = False

    def __len__(self) -> int:
        """Keys ready to be handed out (the depth metric)."""
        return len(self._queue)

    def depth(self) -> float:
        """Keys ready to be handed out, counting delayed keys that fell due (for the gauge)."""
        self._promote_due()
        return float(len(self._queue))

    @property
    def in_flight(self) -> int:
        """Keys handed to workers and not yet `done`."""
        return len(self._processing)

    @property
    def shutting_down(self) -> bool:
        return self._shut_down

    def add(self, key: K) -> None:
        if self._shut_down:
            return
        self._waiting.pop(key, None)
        if key in self._dirty:
            return
        self._dirty.add(key)
        if key not in self._processing:
            self._queue.append(key)
            self._notify()

    def add_after(self, key: K, delay: float) -> None:
        """Add `key` once `delay` seconds have passed, unless it is due earlier already."""
        if self._shut_down:
            return
        if delay <= 0:
            self.add(key)
            return
        if key in self._dirty and key not in self._processing:
            return  # queued now: due before any delay
        due = self.clock() + delay
        current = self._waiting.get(key)
        if current is not None and current <= due:
            return
        self._waiting[key] = due
        heapq.heappush(self._heap, (due, next(self._seq), key))
        self._notify()

    def add_rate_limited(self, key: K) -> None:
        self.add_after(key, self.backoff.when(key))

    def forget(self, key: K) -> None:
        self.backoff.forget(key)

    def due(self, key: K) -> float | None:
        """When a delayed `key` falls due (clock time), or None when it is not waiting."""
        return self._waiting.get(key)

    async def get(self) -> K:
        """The next key; raises QueueShutDownError once the queue is shut down."""
        while True:
            self._promote_due()
            if self._shut_down:
                raise QueueShutDownError
            if self._queue:
                key = self._queue.popleft()
                self._processing.add(key)
                self._dirty.discard(key)
                return key
            changed = self._changed
            timeout = self._heap[0][0] - self.clock() if self._heap else None
            await wait_event(changed, timeout)

    def done(self, key: K) -> None:
        """The worker finished `key`; it is queued again if it was added meanwhile."""
        self._processing.discard(key)
        if key in self._dirty and not self._shut_down:
            self._queue.append(key)
            self._notify()

    def shutdown(self) -> None:
        """Stop handing out keys and wake every waiting `get`."""
        self._shut_down = True
        self._notify()

    def _promote_due(self) -> None:
        now = self.clock()
        while self._heap and self._heap[0][0] <= now:
            due, _, key = heapq.heappop(self._heap)
            if self._waiting.get(key) == due:
                self.add(key)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()
