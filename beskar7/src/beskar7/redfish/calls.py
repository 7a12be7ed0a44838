"""Running blocking sushy calls off the event loop, each bounded in time and sanitized.

Calls run in a dedicated pool (so 500 slow BMCs cannot starve the loop's default executor).
A call's timeout counts from when a worker picks it up; a call abandoned by its caller (timeout
or cancellation) is skipped if it has not started, and its late result is dropped otherwise.
Calls of one client are serialized: sushy's resource objects are not thread-safe.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from beskar7.redfish.errors import RedfishError, RedfishTimeoutError, translate

T = TypeVar("T")

log = logging.getLogger("beskar7.redfish")

MAX_WORKERS = 32
"""Redfish calls in flight at once, across all clients of the process."""
QUEUE_WAIT = 120.0
"""How long a call may wait for a free worker before it fails as a timeout."""

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(MAX_WORKERS, thread_name_prefix="redfish")
        return _pool


class _AbandonedError(Exception):
    """The caller stopped waiting before the call could start."""


async def run_bounded(fn: Callable[[], T], *, timeout: float, lock: threading.Lock) -> T:
    """`fn()` in the Redfish pool; TimeoutError if it takes longer than `timeout` once started."""
    loop = asyncio.get_running_loop()
    started: asyncio.Future[None] = loop.create_future()
    abandoned = threading.Event()

    def mark_started() -> None:
        if not started.done():
            started.set_result(None)

    def work() -> T:
        loop.call_soon_threadsafe(mark_started)
        if abandoned.is_set() or not lock.acquire(timeout=timeout):
            raise _AbandonedError
        try:
            if abandoned.is_set():
                raise _AbandonedError
            return fn()
        finally:
            lock.release()

    job = loop.run_in_executor(_executor(), work)
    try:
        waiters: set[asyncio.Future[Any]] = {job, started}
        await asyncio.wait(waiters, timeout=QUEUE_WAIT, return_when=asyncio.FIRST_COMPLETED)
        if not job.done() and not started.done():
            raise TimeoutError
        return await asyncio.wait_for(job, timeout)
    finally:
        if not job.done():
            abandoned.set()
            job.cancel()


class BmcCaller:
    """Runs one BMC's blocking calls; every failure comes out as a sanitized RedfishError."""

    def __init__(self, bmc: str, timeout: float, secrets: tuple[str, ...]) -> None:
        self.bmc = bmc
        self.timeout = timeout
        self._secrets = secrets
        self._lock = threading.Lock()

    async def __call__(self, doing: str, fn: Callable[[], T]) -> T:
        """`fn()` bounded by the timeout; `doing` (a gerund phrase) goes into error messages."""
        err: RedfishError
        try:
            return await run_bounded(fn, timeout=self.timeout, lock=self._lock)
        except (TimeoutError, _AbandonedError):
            err = RedfishTimeoutError(
                f"BMC at {self.bmc} did not answer within {self.timeout:g}s while {doing}"
            )
        except Exception as exc:
            err = translate(exc, self.bmc, doing, timeout=self.timeout, secrets=self._secrets)
            log.debug("%s failed: %s (from %s)", doing, err, type(exc).__name__)
        # Raised outside the except blocks: no __context__ can carry what sushy/requests said.
        raise err
