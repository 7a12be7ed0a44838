"""The PhysicalHost reconciler: enroll a host through its BMC and keep its status true.

The shell around `hoststatus`: it reads the host and its credentials, looks at the BMC, writes
the status the core computed (once, only when it changed), then emits events and metrics.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from beskar7.api.capi import has_paused_annotation
from beskar7.api.kinds import PHYSICAL_HOST, SECRET, Obj
from beskar7.api.physicalhost import (
    EVENT_DELETED_WHILE_CLAIMED,
    EVENT_STATE_CHANGED,
    FINALIZER,
    HostState,
    PhysicalHost,
    PhysicalHostStatus,
)
from beskar7.controllers import bmc
from beskar7.controllers.hoststats import HostStats
from beskar7.controllers.hoststatus import Observation, enrolling, next_status
from beskar7.metrics import Metrics
from beskar7.redfish import RedfishClient, RedfishConnect, RedfishError
from beskar7.runtime.controller import ControllerSpec, Request, Result, Watch
from beskar7.runtime.errors import ConflictError, NotFoundError
from beskar7.runtime.events import EventRecorder
from beskar7.runtime.informer import Informer
from beskar7.runtime.merge_patch import merge_diff
from beskar7.runtime.store import Store

log = logging.getLogger(__name__)

HEALTHY_RECHECK = 300.0
"""Seconds between looks at a healthy host's BMC."""
BACKOFF = Result(requeue_after=0)
"""Ask the work queue for its per-key exponential backoff (5 s doubling to 30 min)."""


@dataclass
class PhysicalHostSettings:
    redfish_timeout: float = 10.0
    healthy_recheck: float = HEALTHY_RECHECK


class PhysicalHostReconciler:
    def __init__(
        self,
        store: Store,
        recorder: EventRecorder,
        metrics: Metrics,
        *,
        connect: RedfishConnect = RedfishClient.connect,
        settings: PhysicalHostSettings | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
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
            return Result()
        host = PhysicalHost.from_obj(obj)
        if has_paused_annotation(host.metadata):
            return Result()
        try:
            if host.metadata.deletion_timestamp is not None:
                return await self._delete(obj, host)
            if FINALIZER not in host.metadata.finalizers:
                await self._set_finalizers(host, [*host.metadata.finalizers, FINALIZER])
                return Result()
            return await self._enroll(obj, host)
        except ConflictError:
            return Result(requeue_after=1.0)  # someone wrote first; look again at the new version

    async def _enroll(self, obj: Obj, host: PhysicalHost) -> Result:
        now = self.clock()
        if not host.status.state:
            await self._write_status(obj, host, enrolling(host, now))
            return Result(requeue_after=0.01)
        seen = await self._observe(host)
        status = next_status(host, seen, now)
        await self._write_status(obj, host, status)
        if seen.failure is not None:
            log.info("host %s/%s: %s", host.metadata.namespace, host.metadata.name, seen.failure)
            return BACKOFF
        return Result(requeue_after=self.settings.healthy_recheck)

    async def _observe(self, host: PhysicalHost) -> Observation:
        namespace = host.metadata.namespace
        secret_name = host.spec.redfish_connection.credentials_secret_ref
        try:
            credentials = await bmc.read_credentials(self.store, namespace, secret_name)
        except bmc.CredentialsError as exc:
            return Observation(failure=exc.failure)
        seen = await bmc.observe(host, credentials, self.connect, self.settings.redfish_timeout)
        self.stats.connection(namespace, seen)
        return seen

    async def _write_status(self, obj: Obj, host: PhysicalHost, status: PhysicalHostStatus) -> None:
        """The one place host status is written: a merge patch of what changed, if anything."""
        old = host.status.model_dump(mode="json", by_alias=True, exclude_none=True)
        new = status.model_dump(mode="json", by_alias=True, exclude_none=True)
        if old == new:
            return
        meta = host.metadata
        await self.store.patch_status(
            PHYSICAL_HOST, meta.namespace, meta.name, {"status": merge_diff(old, new)}
        )
        self.stats.state(meta.namespace, meta.name, status.state)
        if status.state != host.status.state:
            before = host.status.state or "New"
            message = f"{before} -> {status.state}"
            if status.error_message:
                message += f": {status.error_message}"
            kind = "Warning" if status.state == HostState.ERROR else "Normal"
            await self.recorder.event(obj, kind, EVENT_STATE_CHANGED, message)

    async def _set_finalizers(self, host: PhysicalHost, finalizers: list[str]) -> None:
        meta = host.metadata
        patch = {"metadata": {"finalizers": finalizers, "resourceVersion": meta.resource_version}}
        await self.store.patch(PHYSICAL_HOST, meta.namespace, meta.name, patch)

    async def _delete(self, obj: Obj, host: PhysicalHost) -> Result:
        meta = host.metadata
        if FINALIZER not in meta.finalizers:
            return Result()
        if host.spec.consumer_ref is not None:
            claimer = host.spec.consumer_ref.name
            message = f"deleted while claimed by Beskar7Machine {claimer}"
            await self.recorder.event(obj, "Warning", EVENT_DELETED_WHILE_CLAIMED, message)
        await self._power_off(host)
        await self._set_finalizers(host, [f for f in meta.finalizers if f != FINALIZER])
        self.stats.forget(meta.namespace, meta.name)
        return Result()

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
            if await client.power_state() != "Off":
                await client.force_off()
            self.stats.power(namespace, "PowerOff", ok=True)
        except RedfishError as exc:
            self.stats.power(namespace, "PowerOff", ok=False)
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


def controller(
    reconciler: PhysicalHostReconciler, hosts: Informer, concurrency: int = 1
) -> ControllerSpec:
    return ControllerSpec(
        name="physicalhost",
        kind=PHYSICAL_HOST,
        reconciler=reconciler,
        watches=[Watch(SECRET, hosts_using_secret(hosts))],
        concurrency=concurrency,
    )
