"""How the Beskar7Machine controller touches PhysicalHosts: it finds them, claims one, asks it
for the next step and lets it go. Every write is a merge patch carrying the host's
`metadata.resourceVersion`, so two machines racing for one host never both win (the loser gets
ConflictError and looks again). Only the PhysicalHost controller writes host status.
"""

from beskar7.api.capi import has_paused_annotation
from beskar7.api.kinds import BESKAR7_MACHINE, PHYSICAL_HOST, Obj
from beskar7.api.machine import Beskar7Machine, ProviderIDError, parse_provider_id
from beskar7.api.physicalhost import HostState, PhysicalHost
from beskar7.api.protocol import FORCE_RELEASE_VALUE, Annotation
from beskar7.store.protocol import Store


def consumer_ref(machine: Beskar7Machine) -> Obj:
    meta = machine.metadata
    ref: Obj = {
        "apiVersion": BESKAR7_MACHINE.api_version,
        "kind": BESKAR7_MACHINE.kind,
        "name": meta.name,
        "namespace": meta.namespace,
    }
    if meta.uid:
        ref["uid"] = meta.uid
    return ref


def is_consumer(host: PhysicalHost, machine: Beskar7Machine) -> bool:
    """The host's consumerRef names this machine (a same-named predecessor's uid does not)."""
    ref, meta = host.spec.consumer_ref, machine.metadata
    if ref is None or ref.kind != BESKAR7_MACHINE.kind or ref.name != meta.name:
        return False
    if (ref.namespace or host.metadata.namespace) != meta.namespace:
        return False
    return not (ref.uid and meta.uid and ref.uid != meta.uid)


def is_free(host: PhysicalHost) -> bool:
    meta = host.metadata
    return (
        host.spec.consumer_ref is None
        and meta.deletion_timestamp is None
        and not has_paused_annotation(meta)
    )


def force_release(machine: Beskar7Machine) -> bool:
    value = machine.metadata.annotations.get(Annotation.FORCE_RELEASE)
    return value is not None and value.strip().lower() != "false"


async def list_hosts(store: Store, namespace: str) -> list[PhysicalHost]:
    """The namespace's hosts, by name (the order claims follow)."""
    items = (await store.list(PHYSICAL_HOST, namespace)).items
    return sorted((PhysicalHost.from_obj(o) for o in items), key=lambda h: h.metadata.name)


def owned_hosts(machine: Beskar7Machine, hosts: list[PhysicalHost]) -> list[PhysicalHost]:
    return [h for h in hosts if is_consumer(h, machine)]


def find(
    machine: Beskar7Machine, hosts: list[PhysicalHost]
) -> tuple[PhysicalHost | None, PhysicalHost | None]:
    """(the host this machine holds, else the host it may claim): the host spec.providerID
    names, else one whose consumerRef names it, else the first Available free host."""
    namespace = machine.metadata.namespace
    if machine.spec.provider_id:
        try:
            wanted_ns, wanted = parse_provider_id(machine.spec.provider_id)
        except ProviderIDError:
            return None, None
        named = next((h for h in hosts if h.metadata.name == wanted), None)
        if named is None or wanted_ns != namespace:
            return None, None
        if is_consumer(named, machine):
            return named, None
        return None, (named if is_free(named) else None)
    held = owned_hosts(machine, hosts)
    if held:
        return held[0], None
    free = (h for h in hosts if is_free(h) and h.status.state == HostState.AVAILABLE)
    return None, next(free, None)


async def claim(store: Store, machine: Beskar7Machine, host: PhysicalHost) -> None:
    """Set the host's consumerRef to this machine; ConflictError when it changed meanwhile."""
    await _patch(store, host, {"spec": {"consumerRef": consumer_ref(machine)}})


async def request(store: Store, host: PhysicalHost, value: str) -> None:
    """Ask the host's controller for the next step (`inspection-request: <value>`)."""
    await _patch(store, host, {"metadata": {"annotations": {Annotation.INSPECTION_REQUEST: value}}})


async def release(store: Store, host: PhysicalHost, *, force: bool) -> None:
    """Let the host go: no consumer, no pending request; force-release skips the power off."""
    annotations: dict[str, str | None] = {Annotation.INSPECTION_REQUEST: None}
    if force:
        annotations[Annotation.FORCE_RELEASE] = FORCE_RELEASE_VALUE
    await _patch(
        store, host, {"metadata": {"annotations": annotations}, "spec": {"consumerRef": None}}
    )


async def _patch(store: Store, host: PhysicalHost, patch: Obj) -> None:
    meta = host.metadata
    patch.setdefault("metadata", {})["resourceVersion"] = meta.resource_version
    await store.patch(PHYSICAL_HOST, meta.namespace, meta.name, patch)
