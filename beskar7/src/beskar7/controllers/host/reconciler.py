"""The PhysicalHost reconciler: enroll a host through its BMC, keep its status true, and carry
out the provisioning protocol's requests (annotations) on it.

The shell around `core` (core.py): it reads the host, its credentials and the inspection report the
annotations point at, asks the core for a plan, visits the BMC once (a look at the system, then
the plan's Redfish actions), writes the status the core computed (once, only when it changed),
removes the annotations that status consumed (a metadata patch with the resourceVersion the
status write returned), then emits events and metrics.
"""

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import ValidationError

from beskar7.api.capi import (
    CLUSTER_NAME_LABEL,
    Cluster,
    ConfigMap,
    has_paused_annotation,
    watched,
)
from beskar7.api.errors import ConflictError, NotFoundError
from beskar7.api.kinds import CLUSTER, CONFIG_MAP, PHYSICAL_HOST, SECRET, Obj
from beskar7.api.meta import set_paused
from beskar7.api.physicalhost import (
    EVENT_DELETE_WAITS,
    EVENT_DELETED_WHILE_CLAIMED,
    EVENT_STATE_CHANGED,
    FINALIZER,
    HostState,
    InspectionReport,
    PhysicalHost,
    PhysicalHostStatus,
)
from beskar7.api.protocol import REPORT_KEY, Annotation, Label
from beskar7.controllers import shell
from beskar7.controllers.host import bmc
from beskar7.controllers.host.core import decide, enrolling, plan
from beskar7.controllers.host.data import (
    ActionResult,
    HostInputs,
    Observation,
    Plan,
    ReportRead,
    Step,
)
from beskar7.controllers.host.stats import HostStats
from beskar7.controllers.metrics import KindMetrics
from beskar7.controllers.shell import BACK_OFF, CONFLICT, DONE
from beskar7.redfish import (
    PowerOperation,
    PowerState,
    RedfishClient,
    RedfishConnect,
    RedfishError,
)
from beskar7.runtime.controller import ControllerSpec, Request, Result, Watch
from beskar7.runtime.events import EventRecorder
from beskar7.runtime.informer import Informer
from beskar7.store.protocol import Store

log = logging.getLogger(__name__)

HEALTHY_RECHECK = 300.0
"""Seconds between looks at a healthy host's BMC."""
ENROLLED_REQUEUE = 0.01
"""Seconds before the first look at the BMC of a host just marked Enrolling."""
DELETE_WAIT_REQUEUE = 30.0
"""Seconds between looks at a deleted host still claimed by a machine."""


@dataclass
class PhysicalHostSettings:
    redfish_timeout: float = 10.0
    healthy_recheck: float = HEALTHY_RECHECK
    watch_filter: str = ""
    """`--watch-filter`: only hosts labelled cluster.x-k8s.io/watch-filter=<this>."""


