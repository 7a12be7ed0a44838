"""The Beskar7Cluster reconciler: the infrastructure side of a Cluster API Cluster.

The shell around `core` (core.py): it reads the Beskar7Cluster, its owner Cluster, the cluster's
control-plane Machines and the namespace's PhysicalHosts, writes a discovered endpoint to the
spec (once, with a resourceVersion precondition) and the status the core computed (once, only
when it changed), then emits events and metrics.

Wiring (the manager's caches serve the lists and the watch mappers):

    metrics = KindMetrics(manager.metrics.registry)  # once per manager
    reconciler = Beskar7ClusterReconciler(store, manager.recorder, metrics,
        hosts=manager.cache(PHYSICAL_HOST), machines=manager.cache(MACHINE))
    manager.add(controller(reconciler, manager.cache(BESKAR7_CLUSTER), manager.cache(CLUSTER)))
"""

import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from pydantic import ValidationError

from beskar7.api.capi import (
    CLUSTER_NAME_LABEL,
    CONTROL_PLANE_LABEL,
    MANAGED_BY_ANNOTATION,
    ZONE_LABEL,
    Cluster,
    Machine,
    has_paused_annotation,
    watched,
)
from beskar7.api.cluster import (
    DEFAULT_API_SERVER_PORT,
    EVENT_ENDPOINT_DISCOVERED,
    EVENT_FAILURE_DOMAINS_CHANGED,
    EVENT_READY,
    FINALIZER,
    Beskar7Cluster,
)
from beskar7.api.errors import ConflictError, NotFoundError
from beskar7.api.kinds import (
    BESKAR7_CLUSTER,
    BESKAR7_MACHINE,
    CAPI_GROUP,
    CLUSTER,
    GROUP,
    MACHINE,
    PHYSICAL_HOST,
    Kind,
    Obj,
)
from beskar7.api.machine import Beskar7Machine
from beskar7.api.meta import APIEndpoint, set_paused
from beskar7.controllers import shell
from beskar7.controllers.cluster.core import (
    ControlPlaneMachine,
    Observation,
    Step,
    decide,
    machine_reports_ready,
)
from beskar7.controllers.cluster.stats import ClusterStats
from beskar7.controllers.metrics import KindMetrics
from beskar7.controllers.shell import CONFLICT, DONE
from beskar7.runtime.controller import ControllerSpec, Request, Result, Watch
from beskar7.runtime.events import EventRecorder
from beskar7.runtime.informer import Informer
from beskar7.store.protocol import Store, object_key

log = logging.getLogger(__name__)

NO_OWNER_REQUEUE = 10.0
"""Seconds before looking again at a Beskar7Cluster no Cluster owns yet."""
WAITING_REQUEUE = 30.0
"""Seconds between looks while the control-plane endpoint is unknown."""


