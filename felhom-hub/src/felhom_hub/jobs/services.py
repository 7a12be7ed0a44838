"""The hub's background services, as the coroutines ``felhom-hub serve`` runs beside the API:
the staleness checker, the notification dispatcher, the backup deadline checker, the registry
version check, the outbound heartbeat and the daily prune. Each is a ``run_once(now)`` wrapped
in ``jobs.loop.every`` (or the daily schedule). Every job is leased (``jobs/leases.py``): hub
processes sharing one database run each tick once, in the process that holds the job's lease —
the heartbeat too, since it reports the fleet (and the hub as a whole) outward, once."""

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import anyio.to_thread
import httpx

from felhom_hub.alerting import dispatch
from felhom_hub.alerting.mailer import Mailer, mailer_for
from felhom_hub.clock import Clock
from felhom_hub.config import Settings
from felhom_hub.jobs import (
    backup_deadlines,
    heartbeat,
    prune,
    registry_check,
    staleness,
    template_refresh,
)
from felhom_hub.jobs.leases import Leases, process_holder
from felhom_hub.jobs.loop import JobMetrics, every
from felhom_hub.jobs.schedule import run_daily
from felhom_hub.store import Database

DISPATCH_EVERY = timedelta(seconds=2)
BACKUP_CHECK_EVERY = timedelta(minutes=1)
MAX_DECIDE_PASSES = 100


def registry_configured(settings: Settings) -> bool:
    """The check runs with credentials (the seed's private Gitea registry) or when the image
    names its scheme (a local registry); never by default against a public host."""
    r = settings.registry
    return bool(r.image) and bool(r.username or r.token or "://" in r.image)


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock
    metrics: JobMetrics
    mailer: Mailer | None = None
    http: httpx.AsyncClient | None = None
    holder: str = field(default_factory=process_holder)

    async def staleness(self, now: datetime) -> object:
        threshold = self.settings.alerting.stale_threshold
        found = await anyio.to_thread.run_sync(
            lambda: staleness.sweep(self.db, now=now, default_threshold=threshold)
        )
        self.metrics.hub_events.labels("node_stale").inc(found.stale)
        self.metrics.hub_events.labels("node_down").inc(found.down)
        return found

    async def dispatch(self, now: datetime) -> object:
        decided = 0
        for _ in range(MAX_DECIDE_PASSES):
            batch = await anyio.to_thread.run_sync(
                dispatch.decide_once, self.db, self.settings, now
            )
            decided += batch
            if batch < dispatch.DECIDE_BATCH:
                break
        mailer = self.mailer or mailer_for(self.settings.notifications)
        sent = await dispatch.send_once(
            self.db, mailer, self.settings.notifications.from_email, now
        )
        for outcome in ("sent", "retried", "failed"):
            self.metrics.notifications.labels(outcome).inc(getattr(sent, outcome))
        busy = decided or sent.sent or sent.retried or sent.failed
        return f"decided {decided} events; {sent}" if busy else None

    async def backup_deadlines(self, now: datetime) -> object:
        at = self.settings.alerting.backup_check_at
        return await anyio.to_thread.run_sync(
            lambda: backup_deadlines.run_once(self.db, now=now, at=at)
        )

    async def registry(self, now: datetime) -> object:
        assert self.http is not None
        return await registry_check.run_once(self.db, self.http, self.settings.registry, now)

    async def template(self, now: datetime) -> object:
        assert self.http is not None
        registry = self.settings.registry
        auth = template_refresh.template_auth(registry)
        return await template_refresh.run_once(self.db, self.http, registry.template_url, now, auth)

    async def heartbeat(self, now: datetime) -> object:
        assert self.http is not None
        return await heartbeat.run_once(self.db, self.http, self.settings, now)

    def coroutines(self, stop: asyncio.Event) -> list[Coroutine[Any, Any, None]]:
        s, clock, metrics = self.settings, self.clock, self.metrics
        leases = Leases(self.db, self.holder)

        def periodic(name: str, interval: timedelta, job: Any) -> Coroutine[Any, Any, None]:
            return every(name, interval, job, clock, stop, metrics, leases)

        jobs = [
            periodic("staleness", s.alerting.check_interval, self.staleness),
            periodic("dispatch", DISPATCH_EVERY, self.dispatch),
            periodic("backup-deadlines", BACKUP_CHECK_EVERY, self.backup_deadlines),
            run_daily(
                "prune",
                s.retention.prune_schedule,
                lambda now: prune.scheduled(self.db, now=now, retention=s.retention),
                clock,
                stop,
                leases,
            ),
        ]
        if registry_configured(s):
            jobs.append(periodic("registry", s.registry.check_interval, self.registry))
        if s.registry.template_url:
            jobs.append(periodic("template", s.registry.template_interval, self.template))
        if s.alerting.heartbeat_url:
            jobs.append(periodic("heartbeat", s.alerting.heartbeat_interval, self.heartbeat))
        return jobs
