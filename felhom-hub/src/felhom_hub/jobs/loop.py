"""The thin loop around a job's ``run_once(now)``: every ``interval`` until stopped; a failing
run is logged and counted, and tried again at the next tick (never at once, so no crash loop)."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from prometheus_client import CollectorRegistry, Counter

from felhom_hub.clock import Clock

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
) -> None:
    """Run ``job(now)`` now and then every ``interval`` until ``stop`` is set."""
    while not stop.is_set():
        outcome = "ok"
        try:
            result = await job(clock())
            if result:
                log.info("job %s: %s", name, result)
        except Exception:
            outcome = "failed"
            log.exception("job %s failed; it runs again in %s", name, interval)
        if metrics is not None:
            metrics.runs.labels(name, outcome).inc()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval.total_seconds())
