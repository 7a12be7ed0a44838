"""The reconciler contract controllers implement, and the worker loop that drives them.

A controller watches one primary kind (each change enqueues that object's own key) plus any
related kinds (`Watch.map` turns a related object into the primary keys it affects). Workers
pull keys from a de-duplicating queue, so one key is reconciled by at most one worker at a time.
"""

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from beskar7.api.kinds import Kind, Obj
from beskar7.runtime.metrics import OUTCOME_ERROR, OUTCOME_REQUEUE, OUTCOME_SUCCESS, Metrics
from beskar7.runtime.workqueue import QueueShutDownError, WorkQueue
from beskar7.store.protocol import WatchEvent, object_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Request:
    """The key of one primary object to reconcile."""

    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name


@dataclass(frozen=True)
class Result:
    """What a reconcile asks for next, one of three named outcomes:

    - `Result.done()`: nothing until the object or a watched one changes (also for terminal
      states: retrying would not help);
    - `Result.after(seconds)`: look again after that delay (waiting for something, a periodic
      re-check, or a write conflict);
    - `Result.back_off()`: a transient failure; retry with the queue's per-key exponential
      backoff.
    """

    requeue_after: float | None = None
    backoff: bool = False

    def __post_init__(self) -> None:
        if self.requeue_after is not None and (self.backoff or self.requeue_after <= 0):
            raise ValueError("requeue_after must be positive and excludes backoff")

    @classmethod
    def done(cls) -> "Result":
        return cls()

    @classmethod
    def after(cls, seconds: float) -> "Result":
        return cls(requeue_after=seconds)

    @classmethod
    def back_off(cls) -> "Result":
        return cls(backoff=True)


class Reconciler(Protocol):
    async def reconcile(self, request: Request) -> Result: ...


@dataclass
class Watch:
    """A related kind whose changes enqueue the primary keys `map` returns for them."""

    kind: Kind
    map: Callable[[Obj], Iterable[Request]]


@dataclass
class ControllerSpec:
    name: str
    kind: Kind
    """The primary kind: each change to one of its objects enqueues that object's own key."""
    reconciler: Reconciler
    watches: list[Watch] = field(default_factory=list)
    concurrency: int = 1


def request_for(obj: Obj) -> Request:
    """The key of an object."""
    namespace, name = object_key(obj)
    return Request(namespace, name)


class Controller:
    """Runs `spec.concurrency` workers that reconcile the keys on the controller's queue.

    `Result.done()` forgets the key's backoff; `Result.after(seconds)` re-adds the key after that
    delay (backoff forgotten); `Result.back_off()`, or an exception, re-adds it with per-key
    exponential backoff (5 s doubling to 30 min).
    """

    def __init__(
        self, spec: ControllerSpec, metrics: Metrics, *, queue: WorkQueue[Request] | None = None
    ) -> None:
        self.spec = spec
        self.name = spec.name
        self.metrics = metrics
        self.queue: WorkQueue[Request] = queue if queue is not None else WorkQueue()
        metrics.workqueue_depth.labels(self.name).set_function(self.queue.depth)

    def enqueue(self, request: Request) -> None:
        self.queue.add(request)

    def on_primary(self, event: WatchEvent) -> None:
        """Informer handler for the primary kind: enqueue the object's own key."""
        self.enqueue(request_for(event.object))

    def on_related(self, watch: Watch) -> Callable[[WatchEvent], None]:
        """Informer handler for a related kind: enqueue what `watch.map` makes of the object."""

        def handle(event: WatchEvent) -> None:
            for request in watch.map(event.object):
                self.enqueue(request)

        return handle

    async def run(self) -> None:
        """Work until the queue is shut down; in-flight reconciles finish first."""
        workers = max(1, self.spec.concurrency)
        await asyncio.gather(*(self._worker() for _ in range(workers)))

    def shutdown(self) -> None:
        """Stop handing out keys (reconciles in progress carry on)."""
        self.queue.shutdown()

    async def _worker(self) -> None:
        while True:
            try:
                request = await self.queue.get()
            except QueueShutDownError:
                return
            try:
                await self.reconcile(request)
            finally:
                self.queue.done(request)

    async def reconcile(self, request: Request) -> None:
        """One reconcile of `request`, with requeueing, logging and metrics."""
        started = time.monotonic()
        try:
            result = await self.spec.reconciler.reconcile(request)
        except Exception as exc:
            outcome = OUTCOME_ERROR
            self._failed(request, exc)
        else:
            outcome = self._succeeded(request, result)
        self.metrics.record_reconcile(
            self.name, request.namespace, outcome, time.monotonic() - started
        )

    def _succeeded(self, request: Request, result: Result) -> str:
        if result.backoff:
            reason = "requeue"
            self.queue.add_rate_limited(request)
        elif result.requeue_after is None:
            self.queue.forget(request)
            return OUTCOME_SUCCESS
        else:
            reason = "requeue_after"
            self.queue.forget(request)
            self.queue.add_after(request, result.requeue_after)
        self.metrics.requeue_total.labels(self.name, reason, request.namespace).inc()
        return OUTCOME_REQUEUE

    def _failed(self, request: Request, exc: Exception) -> None:
        error_type = type(exc).__name__
        self.metrics.errors_total.labels(self.name, error_type, request.namespace).inc()
        self.metrics.requeue_total.labels(self.name, "error", request.namespace).inc()
        self.queue.add_rate_limited(request)
        due = self.queue.due(request)
        retry_in = due - self.queue.clock() if due is not None else 0.0
        log.warning(
            "%s: reconcile of %s failed (%s: %s); retry %d in %.0fs",
            self.name,
            request,
            error_type,
            exc,
            self.queue.backoff.retries(request),
            retry_in,
        )
        log.debug("%s: reconcile of %s failed", self.name, request, exc_info=exc)
