"""Wall-clock schedules in the hub's time zone (Europe/Budapest), DST-aware."""

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from felhom_hub.clock import Clock
from felhom_hub.jobs.leases import FLOOR, Leases

HUB_TZ = ZoneInfo("Europe/Budapest")
log = logging.getLogger(__name__)


def next_daily(now: datetime, at: time, tz: ZoneInfo = HUB_TZ) -> datetime:
    """The first moment strictly after ``now`` when the local clock in ``tz`` shows ``at``.

    On a DST gap day (the local time does not exist) the job runs at the shifted instant
    that zoneinfo gives; on a fold day it runs once, at the first occurrence.
    """
    local_now = now.astimezone(tz)
    day = local_now.date()
    for offset in range(3):
        local = datetime.combine(day + timedelta(days=offset), at, tzinfo=tz)
        candidate = local.astimezone(UTC)
        if candidate > now:
            return candidate
    raise AssertionError("unreachable: a later day always exists")


async def run_daily(
    name: str,
    at: time,
    job: Callable[[datetime], object],
    clock: Clock,
    stop: asyncio.Event,
    leases: Leases | None = None,
) -> None:
    """Call ``job(now)`` in a worker thread every day at ``at`` hub time, until ``stop`` is set.

    With ``leases`` only the process that takes the job's lease at the slot runs it (the job
    takes its day's ``job_runs`` slot as well, so a replica whose clock is off by more than the
    lease cannot run the day twice)."""
    while not stop.is_set():
        due = next_daily(clock(), at)
        delay = max(0.0, (due - clock()).total_seconds())
        try:
            await asyncio.wait_for(stop.wait(), timeout=delay)
            break
        except TimeoutError:
            pass
        try:
            now = clock()
            if leases is None:
                result = await asyncio.to_thread(job, now)
            elif await leases.take(name, now, FLOOR):
                result = await leases.holding(name, FLOOR, clock, asyncio.to_thread(job, now))
            else:
                log.debug("job %s: another hub process holds the lease; slot skipped", name)
                continue
            log.info("job %s finished: %s", name, result)
        except Exception:
            log.exception("job %s failed; it runs again at its next slot", name)
    if leases is not None:
        await leases.release(name)
