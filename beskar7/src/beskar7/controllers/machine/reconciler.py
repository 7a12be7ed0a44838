"""The Beskar7Machine reconciler: a Cluster API Machine's bare-metal infrastructure.

The shell around `core` (core.py), following the infrastructure-machine contract: no owner
Machine, nothing to do yet; the Cluster from the `cluster.x-k8s.io/cluster-name` label; paused
(annotation, or Cluster.spec.paused) means untouched; the finalizer first. Then it reads the
owner Machine's bootstrap data Secret and the namespace's PhysicalHosts, asks the core for the
next step, carries out its one action on the host (claim, request, release) or on its own spec
(providerID), writes the status (once, only when it changed), then emits events and metrics.

Deletion releases every host whose consumerRef names the machine (not the one spec.providerID
names: a machine deleted mid-inspection has none) and drops the finalizer; the PhysicalHost
controller clears the boot override and powers the host off unless force-release is set.

Wiring (the manager's caches serve the watch mappers):

    metrics = KindMetrics(manager.metrics.registry)  # once per manager
    reconciler = Beskar7MachineReconciler(store, manager.recorder, metrics,
        settings=MachineSettings(inspection_timeout=options.inspection_timeout,
                                 deployment_timeout=options.deployment_timeout))
    manager.add(controller(reconciler, manager.cache(BESKAR7_MACHINE), manager.cache(MACHINE)))
"""

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from beskar7.api.capi import (
    CLUSTER_NAME_LABEL,
    Cluster,
    Machine,
    has_paused_annotation,
    watched,
)
from beskar7.api.errors import ConflictError, NotFoundError
from beskar7.api.kinds import (
    BESKAR7_MACHINE,
    CAPI_GROUP,
    CLUSTER,
    MACHINE,
    PHYSICAL_HOST,
    SECRET,
    Obj,
)
from beskar7.api.machine import (
    EVENT_HOST_RELEASED,
    EVENT_PHASE_CHANGED,
    FINALIZER,
    Beskar7Machine,
    MachinePhase,
)
from beskar7.api.meta import OwnerReference, set_paused
from beskar7.api.physicalhost import HostState, PhysicalHost
from beskar7.controllers import shell
from beskar7.controllers.machine import hosts
from beskar7.controllers.machine.core import (
    DEFAULT_DEPLOYMENT_TIMEOUT,
    DEFAULT_INSPECTION_TIMEOUT,
    REQUEST_VALUES,
    Action,
    Bootstrap,
    MachineFacts,
    Step,
    decide,
)
from beskar7.controllers.machine.stats import MachineStats
from beskar7.controllers.metrics import KindMetrics
from beskar7.controllers.shell import CONFLICT, DONE
from beskar7.runtime.controller import ControllerSpec, Request, Result, Watch
from beskar7.runtime.events import EventRecorder
from beskar7.runtime.informer import Informer
from beskar7.store.protocol import Store

log = logging.getLogger(__name__)

NO_OWNER_REQUEUE = 10.0
"""Seconds before looking again at a machine without its owner Machine or Cluster."""


@dataclass
class MachineSettings:
    inspection_timeout: float = DEFAULT_INSPECTION_TIMEOUT
    """Seconds from the host's inspectionTimestamp until the inspection counts as failed."""
    deployment_timeout: float = DEFAULT_DEPLOYMENT_TIMEOUT
    """Seconds from the host's inspectionReport.timestamp until a Provisioning machine whose
    host is not Ready fails (DeploymentTimedOut); upstream's `--deployment-timeout`."""
    watch_filter: str = ""
    """`--watch-filter`: only machines labelled cluster.x-k8s.io/watch-filter=<this>."""


def owner_machine(machine: Beskar7Machine) -> OwnerReference | None:
    """The CAPI Machine among the owners (kind Machine, group cluster.x-k8s.io)."""
    return next(
        (
            ref
            for ref in machine.metadata.owner_references
            if ref.kind == MACHINE.kind and ref.api_version.partition("/")[0] == CAPI_GROUP
        ),
        None,
    )


