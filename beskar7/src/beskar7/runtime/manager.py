"""The controller manager: informers, controllers, leader election, probes and metrics.

`run(stop)` serves the probes and metrics, starts the shared informers (a standby manager keeps
its caches warm and reports ready, as controller-runtime does), waits for leadership when leader
election is on, then runs every controller until `stop` is set or leadership is lost. Shutdown
is graceful: workers take no new keys, reconciles in flight get `shutdown_timeout` seconds, the
lease is released so a successor takes over at once. Nothing is kept outside the store, so a
process killed at any point simply resumes from the stored state when started again.
"""

import asyncio
import logging
from collections.abc import Sequence

from beskar7.api.kinds import Kind
from beskar7.runtime.aio import cancel_and_wait, first_set
from beskar7.runtime.controller import Controller, ControllerSpec
from beskar7.runtime.events import EventRecorder
from beskar7.runtime.informer import Informer, InformerSet
from beskar7.runtime.leader import DEFAULT_NAMESPACE, LeaderElectionConfig, LeaderElector
from beskar7.runtime.metrics import Metrics
from beskar7.runtime.probes import health_server, metrics_server
from beskar7.store.protocol import Store

log = logging.getLogger(__name__)


class Manager:
    def __init__(
        self,
        store: Store,
        *,
        metrics: Metrics | None = None,
        namespaces: Sequence[str] | None = None,
        leader_election: bool = False,
        leader_namespace: str = DEFAULT_NAMESPACE,
        health_probe_address: str = ":8081",
        metrics_address: str = ":8080",
        identity: str | None = None,
        leader_config: LeaderElectionConfig | None = None,
        sync_timeout: float = 60.0,
        shutdown_timeout: float = 30.0,
    ) -> None:
        """`leader_config` overrides the lease timing (tests); its namespace and identity are
        replaced by `leader_namespace` and `identity` when those are given."""
        self.store = store
        self.metrics = metrics if metrics is not None else Metrics()
        self.recorder = EventRecorder(store)
        self.informers = InformerSet(store, namespaces)
        self.controllers: list[Controller] = []
        self.sync_timeout = sync_timeout
        self.shutdown_timeout = shutdown_timeout
        self.elector: LeaderElector | None = None
        if leader_election:
            config = leader_config if leader_config is not None else LeaderElectionConfig()
            config.namespace = leader_namespace
            if identity is not None:
                config.identity = identity
            self.elector = LeaderElector(store, config)
        self.health_server = health_server(health_probe_address, lambda: self.ready)
        self.metrics_server = metrics_server(metrics_address, self.metrics)
        self.leadership_lost = False
        """True once `run` ended because the lease was lost (the CLI exits non-zero)."""

    def add(self, spec: ControllerSpec) -> Controller:
        """Register a controller; its primary and related kinds get (shared) informers."""
        controller = Controller(spec, self.metrics)
        self.informers.get(spec.kind).add_handler(controller.on_primary)
        for watch in spec.watches:
            self.informers.get(watch.kind).add_handler(controller.on_related(watch))
        self.controllers.append(controller)
        return controller

    def cache(self, kind: Kind) -> Informer:
        """The shared informer of `kind`: its cache serves mappers and cheap reads."""
        return self.informers.get(kind)

    @property
    def ready(self) -> bool:
        return self.informers.has_synced

    @property
    def is_leader(self) -> bool:
        return self.elector is None or self.elector.is_leader

    async def run(self, stop: asyncio.Event) -> None:
        """Run until `stop` is set or leadership is lost, then shut down gracefully."""
        await self.health_server.start()
        keeper: asyncio.Task[None] | None = None
        runners: list[asyncio.Task[None]] = []
        try:
            await self.metrics_server.start()
            self.informers.start()
            if self.elector is not None:
                if not await self.elector.acquire(stop):
                    return
                keeper = asyncio.create_task(self.elector.keep(), name="lease renewal")
            if not await self._wait_for_sync(stop):
                return
            log.info("starting %d controllers", len(self.controllers))
            runners = [
                asyncio.create_task(c.run(), name=f"controller {c.name}") for c in self.controllers
            ]
            await first_set(stop, *self._lost_events())
        finally:
            self.leadership_lost = any(e.is_set() for e in self._lost_events())
            await self._shut_down(runners, keeper)

    def _lost_events(self) -> list[asyncio.Event]:
        return [self.elector.lost] if self.elector is not None else []

    async def _wait_for_sync(self, stop: asyncio.Event) -> bool:
        """Wait until every informer synced; False when told to stop (or lost the lease)."""
        while not self.informers.has_synced:
            synced = asyncio.create_task(self.informers.wait_synced(self.sync_timeout))
            stopped = asyncio.create_task(first_set(stop, *self._lost_events()))
            await asyncio.wait({synced, stopped}, return_when=asyncio.FIRST_COMPLETED)
            synced.cancel()
            stopped.cancel()
            await asyncio.gather(synced, stopped, return_exceptions=True)
            if stop.is_set() or any(e.is_set() for e in self._lost_events()):
                return False
            if not self.informers.has_synced:
                log.warning("informers not synced after %.0fs; still waiting", self.sync_timeout)
        return True

    async def _shut_down(
        self, runners: list[asyncio.Task[None]], keeper: asyncio.Task[None] | None
    ) -> None:
        log.info("shutting down: waiting for reconciles in flight")
        for controller in self.controllers:
            controller.shutdown()
        if runners:
            _, late = await asyncio.wait(runners, timeout=self.shutdown_timeout)
            for task in late:
                log.warning(
                    "%s did not finish within %.0fs; cancelling",
                    task.get_name(),
                    self.shutdown_timeout,
                )
            await cancel_and_wait(runners)
        if keeper is not None:
            await cancel_and_wait([keeper])
        if self.elector is not None:
            await self.elector.release()
        await self.informers.stop()
        await self.metrics_server.stop()
        await self.health_server.stop()
        log.info("manager stopped")
