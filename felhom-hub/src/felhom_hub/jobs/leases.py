"""Which hub process runs a job's tick, when several share one database (issue 16).

Before each tick the loop takes or renews the job's lease (``store/leases.py``) in a short write
transaction; only the holder runs the tick, the others skip it. The lease lasts
``lease_ttl(interval)``: three intervals, so a holder that misses two renewals (a slow tick, a
database hiccup) keeps its job, but at least ``FLOOR``, so that the two-second dispatcher is not
handed over by a pause or a slow SMTP server. While a tick runs, the lease is renewed every
third of its TTL, so a long tick (the daily prune) keeps it. A holder that dies stops renewing:
its lease expires within the TTL and the next replica to tick takes the job over. A clean
shutdown releases the leases at once.

The expiry is compared with each process's own clock: replicas must keep their clocks within a
few seconds of each other (NTP), far less than ``FLOOR``.
"""

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

import anyio.to_thread

from felhom_hub.clock import Clock
from felhom_hub.store import Database, leases

log = logging.getLogger(__name__)
FLOOR = timedelta(seconds=30)
T = TypeVar("T")


def lease_ttl(interval: timedelta) -> timedelta:
    return max(3 * interval, FLOOR)


def process_holder() -> str:
    """This process's name on a lease: hostname, pid and a random part (a pid is reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass(frozen=True)
class Leases:
    db: Database
    holder: str = field(default_factory=process_holder)

    def _acquire(self, job: str, now: datetime, ttl: timedelta) -> bool:
        with self.db.write() as conn:
            return leases.acquire(conn, job=job, holder=self.holder, now=now, ttl=ttl)

    def _release(self, job: str) -> None:
        with self.db.write() as conn:
            leases.release(conn, job=job, holder=self.holder)

    async def take(self, job: str, now: datetime, ttl: timedelta) -> bool:
        """True when this process holds ``job`` until ``now + ttl``; False when another does.
        Raises what the database raised (the loop counts the tick as failed)."""
        return await anyio.to_thread.run_sync(self._acquire, job, now, ttl)

    async def release(self, job: str) -> None:
        try:
            await anyio.to_thread.run_sync(self._release, job)
        except Exception as exc:  # it expires on its own
            log.warning("job %s: lease not released (%s)", job, type(exc).__name__)

    async def holding(self, job: str, ttl: timedelta, clock: Clock, work: Awaitable[T]) -> T:
        """Await ``work`` while renewing ``job``'s lease every third of ``ttl``."""

        async def renew() -> None:
            while True:
                await asyncio.sleep(ttl.total_seconds() / 3)
                try:
                    kept = await self.take(job, clock(), ttl)
                except Exception as exc:
                    log.warning("job %s: lease not renewed (%s)", job, type(exc).__name__)
                    continue
                if not kept:
                    log.warning("job %s: lease lost during a long tick", job)

        keeper = asyncio.create_task(renew())
        try:
            return await work
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