class Beskar7ClusterReconciler:
    """`hosts` and `machines` are caches to list from; without them the store is listed."""

    def __init__(
        self,
        store: Store,
        recorder: EventRecorder,
        metrics: KindMetrics,
        *,
        hosts: Informer | None = None,
        machines: Informer | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        watch_filter: str = "",
    ) -> None:
        self.store = store
        self.watch_filter = watch_filter
        self.recorder = recorder
        self.stats = ClusterStats(metrics)
        pairs = ((PHYSICAL_HOST, hosts), (MACHINE, machines))
        self.caches = {k: c for k, c in pairs if c is not None}  # an empty cache is falsy
        self.clock = clock

    async def reconcile(self, request: Request) -> Result:
        try:
            obj = await self.store.get(BESKAR7_CLUSTER, request.namespace, request.name)
        except NotFoundError:
            self.stats.forget(request.namespace, request.name)
            return DONE
        cluster = Beskar7Cluster.from_obj(obj)
        meta = cluster.metadata
        if MANAGED_BY_ANNOTATION in meta.annotations or not watched(meta, self.watch_filter):
            return DONE  # externally managed (InfraCluster contract), or another manager's
        owner = await self._owner(cluster)
        try:
            if has_paused_annotation(meta) or (owner is not None and owner.spec.paused):
                return await self._paused(cluster)
            if cluster.metadata.deletion_timestamp is not None:
                return await self._delete(cluster)
            if owner is None:
                return Result.after(NO_OWNER_REQUEUE)
            if await shell.add_finalizer(self.store, BESKAR7_CLUSTER, cluster.metadata, FINALIZER):
                return DONE
            return await self._reconcile_normal(obj, cluster, owner)
        except ConflictError:
            return CONFLICT

    async def _paused(self, cluster: Beskar7Cluster) -> Result:
        """Paused: only the Paused condition is written (InfraCluster contract v1beta2)."""
        status = cluster.status.model_copy(deep=True)
        status.conditions = set_paused(status.conditions, True, self.clock())
        meta = cluster.metadata
        await shell.write_status(self.store, BESKAR7_CLUSTER, meta, cluster.status, status)
        return DONE

    async def _reconcile_normal(self, obj: Obj, cluster: Beskar7Cluster, owner: Cluster) -> Result:
        meta = cluster.metadata
        user = owner.spec.control_plane_endpoint
        control_plane_ref = owner.spec.control_plane_ref
        seen = Observation(
            cluster_name=owner.metadata.name,
            control_plane=await self._control_plane(meta.namespace, owner.metadata.name),
            zones=await self._zones(meta.namespace),
            cluster_endpoint=_user_endpoint(user.host, user.port) if user else None,
            control_plane_kind=control_plane_ref.kind if control_plane_ref else None,
        )
        now = self.clock()
        step = decide(cluster, seen, now)
        step.status.conditions = set_paused(step.status.conditions, False, now)
        if step.spec_endpoint is not None:
            endpoint = step.spec_endpoint.model_dump(mode="json", by_alias=True)
            patch = {
                "metadata": {"resourceVersion": meta.resource_version},
                "spec": {"controlPlaneEndpoint": endpoint},
            }
            await self.store.patch(BESKAR7_CLUSTER, meta.namespace, meta.name, patch)
            where = f"{endpoint['host']}:{endpoint['port']}"
            source = step.source_machine
            message = f"{where} from Machine {source}" if source else f"{where} from the Cluster"
            await self.recorder.event(obj, "Normal", EVENT_ENDPOINT_DISCOVERED, message)
        await self._write_status(obj, cluster, step)
        if step.waiting_for:
            log.debug("cluster %s/%s: %s", meta.namespace, meta.name, step.waiting_for)
            return Result.after(WAITING_REQUEUE)
        return DONE

    async def _owner(self, cluster: Beskar7Cluster) -> Cluster | None:
        """The owning CAPI Cluster; None when there is no owner reference or it is gone."""
        meta = cluster.metadata
        for ref in meta.owner_references:
            if ref.kind == CLUSTER.kind and ref.api_version.partition("/")[0] == CAPI_GROUP:
                try:
                    return Cluster.from_obj(await self.store.get(CLUSTER, meta.namespace, ref.name))
                except NotFoundError:
                    return None
        return None

    async def _list(self, kind: Kind, namespace: str, labels: dict[str, str]) -> list[Obj]:
        cache = self.caches.get(kind)
        if cache is not None:
            return cache.list(namespace, labels)
        return (await self.store.list(kind, namespace, labels)).items

    async def _zones(self, namespace: str) -> tuple[str, ...]:
        try:
            hosts = await self._list(PHYSICAL_HOST, namespace, {})
        except Exception:
            self.stats.discovery(namespace, "error")
            raise
        self.stats.discovery(namespace, "success")
        labels = (h.get("metadata", {}).get("labels") or {} for h in hosts)
        return tuple(zone for lab in labels if (zone := lab.get(ZONE_LABEL)))

    async def _control_plane(
        self, namespace: str, cluster_name: str
    ) -> tuple[ControlPlaneMachine, ...]:
        found = []
        for obj in await self._list(MACHINE, namespace, {CLUSTER_NAME_LABEL: cluster_name}):
            try:
                machine = Machine.from_obj(obj)
            except ValidationError:
                log.info("Machine %s/%s unreadable; skipped", namespace, obj["metadata"]["name"])
                continue
            if CONTROL_PLANE_LABEL in machine.metadata.labels:
                found.append(await self._candidate(machine))
        return tuple(found)

    async def _candidate(self, machine: Machine) -> ControlPlaneMachine:
        """The machine's readiness and addresses; its Beskar7Machine fills what it lacks."""
        ready = machine_reports_ready(machine)
        addresses = tuple(machine.status.addresses)
        if not ready or not addresses:
            infra = await self._infra_machine(machine)
            if infra is not None:
                ready = ready or bool(infra.status.ready)
                addresses = addresses or tuple(infra.status.addresses)
        meta = machine.metadata
        return ControlPlaneMachine(meta.name, ready, addresses, meta.creation_timestamp)

    async def _infra_machine(self, machine: Machine) -> Beskar7Machine | None:
        ref = machine.spec.infrastructure_ref
        if ref is None or ref.kind != BESKAR7_MACHINE.kind or not ref.name:
            return None
        group = ref.api_group or (ref.api_version or "").partition("/")[0]
        if group != GROUP:
            return None
        namespace = ref.namespace or machine.metadata.namespace
        try:
            obj = await self.store.get(BESKAR7_MACHINE, namespace, ref.name)
            return Beskar7Machine.from_obj(obj)
        except (NotFoundError, ValidationError):
            return None

    async def _write_status(self, obj: Obj, cluster: Beskar7Cluster, step: Step) -> None:
        """The status the core computed (written only when it changed), and events for what
        changed in it."""
        meta, old_status, status = cluster.metadata, cluster.status, step.status
        self.stats.state(meta.namespace, meta.name, bool(status.ready), len(status.failure_domains))
        await shell.write_status(self.store, BESKAR7_CLUSTER, meta, old_status, status)
        names = [d.name for d in status.failure_domains]
        if status.ready and not old_status.ready:
            where = status.control_plane_endpoint
            message = f"control-plane endpoint {where.host}:{where.port}" if where else ""
            await self.recorder.event(obj, "Normal", EVENT_READY, message)
        if set(names) != {d.name for d in old_status.failure_domains}:
            zones = ", ".join(names) or "none"
            await self.recorder.event(obj, "Normal", EVENT_FAILURE_DOMAINS_CHANGED, zones)

    async def _delete(self, cluster: Beskar7Cluster) -> Result:
        """Nothing to tear down on bare metal: the hosts belong to their machines."""
        meta = cluster.metadata
        await shell.remove_finalizer(self.store, BESKAR7_CLUSTER, meta, FINALIZER)
        self.stats.forget(meta.namespace, meta.name)
        return DONE