class PhysicalHostReconciler:
    def __init__(
        self,
        store: Store,
        recorder: EventRecorder,
        metrics: KindMetrics,
        *,
        connect: RedfishConnect = RedfishClient.connect,
        settings: PhysicalHostSettings | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        clusters: Informer | None = None,
    ) -> None:
        """`clusters`: a cache of CAPI Clusters to read pauses from (else the store)."""
        self.store = store
        self.clusters = clusters
        self.recorder = recorder
        self.metrics = metrics
        self.connect = connect
        self.settings = settings or PhysicalHostSettings()
        self.clock = clock
        self.stats = HostStats(metrics)

    async def reconcile(self, request: Request) -> Result:
        try:
            obj = await self.store.get(PHYSICAL_HOST, request.namespace, request.name)
        except NotFoundError:
            self.stats.forget(request.namespace, request.name)
            return DONE
        host = PhysicalHost.from_obj(obj)
        if not watched(host.metadata, self.settings.watch_filter):
            return DONE
        try:
            if has_paused_annotation(host.metadata) or await self._cluster_paused(host):
                return await self._paused(host)
            if host.metadata.deletion_timestamp is not None:
                return await self._delete(obj, host)
            if await shell.add_finalizer(self.store, PHYSICAL_HOST, host.metadata, FINALIZER):
                return DONE
            return await self._manage(obj, host)
        except ConflictError:
            return CONFLICT

    async def _cluster_paused(self, host: PhysicalHost) -> bool:
        """The Cluster of the host's consumer (the label the claim wrote) is paused, as during
        `clusterctl move`: the host is left as it is."""
        name = host.metadata.labels.get(CLUSTER_NAME_LABEL)
        if not name or host.spec.consumer_ref is None:
            return False
        ns = host.metadata.namespace
        if self.clusters is not None:
            cached = self.clusters.get(ns, name)
            return cached is not None and bool(cached.get("spec", {}).get("paused"))
        cluster = await shell.read_model(self.store, CLUSTER, ns, name, Cluster)
        return cluster is not None and bool(cluster.spec.paused)

    async def _paused(self, host: PhysicalHost) -> Result:
        status = host.status.model_copy(deep=True)
        status.conditions = set_paused(status.conditions, True, self.clock())
        await shell.write_status(self.store, PHYSICAL_HOST, host.metadata, host.status, status)
        return DONE

    async def _manage(self, obj: Obj, host: PhysicalHost) -> Result:
        now = self.clock()
        if not host.status.state:
            status = enrolling(host, now)
            await shell.write_status(self.store, PHYSICAL_HOST, host.metadata, host.status, status)
            self.stats.state(host.metadata.namespace, host.metadata.name, status.state)
            await self._state_event(obj, host.status, status)
            return Result.after(ENROLLED_REQUEUE)
        report = await self._read_report(host)
        planned = plan(host)
        seen, results = await self._visit(host, planned)
        step = decide(host, HostInputs(seen, now, planned, results, report))
        step.status.conditions = set_paused(step.status.conditions, False, now)
        meta = host.metadata
        version = await shell.write_status(
            self.store, PHYSICAL_HOST, meta, host.status, step.status
        )
        await self._after_save(obj, host, step, results, now)
        await self._remove_annotations(host, version, step.remove)
        if seen.failure is not None or step.retry:
            why = seen.failure or "a Redfish action failed"
            log.info("host %s/%s: %s", host.metadata.namespace, host.metadata.name, why)
            return BACK_OFF
        return Result.after(self.settings.healthy_recheck)

    async def _visit(
        self, host: PhysicalHost, planned: Plan
    ) -> tuple[Observation, tuple[ActionResult, ...]]:
        namespace = host.metadata.namespace
        secret_name = host.spec.redfish_connection.credentials_secret_ref
        try:
            credentials = await bmc.read_credentials(self.store, namespace, secret_name)
        except bmc.CredentialsError as exc:
            return Observation(failure=exc.failure), ()
        timeout = self.settings.redfish_timeout
        seen, results = await bmc.visit(host, credentials, self.connect, timeout, planned)
        self.stats.connection(namespace, seen)
        return seen, results

    async def _read_report(self, host: PhysicalHost) -> ReportRead | None:
        """The report the `inspection-result-ref` annotation names (only a consumer's host)."""
        name = host.metadata.annotations.get(Annotation.INSPECTION_RESULT_REF)
        if name is None or host.spec.consumer_ref is None:
            return None
        try:
            found = ConfigMap.from_obj(
                await self.store.get(CONFIG_MAP, host.metadata.namespace, name)
            )
        except NotFoundError:
            return ReportRead(problem=f'inspection result ConfigMap "{name}" not found')
        if found.metadata.labels.get(Label.HOST) != host.metadata.name:
            return ReportRead(problem=f'ConfigMap "{name}" is not labelled for this host')
        try:
            data = json.loads(found.data[REPORT_KEY])
            return ReportRead(report=InspectionReport.model_validate(data))
        except KeyError:
            return ReportRead(problem=f'ConfigMap "{name}" has no "{REPORT_KEY}" key')
        except (ValueError, ValidationError) as exc:
            problem = str(exc).splitlines()[0]
            return ReportRead(problem=f'ConfigMap "{name}" holds no valid report: {problem}')

    async def _remove_annotations(
        self, host: PhysicalHost, version: str | None, keys: tuple[str, ...]
    ) -> None:
        """Drop consumed annotations; a conflict means someone wrote since: look again."""
        if not keys:
            return
        meta = host.metadata
        patch = {"metadata": {"resourceVersion": version, "annotations": dict.fromkeys(keys)}}
        await self.store.patch(PHYSICAL_HOST, meta.namespace, meta.name, patch)

    async def _after_save(
        self,
        obj: Obj,
        host: PhysicalHost,
        step: Step,
        results: tuple[ActionResult, ...],
        now: datetime,
    ) -> None:
        namespace = host.metadata.namespace
        self.stats.state(namespace, host.metadata.name, step.status.state)
        self.stats.actions(namespace, results)
        self.stats.inspection(namespace, host.status, step.status, now)
        await self._state_event(obj, host.status, step.status)
        for note in step.notes:
            await self.recorder.event(obj, note.type, note.reason, note.message)

    async def _state_event(
        self, obj: Obj, old: PhysicalHostStatus, new: PhysicalHostStatus
    ) -> None:
        if new.state == old.state:
            return
        message = f"{old.state or 'New'} -> {new.state}"
        if new.error_message:
            message += f": {new.error_message}"
        kind = "Warning" if new.state == HostState.ERROR else "Normal"
        await self.recorder.event(obj, kind, EVENT_STATE_CHANGED, message)

    async def _delete(self, obj: Obj, host: PhysicalHost) -> Result:
        meta = host.metadata
        if FINALIZER not in meta.finalizers:
            return DONE
        if host.spec.consumer_ref is not None:
            # Its machine still runs on it: keep managing it until the machine lets go.
            claimer = host.spec.consumer_ref.name
            message = f"deleted while claimed by Beskar7Machine {claimer}; waiting for it to let go"
            await self.recorder.event(obj, "Warning", EVENT_DELETED_WHILE_CLAIMED, message)
            await self._manage(obj, host)
            return Result.after(DELETE_WAIT_REQUEUE)
        if host.status.state == HostState.RELEASING:
            await self.recorder.event(obj, "Normal", EVENT_DELETE_WAITS, "releasing first")
            return await self._manage(obj, host)
        await self._power_off(host)
        await shell.remove_finalizer(self.store, PHYSICAL_HOST, meta, FINALIZER)
        self.stats.forget(meta.namespace, meta.name)
        return DONE

    async def _power_off(self, host: PhysicalHost) -> None:
        """Best effort: a host leaving management is switched off if its BMC lets us."""
        namespace = host.metadata.namespace
        try:
            credentials = await bmc.read_credentials(
                self.store, namespace, host.spec.redfish_connection.credentials_secret_ref
            )
            client = await bmc.open_bmc(
                host, credentials, self.connect, self.settings.redfish_timeout
            )
        except (bmc.CredentialsError, RedfishError) as exc:
            log.info("host %s/%s: not powered off: %s", namespace, host.metadata.name, exc)
            return
        try:
            if await client.power_state() != PowerState.OFF:
                await client.force_off()
            self.stats.power(namespace, PowerOperation.POWER_OFF, ok=True)
        except RedfishError as exc:
            self.stats.power(namespace, PowerOperation.POWER_OFF, ok=False)
            log.info("host %s/%s: power off failed: %s", namespace, host.metadata.name, exc)
        finally:
            await client.close()