class Beskar7MachineReconciler:
    def __init__(
        self,
        store: Store,
        recorder: EventRecorder,
        metrics: KindMetrics,
        *,
        settings: MachineSettings | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.recorder = recorder
        self.metrics = metrics
        self.settings = settings or MachineSettings()
        self.clock = clock
        self.stats = MachineStats(metrics)

    async def reconcile(self, request: Request) -> Result:
        try:
            obj = await self.store.get(BESKAR7_MACHINE, request.namespace, request.name)
        except NotFoundError:
            self.stats.forget(request.namespace, request.name)
            return DONE
        machine = Beskar7Machine.from_obj(obj)
        if not watched(machine.metadata, self.settings.watch_filter):
            return DONE
        try:
            if machine.metadata.deletion_timestamp is not None:
                return await self._delete(obj, machine)
            return await self._reconcile(obj, machine)
        except ConflictError:
            return CONFLICT

    async def _reconcile(self, obj: Obj, machine: Beskar7Machine) -> Result:
        meta = machine.metadata
        owner = owner_machine(machine)
        cluster = await self._cluster(machine)
        if owner is None or cluster is None:
            log.debug(
                "machine %s/%s: waiting for its owner Machine/Cluster", meta.namespace, meta.name
            )
            return Result.after(NO_OWNER_REQUEUE)
        if _paused(machine, cluster):
            status = machine.status.model_copy(deep=True)
            status.conditions = set_paused(status.conditions, True, self.clock())
            await shell.write_status(self.store, BESKAR7_MACHINE, meta, machine.status, status)
            return DONE
        if await shell.add_finalizer(self.store, BESKAR7_MACHINE, meta, FINALIZER):
            return DONE
        capi = await shell.read_model(self.store, MACHINE, meta.namespace, owner.name, Machine)
        if capi is None:
            return Result.after(NO_OWNER_REQUEUE)
        bootstrap = await self._bootstrap(capi)
        zone = capi.spec.failure_domain
        found = hosts.find(machine, await hosts.list_hosts(self.store, meta.namespace), zone)
        facts = MachineFacts(
            machine,
            bootstrap,
            self.clock(),
            host=found.ours,
            candidate=found.candidate,
            skipped=found.skipped,
            moved=found.moved,
            failure_domain=zone,
            cluster_provisioned=cluster.infrastructure_provisioned,
            inspection_timeout=self.settings.inspection_timeout,
            deployment_timeout=self.settings.deployment_timeout,
        )
        return await self._carry_out(obj, machine, decide(facts), found.ours or found.candidate)

    async def _carry_out(
        self, obj: Obj, machine: Beskar7Machine, step: Step, host: PhysicalHost | None
    ) -> Result:
        """The step's action on the host or the spec, the status, then events and metrics; a
        release comes after the status so a terminal failure is on record first."""
        action = step.action
        if action == Action.CLAIM and host is not None:
            if not await self._claim(machine, host):
                return CONFLICT
        elif action in REQUEST_VALUES and host is not None:
            await hosts.request(self.store, host, REQUEST_VALUES[action])
        elif action == Action.SET_PROVIDER_ID and step.provider_id is not None:
            await self._set_provider_id(machine, step.provider_id)
        meta = machine.metadata
        step.status.conditions = set_paused(step.status.conditions, False, self.clock())
        await shell.write_status(self.store, BESKAR7_MACHINE, meta, machine.status, step.status)
        if action == Action.RELEASE and host is not None:
            await self._release(obj, machine, host)
        await self._after_save(obj, machine, step)
        return DONE if step.requeue_after is None else Result.after(step.requeue_after)

    async def _claim(self, machine: Beskar7Machine, host: PhysicalHost) -> bool:
        started = time.monotonic()
        try:
            await hosts.claim(self.store, machine, host)
        except ConflictError:
            won = False
        else:
            won = True
        seconds = time.monotonic() - started
        self.stats.claim(machine.metadata.namespace, won=won, seconds=seconds)
        return won

    async def _release(self, obj: Obj, machine: Beskar7Machine, host: PhysicalHost) -> None:
        force = hosts.force_release(machine)
        await hosts.release(self.store, host, force=force)
        how = " (force-release: no power off)" if force else ""
        message = f"released PhysicalHost {host.metadata.name}{how}"
        await self.recorder.event(obj, "Normal", EVENT_HOST_RELEASED, message)

    async def _delete(self, obj: Obj, machine: Beskar7Machine) -> Result:
        meta = machine.metadata
        if FINALIZER not in meta.finalizers:
            return DONE
        if _paused(machine, await self._cluster(machine)):
            return DONE
        for host in hosts.owned_hosts(machine, await hosts.list_hosts(self.store, meta.namespace)):
            await self._release(obj, machine, host)
        await shell.remove_finalizer(self.store, BESKAR7_MACHINE, meta, FINALIZER)
        self.stats.forget(meta.namespace, meta.name)
        return DONE

    async def _cluster(self, machine: Beskar7Machine) -> Cluster | None:
        name = machine.metadata.labels.get(CLUSTER_NAME_LABEL)
        if not name:
            return None
        return await shell.read_model(
            self.store, CLUSTER, machine.metadata.namespace, name, Cluster
        )

    async def _bootstrap(self, capi: Machine) -> Bootstrap:
        name = capi.spec.bootstrap.data_secret_name
        if not name:
            return Bootstrap.NO_SECRET_NAME
        try:
            await self.store.get(SECRET, capi.metadata.namespace, name)
        except NotFoundError:
            return Bootstrap.SECRET_MISSING
        return Bootstrap.READY

    async def _set_provider_id(self, machine: Beskar7Machine, provider_id: str) -> None:
        meta = machine.metadata
        patch = {
            "metadata": {"resourceVersion": meta.resource_version},
            "spec": {"providerID": provider_id},
        }
        await self.store.patch(BESKAR7_MACHINE, meta.namespace, meta.name, patch)

    async def _after_save(self, obj: Obj, machine: Beskar7Machine, step: Step) -> None:
        meta, old, new = machine.metadata, machine.status.phase, step.status.phase
        self.stats.phase(meta.namespace, meta.name, new)
        if new == old:
            return
        if new in (MachinePhase.PROVISIONED, MachinePhase.FAILED) and meta.creation_timestamp:
            seconds = (self.clock() - meta.creation_timestamp).total_seconds()
            ok = new == MachinePhase.PROVISIONED
            self.stats.finished(meta.namespace, ok=ok, seconds=seconds)
        kind = "Warning" if new == MachinePhase.FAILED else "Normal"
        message = f"{old or 'New'} -> {new}: {step.message}"
        await self.recorder.event(obj, kind, EVENT_PHASE_CHANGED, message)


def _paused(machine: Beskar7Machine, cluster: Cluster | None) -> bool:
    return has_paused_annotation(machine.metadata) or bool(cluster and cluster.spec.paused)


# -- watches ------------------------------------------------------------------------------------


def machine_of_host(machines: Informer) -> Callable[[Obj], Iterable[Request]]:
    """A host's change concerns its consumer; a host turning Available, the machines of its
    namespace still waiting for one."""

    def map_host(obj: Obj) -> Iterable[Request]:
        host_ns = obj.get("metadata", {}).get("namespace", "")
        ref = obj.get("spec", {}).get("consumerRef")
        if isinstance(ref, dict) and ref.get("kind") == BESKAR7_MACHINE.kind and ref.get("name"):
            yield Request(ref.get("namespace") or host_ns, ref["name"])
            return
        if obj.get("status", {}).get("state") != HostState.AVAILABLE:
            return
        for machine in machines.list(host_ns):
            if machine.get("status", {}).get("phase") in (None, MachinePhase.PENDING):
                yield Request(host_ns, machine["metadata"]["name"])

    return map_host


def machines_owned_by(machines: Informer) -> Callable[[Obj], Iterable[Request]]:
    """A CAPI Machine's change concerns the Beskar7Machines it owns."""

    def map_machine(obj: Obj) -> Iterable[Request]:
        meta = obj.get("metadata", {})
        namespace, name, uid = meta.get("namespace", ""), meta.get("name"), meta.get("uid")
        for machine in machines.list(namespace):
            for ref in machine["metadata"].get("ownerReferences", []):
                same_uid = not uid or not ref.get("uid") or ref.get("uid") == uid
                if ref.get("kind") == MACHINE.kind and ref.get("name") == name and same_uid:
                    yield Request(namespace, machine["metadata"]["name"])
                    break

    return map_machine


def machines_using_secret(
    machines: Informer, capi_machines: Informer
) -> Callable[[Obj], Iterable[Request]]:
    """A Secret's change concerns the machines whose owner Machine bootstraps from it."""
    owned_by = machines_owned_by(machines)

    def map_secret(secret: Obj) -> Iterable[Request]:
        meta = secret.get("metadata", {})
        namespace, name = meta.get("namespace", ""), meta.get("name")
        for capi in capi_machines.list(namespace):
            if capi.get("spec", {}).get("bootstrap", {}).get("dataSecretName") == name:
                yield from owned_by(capi)

    return map_secret


def machines_in_cluster(machines: Informer) -> Callable[[Obj], Iterable[Request]]:
    """A Cluster's change (paused, unpaused) concerns the machines labelled with its name."""

    def map_cluster(obj: Obj) -> Iterable[Request]:
        meta = obj.get("metadata", {})
        namespace = meta.get("namespace", "")
        for machine in machines.list(namespace, {CLUSTER_NAME_LABEL: meta.get("name", "")}):
            yield Request(namespace, machine["metadata"]["name"])

    return map_cluster


def controller(
    reconciler: Beskar7MachineReconciler,
    machines: Informer,
    capi_machines: Informer,
    concurrency: int = 1,
) -> ControllerSpec:
    """`machines` is the Beskar7Machine cache, `capi_machines` the CAPI Machine cache."""
    return ControllerSpec(
        name="beskar7machine",
        kind=BESKAR7_MACHINE,
        reconciler=reconciler,
        watches=[
            Watch(PHYSICAL_HOST, machine_of_host(machines)),
            Watch(MACHINE, machines_owned_by(machines)),
            Watch(SECRET, machines_using_secret(machines, capi_machines)),
            Watch(CLUSTER, machines_in_cluster(machines)),
        ],
        concurrency=concurrency,
    )
