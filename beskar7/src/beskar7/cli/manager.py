"""The manager process: a store, the controllers on it, probes and metrics — wired from options."""

import asyncio
import signal
from dataclasses import dataclass, field
from pathlib import Path

from beskar7.api.kinds import BESKAR7_CLUSTER, BESKAR7_MACHINE, CLUSTER, MACHINE, PHYSICAL_HOST
from beskar7.callback import CallbackSettings, create_app, serve
from beskar7.controllers.cluster import reconciler as cluster
from beskar7.controllers.host import reconciler as physicalhost
from beskar7.controllers.machine import reconciler as machine
from beskar7.controllers.metrics import KindMetrics
from beskar7.runtime.manager import Manager
from beskar7.runtime.metrics import Metrics
from beskar7.store.open import open_store
from beskar7.store.protocol import Store


@dataclass
class ManagerOptions:
    """The manager's flags, with the upstream names and defaults."""

    store: Path | None = None
    kubeconfig: Path | None = None
    metrics_bind_address: str = ":8080"
    health_probe_bind_address: str = ":8081"
    leader_elect: bool = True
    leader_election_namespace: str = "beskar7-system"
    watch_namespaces: list[str] = field(default_factory=list)
    """`--watch-namespaces a,b`, or clusterctl's `--namespace a`; empty means all."""
    watch_filter: str = ""
    """`--watch-filter`: reconcile only objects labelled cluster.x-k8s.io/watch-filter=<it>."""
    concurrency: int = 10
    redfish_timeout: float = 10.0
    inspection_port: int = 8082
    inspection_bind_address: str = ""
    """Interface of the callback server; empty means all (servers must reach it). "0" disables."""
    bootstrap_url_base: str = ""
    inspection_timeout: float = 600.0
    deployment_timeout: float = 1200.0
    boot_rate: float = 1.0
    """Boot scripts per second per client address (servers behind one relay share a budget)."""
    boot_burst: int = 5


async def run_manager(options: ManagerOptions, stop: asyncio.Event | None = None) -> bool:
    """Run until `stop` is set (or SIGINT/SIGTERM when no event is given); False when the manager
    stopped because it lost leadership (the process should exit non-zero and be restarted)."""
    stop = stop or _stop_on_signals()
    store = await open_store(options.store, options.kubeconfig)
    try:
        manager = Manager(
            store,
            metrics=Metrics(),
            namespaces=options.watch_namespaces or None,
            leader_election=options.leader_elect,
            leader_namespace=options.leader_election_namespace,
            health_probe_address=options.health_probe_bind_address,
            metrics_address=options.metrics_bind_address,
        )
        add_controllers(manager, store, options)
        await asyncio.gather(manager.run(stop), _callback(store, options, stop))
        return not manager.leadership_lost
    finally:
        await store.close()


def add_controllers(manager: Manager, store: Store, options: ManagerOptions) -> None:
    """One controller per kind: PhysicalHost, Beskar7Machine, Beskar7Cluster."""
    events, workers = manager.recorder, options.concurrency
    metrics = KindMetrics(manager.metrics.registry)
    host_settings = physicalhost.PhysicalHostSettings(
        redfish_timeout=options.redfish_timeout, watch_filter=options.watch_filter
    )
    capi_clusters = manager.cache(CLUSTER)
    hosts = physicalhost.PhysicalHostReconciler(
        store, events, metrics, settings=host_settings, clusters=capi_clusters
    )
    host_cache, capi_machines = manager.cache(PHYSICAL_HOST), manager.cache(MACHINE)
    manager.add(physicalhost.controller(hosts, host_cache, workers))
    machine_settings = machine.MachineSettings(
        inspection_timeout=options.inspection_timeout,
        deployment_timeout=options.deployment_timeout,
        watch_filter=options.watch_filter,
    )
    machines = machine.Beskar7MachineReconciler(store, events, metrics, settings=machine_settings)
    manager.add(
        machine.controller(machines, manager.cache(BESKAR7_MACHINE), capi_machines, workers)
    )
    clusters = cluster.Beskar7ClusterReconciler(
        store,
        events,
        metrics,
        hosts=host_cache,
        machines=capi_machines,
        watch_filter=options.watch_filter,
    )
    manager.add(
        cluster.controller(clusters, manager.cache(BESKAR7_CLUSTER), capi_clusters, workers)
    )


async def _callback(store: Store, options: ManagerOptions, stop: asyncio.Event) -> None:
    """The :8082 callback server; it runs on every replica (it never needs leadership)."""
    if options.inspection_bind_address == "0":
        return
    settings = CallbackSettings(
        bootstrap_url_base=options.bootstrap_url_base,
        inspection_timeout=options.inspection_timeout,
        deployment_window=options.deployment_timeout,  # the token must outlive the deployment
        boot_rate=options.boot_rate,
        boot_burst=options.boot_burst,
    )
    app = create_app(store, settings)
    try:
        await serve(app, options.inspection_bind_address, options.inspection_port, stop)
    except BaseException:
        stop.set()  # without its callback server the manager cannot provision: stop it too
        raise


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop
