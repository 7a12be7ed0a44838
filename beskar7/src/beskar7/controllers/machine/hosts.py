"""How the Beskar7Machine controller touches PhysicalHosts: it finds them, claims one, asks it
for the next step and lets it go. Every write is a merge patch carrying the host's
`metadata.resourceVersion`, so two machines racing for one host never both win (the loser gets
ConflictError and looks again). Only the PhysicalHost controller writes host status.

Which host a machine claims (`find`): the host `spec.providerID` names, if set; else the one
already claimed for it; else, among the hosts that are free and Available, match the
`hostSelector`, sit in the Machine's failure domain (their `topology.kubernetes.io/zone` label,
when the Machine names one) and whose inventory (the last inspection report, kept across
releases) meets the hardware requirements: first those whose inventory is known to meet them,
then the never-inspected ones, each group by name. A host whose inventory fails the
requirements is skipped before it is claimed, so a replacement Machine does not claim again the
host that just failed them.
"""

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

from beskar7.api.capi import CLUSTER_NAME_LABEL, ZONE_LABEL, has_paused_annotation
from beskar7.api.kinds import BESKAR7_MACHINE, PHYSICAL_HOST, Obj
from beskar7.api.machine import (
    NO_HOST_IN_FAILURE_DOMAIN,
    WAITING_FOR_PHYSICAL_HOST,
    Beskar7Machine,
    ProviderIDError,
    parse_provider_id,
)
from beskar7.api.meta import AddressType, MachineAddress
from beskar7.api.physicalhost import HostState, PhysicalHost
from beskar7.api.protocol import FORCE_RELEASE_VALUE, Annotation
from beskar7.controllers.machine.requirements import check
from beskar7.store.protocol import Store


class Skip(StrEnum):
    """Why a host is not a candidate (for the machine's condition message)."""

    TAKEN = "taken or not Available"
    SELECTOR = "outside the hostSelector"
    ZONE = "in another failure domain"
    INVENTORY = "with an inventory that fails the hardware requirements"


@dataclass(frozen=True)
class Found:
    ours: PhysicalHost | None = None
    """The host whose consumerRef names this machine."""
    candidate: PhysicalHost | None = None
    """Else the host it may claim."""
    skipped: tuple[tuple[Skip, int], ...] = ()
    """Else how many hosts were passed over, and why."""
    moved: bool = False
    """The candidate is the host spec.providerID names, still claimed by this machine under
    the uid it had before `clusterctl move`."""


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


def moved_consumer(host: PhysicalHost, machine: Beskar7Machine) -> bool:
    """The consumerRef names this machine but an older uid: after `clusterctl move` (which
    recreates objects with new uids) the machine whose spec.providerID names the host is the
    same machine; its claim is renewed."""
    ref, meta = host.spec.consumer_ref, machine.metadata
    if ref is None or ref.kind != BESKAR7_MACHINE.kind or ref.name != meta.name:
        return False
    return (ref.namespace or host.metadata.namespace) == meta.namespace and ref.uid != meta.uid


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


def skip_reason(
    machine: Beskar7Machine, host: PhysicalHost, failure_domain: str | None
) -> Skip | None:
    """Why `host` cannot be claimed by `machine` (None: it can)."""
    if not is_free(host) or host.status.state != HostState.AVAILABLE:
        return Skip.TAKEN
    labels = host.metadata.labels
    selector = machine.spec.host_selector
    if selector is not None and not selector.matches(labels):
        return Skip.SELECTOR
    if failure_domain and labels.get(ZONE_LABEL) != failure_domain:
        return Skip.ZONE
    report = host.status.inspection_report
    if report is not None and not check(machine.spec.hardware_requirements, report).ok:
        return Skip.INVENTORY
    return None


def find(
    machine: Beskar7Machine, hosts: list[PhysicalHost], failure_domain: str | None = None
) -> Found:
    """The host this machine holds, else the one it may claim (see the module docstring)."""
    namespace = machine.metadata.namespace
    if machine.spec.provider_id:
        try:
            wanted_ns, wanted = parse_provider_id(machine.spec.provider_id)
        except ProviderIDError:
            return Found()
        named = next((h for h in hosts if h.metadata.name == wanted), None)
        if named is None or wanted_ns != namespace:
            return Found()
        if is_consumer(named, machine):
            return Found(ours=named)
        if moved_consumer(named, machine):
            return Found(candidate=named, moved=True)  # claimed again, with the new uid
        return Found(candidate=named if is_free(named) else None)
    held = owned_hosts(machine, hosts)
    if held:
        return Found(ours=held[0])
    skipped: Counter[Skip] = Counter()
    eligible = []
    for host in hosts:
        why = skip_reason(machine, host, failure_domain)
        if why is None:
            eligible.append(host)
        else:
            skipped[why] += 1
    if eligible:  # known-good inventory first, then never inspected; by name within each
        best = min(eligible, key=lambda h: (h.status.inspection_report is None, h.metadata.name))
        return Found(candidate=best)
    return Found(skipped=tuple(sorted(skipped.items())))


def why_none(failure_domain: str | None, skipped: tuple[tuple[Skip, int], ...]) -> tuple[str, str]:
    """(condition reason, message) when no host can be claimed."""
    where, reason = "in the namespace", WAITING_FOR_PHYSICAL_HOST
    if failure_domain:
        where = f"in failure domain {failure_domain} (label {ZONE_LABEL})"
        reason = NO_HOST_IN_FAILURE_DOMAIN
    message = f"no Available PhysicalHost {where} fits"
    if skipped:
        message += "; passed over: " + ", ".join(f"{n} {why}" for why, n in skipped)
    return reason, message


def addresses_of(host: PhysicalHost) -> list[MachineAddress]:
    """The inspection report's NIC addresses (InternalIP), then the BMC's, without repeats."""
    found: dict[tuple[str, str], MachineAddress] = {}
    report = host.status.inspection_report
    for nic in report.nics if report is not None else []:
        for ip in nic.ip_addresses:
            address = MachineAddress(type=AddressType.INTERNAL_IP, address=ip.partition("/")[0])
            found.setdefault((address.type, address.address), address)
    for address in host.status.addresses:
        found.setdefault((address.type, address.address), address.model_copy())
    return list(found.values())


async def claim(store: Store, machine: Beskar7Machine, host: PhysicalHost) -> None:
    """Set the host's consumerRef to this machine, and its cluster-name label (so the host
    controller and the callback server know whose pause applies); ConflictError when the host
    changed meanwhile."""
    patch: Obj = {"spec": {"consumerRef": consumer_ref(machine)}}
    cluster = machine.metadata.labels.get(CLUSTER_NAME_LABEL)
    if cluster:
        patch["metadata"] = {"labels": {CLUSTER_NAME_LABEL: cluster}}
    await _patch(store, host, patch)


async def request(store: Store, host: PhysicalHost, value: str) -> None:
    """Ask the host's controller for the next step (`inspection-request: <value>`)."""
    await _patch(store, host, {"metadata": {"annotations": {Annotation.INSPECTION_REQUEST: value}}})


async def release(store: Store, host: PhysicalHost, *, force: bool) -> None:
    """Let the host go: no consumer, no pending request; force-release skips the power off."""
    annotations: dict[str, str | None] = {Annotation.INSPECTION_REQUEST: None}
    if force:
        annotations[Annotation.FORCE_RELEASE] = FORCE_RELEASE_VALUE
    meta: Obj = {"annotations": annotations}
    if CLUSTER_NAME_LABEL in host.metadata.labels:
        meta["labels"] = {CLUSTER_NAME_LABEL: None}
    await _patch(store, host, {"metadata": meta, "spec": {"consumerRef": None}})


async def _patch(store: Store, host: PhysicalHost, patch: Obj) -> None:
    meta = host.metadata
    patch.setdefault("metadata", {})["resourceVersion"] = meta.resource_version
    await store.patch(PHYSICAL_HOST, meta.namespace, meta.name, patch)