def hosts_using_secret(hosts: Informer) -> Callable[[Obj], Iterable[Request]]:
    """Watch mapper: a Secret's change concerns the hosts whose credentials it holds."""

    def map_secret(secret: Obj) -> Iterable[Request]:
        meta = secret.get("metadata", {})
        namespace, name = meta.get("namespace", ""), meta.get("name")
        for obj in hosts.list(namespace):
            conn = obj.get("spec", {}).get("redfishConnection", {})
            if conn.get("credentialsSecretRef") == name:
                yield Request(namespace, obj["metadata"]["name"])

    return map_secret


def hosts_of_cluster(hosts: Informer) -> Callable[[Obj], Iterable[Request]]:
    """Watch mapper: a Cluster's change (paused, unpaused) concerns the hosts its machines hold
    (labelled with its name at the claim)."""

    def map_cluster(cluster: Obj) -> Iterable[Request]:
        meta = cluster.get("metadata", {})
        namespace = meta.get("namespace", "")
        for obj in hosts.list(namespace, {CLUSTER_NAME_LABEL: meta.get("name", "")}):
            yield Request(namespace, obj["metadata"]["name"])

    return map_cluster


def controller(
    reconciler: PhysicalHostReconciler, hosts: Informer, concurrency: int = 1
) -> ControllerSpec:
    return ControllerSpec(
        name="physicalhost",
        kind=PHYSICAL_HOST,
        reconciler=reconciler,
        watches=[
            Watch(SECRET, hosts_using_secret(hosts)),
            Watch(CLUSTER, hosts_of_cluster(hosts)),
        ],
        concurrency=concurrency,
    )
