"""The thin loop around a job's ``run_once(now)``: every ``interval`` until stopped; a failing
run is logged and counted, and tried again at the next tick (never at once, so no crash loop).
With ``leases`` only the process holding the job's lease runs a tick (``jobs/leases.py``); the
others count it as ``skipped``."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, Counter

from felhom_hub.clock import Clock
from felhom_hub.jobs.leases import Leases, lease_ttl

log = logging.getLogger(__name__)
Job = Callable[[datetime], Awaitable[object]]


class JobMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.runs = Counter(
            "felhom_hub_job_runs", "background job runs", ["job", "outcome"], registry=registry
        )
        self.hub_events = Counter(
            "felhom_hub_hub_events", "events the hub generated", ["type"], registry=registry
        )
        self.notifications = Counter(
            "felhom_hub_notifications", "notifications by outcome", ["outcome"], registry=registry
        )


async def every(
    name: str,
    interval: timedelta,
    job: Job,
    clock: Clock,
    stop: asyncio.Event,
    metrics: JobMetrics | None = None,
    leases: Leases | None = None,
) -> None:
    """Run ``job(now)`` now and then every ``interval`` until ``stop`` is set."""
    ttl = lease_ttl(interval)
    while not stop.is_set():
        outcome = await _tick(name, interval, job, clock, leases, ttl)
        if metrics is not None:
            metrics.runs.labels(name, outcome).inc()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval.total_seconds())
    if leases is not None:
        await leases.release(name)


async def _tick(
    name: str,
    interval: timedelta,
    job: Job,
    clock: Clock,
    leases: Leases | None,
    ttl: timedelta,
) -> str:
    """One tick: "ok", "failed", or "skipped" (another process holds the lease)."""
    try:
        if leases is None:
            result = await job(clock())
        else:
            now = clock()
            if not await leases.take(name, now, ttl):
                log.debug("job %s: another hub process holds the lease; tick skipped", name)
                return "skipped"
            result = await leases.holding(name, ttl, clock, job(now))
        if result:
            log.info("job %s: %s", name, result)
    except Exception:
        log.exception("job %s failed; it runs again in %s", name, interval)
        return "failed"
    return "ok"
