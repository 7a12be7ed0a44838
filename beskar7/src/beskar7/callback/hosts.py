"""What the callback server reads and writes in the store.

It never writes PhysicalHost status: only annotations, by merge patch with a
`metadata.resourceVersion` precondition (a conflict re-reads and decides again), and the
inspection-result ConfigMap. Missing objects read as None so callers can answer opaquely.
"""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from beskar7.api import capi
from beskar7.api.capi import (
    CLUSTER_NAME_LABEL,
    Cluster,
    ConfigMap,
    Machine,
    Secret,
    has_paused_annotation,
)
from beskar7.api.errors import AlreadyExistsError, ConflictError, NotFoundError
from beskar7.api.kinds import (
    BESKAR7_MACHINE,
    CLUSTER,
    CONFIG_MAP,
    MACHINE,
    PHYSICAL_HOST,
    SECRET,
    Kind,
    Obj,
)
from beskar7.api.machine import Beskar7Machine, MachinePhase
from beskar7.api.physicalhost import HostState, InspectionPhase, PhysicalHost
from beskar7.api.protocol import (
    INSPECTION_RESULT_CONFIGMAP_SUFFIX,
    OWNED_BY,
    REPORT_KEY,
    Annotation,
    Label,
)
from beskar7.callback.boot import normalize_mac
from beskar7.store.protocol import Store

log = logging.getLogger(__name__)

ATTEMPTS = 5
"""Tries of a write that meets conflicts before giving up (ContentionError)."""
BOOTABLE_PHASES = frozenset({InspectionPhase.BOOTING, InspectionPhase.IN_PROGRESS})

M = TypeVar("M", bound=BaseModel)
Annotations = dict[str, str | None]
"""Annotations to write; a None value removes the key (JSON merge patch)."""
Decide = Callable[[PhysicalHost], Awaitable[Annotations | None]]
"""Given the current host: the annotations to write, or None to write nothing."""


class ContentionError(ConflictError):
    """Every attempt met a newer resourceVersion."""


@dataclass(frozen=True)
class BootTarget:
    host: PhysicalHost
    machine: Beskar7Machine


async def _read(store: Store, kind: Kind, namespace: str, name: str, model: type[M]) -> M | None:
    try:
        return model.model_validate(await store.get(kind, namespace, name))
    except NotFoundError:
        return None
    except ValidationError:
        log.warning("stored %s %s/%s does not parse; ignoring it", kind.kind, namespace, name)
        return None


async def get_host(store: Store, namespace: str, name: str) -> PhysicalHost | None:
    return await _read(store, PHYSICAL_HOST, namespace, name, PhysicalHost)


async def consumer_machine(store: Store, host: PhysicalHost) -> Beskar7Machine | None:
    """The Beskar7Machine named by the host's consumerRef, when it exists (and the uid agrees)."""
    ref = host.spec.consumer_ref
    if ref is None or not ref.name or ref.kind not in (None, BESKAR7_MACHINE.kind):
        return None
    namespace = ref.namespace or host.metadata.namespace
    machine = await _read(store, BESKAR7_MACHINE, namespace, ref.name, Beskar7Machine)
    if machine is None or (ref.uid and machine.metadata.uid and ref.uid != machine.metadata.uid):
        return None
    return machine


def is_bootable(host: PhysicalHost) -> bool:
    status = host.status
    return status.state == HostState.INSPECTING and status.inspection_phase in BOOTABLE_PHASES


async def paused(store: Store, host: PhysicalHost) -> bool:
    """The host, or the Cluster of its consumer (the claim's cluster-name label), is paused
    (as during `clusterctl move`): its state must not change now."""
    if has_paused_annotation(host.metadata):
        return True
    name = host.metadata.labels.get(CLUSTER_NAME_LABEL)
    if not name:
        return False
    cluster = await _read(store, CLUSTER, host.metadata.namespace, name, Cluster)
    return cluster is not None and bool(cluster.spec.paused)


async def boot_target(store: Store, host: PhysicalHost) -> BootTarget | None:
    """The host and its machine when the host may be handed an inspection boot script."""
    if not is_bootable(host):
        return None
    machine = await consumer_machine(store, host)
    return None if machine is None else BootTarget(host, machine)


async def hosts_by_boot_mac(store: Store, mac: str) -> list[PhysicalHost]:
    """Inspecting hosts whose boot-mac annotation is `mac` (normalized)."""
    found = []
    for obj in (await store.list(PHYSICAL_HOST)).items:
        annotation = obj.get("metadata", {}).get("annotations", {}).get(Annotation.BOOT_MAC)
        if normalize_mac(annotation) != mac:
            continue
        try:
            host = PhysicalHost.model_validate(obj)
        except ValidationError:
            continue
        if host.status.state == HostState.INSPECTING:
            found.append(host)
    return found