def _user_endpoint(host: str, port: int) -> APIEndpoint | None:
    """The Cluster's endpoint when the user set a usable one (port 0 means the default)."""
    if not host:
        return None
    try:
        return APIEndpoint(host=host, port=port or DEFAULT_API_SERVER_PORT)
    except ValidationError:
        log.info("Cluster endpoint %s:%s is not usable; ignored", host, port)
        return None


# -- watches ---------------------------------------------------------------------------------


def _owned_by_cluster(obj: Obj, cluster_name: str) -> bool:
    return any(
        ref.get("kind") == CLUSTER.kind
        and str(ref.get("apiVersion", "")).partition("/")[0] == CAPI_GROUP
        and ref.get("name") == cluster_name
        for ref in obj.get("metadata", {}).get("ownerReferences") or []
    )


def _infrastructure_ref(capi_cluster: Obj) -> Request | None:
    """The Beskar7Cluster a CAPI Cluster's spec.infrastructureRef names, if it names one."""
    ref = capi_cluster.get("spec", {}).get("infrastructureRef") or {}
    group = ref.get("apiGroup") or str(ref.get("apiVersion", "")).partition("/")[0]
    if ref.get("kind") != BESKAR7_CLUSTER.kind or group != GROUP or not ref.get("name"):
        return None
    namespace = ref.get("namespace") or capi_cluster["metadata"].get("namespace", "")
    return Request(namespace, ref["name"])


def beskar7_clusters_of(
    namespace: str, cluster_name: str, clusters: Informer, capi_clusters: Informer
) -> list[Request]:
    """The Beskar7Clusters of the CAPI Cluster `cluster_name`: the one its infrastructureRef
    names and any it owns (the reference may not be set yet)."""
    found: dict[Request, None] = {}
    capi = capi_clusters.get(namespace, cluster_name)
    if capi is not None and (ref := _infrastructure_ref(capi)) is not None:
        found[ref] = None
    for obj in clusters.list(namespace):
        if _owned_by_cluster(obj, cluster_name):
            found[Request(namespace, obj["metadata"]["name"])] = None
    return list(found)


def clusters_in_namespace(clusters: Informer) -> Callable[[Obj], Iterable[Request]]:
    """Watch mapper: a PhysicalHost's change (its zone) concerns every cluster of its namespace."""

    def map_host(host: Obj) -> Iterable[Request]:
        namespace = host.get("metadata", {}).get("namespace", "")
        return [Request(namespace, obj["metadata"]["name"]) for obj in clusters.list(namespace)]

    return map_host


def clusters_of_labelled(
    clusters: Informer, capi_clusters: Informer
) -> Callable[[Obj], Iterable[Request]]:
    """Watch mapper: a (Beskar7)Machine labelled with its cluster's name concerns that cluster."""

    def map_machine(machine: Obj) -> Iterable[Request]:
        meta = machine.get("metadata", {})
        name = (meta.get("labels") or {}).get(CLUSTER_NAME_LABEL)
        if not name:
            return []
        return beskar7_clusters_of(meta.get("namespace", ""), name, clusters, capi_clusters)

    return map_machine


def clusters_of_owner(
    clusters: Informer, capi_clusters: Informer
) -> Callable[[Obj], Iterable[Request]]:
    """Watch mapper: a CAPI Cluster's change (paused, infrastructureRef) concerns its own."""

    def map_cluster(capi: Obj) -> Iterable[Request]:
        namespace, name = object_key(capi)
        found = beskar7_clusters_of(namespace, name, clusters, capi_clusters)
        ref = _infrastructure_ref(capi)  # the cache may not have this version of it yet
        return found if ref is None or ref in found else [ref, *found]

    return map_cluster


def controller(
    reconciler: Beskar7ClusterReconciler,
    clusters: Informer,
    capi_clusters: Informer,
    concurrency: int = 1,
) -> ControllerSpec:
    """`clusters` and `capi_clusters` are the caches of Beskar7Clusters and CAPI Clusters."""
    by_label = clusters_of_labelled(clusters, capi_clusters)
    return ControllerSpec(
        name="beskar7cluster",
        kind=BESKAR7_CLUSTER,
        reconciler=reconciler,
        watches=[
            Watch(PHYSICAL_HOST, clusters_in_namespace(clusters)),
            Watch(MACHINE, by_label),
            Watch(BESKAR7_MACHINE, by_label),
            Watch(CLUSTER, clusters_of_owner(clusters, capi_clusters)),
        ],
        concurrency=concurrency,
    )