async def annotate_host(
    store: Store, namespace: str, name: str, decide: Decide
) -> PhysicalHost | None:
    """Write the annotations `decide` asks for on the current host, with a resourceVersion
    precondition; on conflict read again and ask again. None when the host is gone or
    `decide` declines."""
    for _ in range(ATTEMPTS):
        host = await get_host(store, namespace, name)
        if host is None:
            return None
        annotations = await decide(host)
        if annotations is None:
            return None
        patch: Obj = {
            "metadata": {
                "resourceVersion": host.metadata.resource_version,
                "annotations": annotations,
            }
        }
        try:
            return PhysicalHost.model_validate(
                await store.patch(PHYSICAL_HOST, namespace, name, patch)
            )
        except ConflictError:
            continue
        except NotFoundError:
            return None
    raise ContentionError(f"PhysicalHost {namespace}/{name} kept changing")


def result_config_map_name(host: str) -> str:
    return host + INSPECTION_RESULT_CONFIGMAP_SUFFIX


async def save_report(store: Store, host: PhysicalHost, report: str) -> str:
    """Create or update the host's inspection-result ConfigMap; returns its name."""
    namespace, name = host.metadata.namespace, result_config_map_name(host.metadata.name)
    desired = _result_config_map(host, name, report)
    for _ in range(ATTEMPTS):
        current = await _read(store, CONFIG_MAP, namespace, name, ConfigMap)
        try:
            if current is None:
                await store.create(desired.to_obj())
            else:
                await store.update(_updated(current, desired).to_obj())
            return name
        except (ConflictError, AlreadyExistsError, NotFoundError):
            continue
    raise ContentionError(f"ConfigMap {namespace}/{name} kept changing")


def _result_config_map(host: PhysicalHost, name: str, report: str) -> ConfigMap:
    owner = {
        "apiVersion": host.api_version,
        "kind": host.kind,
        "name": host.metadata.name,
        "uid": host.metadata.uid or "",
    }
    return ConfigMap.model_validate(
        {
            "metadata": {
                "name": name,
                "namespace": host.metadata.namespace,
                "labels": {Label.OWNED_BY: OWNED_BY, Label.HOST: host.metadata.name},
                "ownerReferences": [owner] if host.metadata.uid else [],
            },
            "data": {REPORT_KEY: report},
        }
    )


def _updated(current: ConfigMap, desired: ConfigMap) -> ConfigMap:
    meta = current.metadata.model_copy(
        update={
            "labels": {**current.metadata.labels, **desired.metadata.labels},
            "owner_references": desired.metadata.owner_references
            or current.metadata.owner_references,
        }
    )
    return current.model_copy(update={"metadata": meta, "data": desired.data, "binary_data": {}})


@dataclass(frozen=True)
class BootstrapData:
    """A machine's bootstrap data Secret: `value` and its `format` (None when absent)."""

    machine: Beskar7Machine
    value: bytes
    format: bytes | None


async def bootstrap_source(store: Store, host: PhysicalHost) -> BootstrapData | None:
    """The CAPI bootstrap data for the host's machine, once that machine is Provisioning."""
    machine = await consumer_machine(store, host)
    if machine is None or machine.status.phase != MachinePhase.PROVISIONING:
        return None
    owner = next(
        (
            ref
            for ref in machine.metadata.owner_references
            if ref.kind == MACHINE.kind and ref.api_version.startswith(MACHINE.group + "/")
        ),
        None,
    )
    if owner is None:
        return None
    namespace = machine.metadata.namespace
    capi_machine = await _read(store, MACHINE, namespace, owner.name, Machine)
    secret_name = capi_machine.spec.bootstrap.data_secret_name if capi_machine else None
    if not secret_name:
        return None
    secret = await _read(store, SECRET, namespace, secret_name, Secret)
    value = None if secret is None else secret.value(capi.BOOTSTRAP_DATA_KEY)
    if secret is None or value is None:
        return None
    return BootstrapData(machine, value, secret.value(capi.BOOTSTRAP_FORMAT_KEY))


async def bootstrap_data(store: Store, host: PhysicalHost) -> bytes | None:
    """The raw bootstrap data (protocol step 6 for an upstream-style inspector)."""
    found = await bootstrap_source(store, host)
    return None if found is None else found.value
