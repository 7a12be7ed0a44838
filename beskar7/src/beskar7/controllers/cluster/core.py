"""The Beskar7Cluster decision core: from what the shell saw to the cluster's next spec and status.

Pure functions of plain data (no store, no clock), so every case is a table test.

- **Endpoint**: a host the user (or an earlier discovery) put in `spec.controlPlaneEndpoint`
  wins; then one the user put in the owner Cluster's `spec.controlPlaneEndpoint` (copied to
  the spec). This is the documented path: a VIP (kube-vip, a load balancer) known before any
  machine exists, which KubeadmControlPlane needs. Otherwise the endpoint is discovered from
  the cluster's control-plane Machines: the oldest ready one with an address, its first
  InternalIP, else its first ExternalIP; the port is the spec's (6443 by default). A
  discovered endpoint is written to the spec once, as the contract expects, and mirrored in
  the status. Discovery can never finish under a control plane that needs the endpoint before
  its first Machine (`NEEDS_ENDPOINT_FIRST`: KubeadmControlPlane waits for the infrastructure
  to be provisioned before it creates one); the condition then says so
  (`ControlPlaneEndpointRequired`).
- **Failure domains**: the v1beta2 list, one entry per distinct `topology.kubernetes.io/zone`
  label value of the namespace's PhysicalHosts, sorted by name, each eligible for
  control-plane machines.
- **Readiness**: `ready`, `initialization.provisioned`, `ControlPlaneEndpointReady` and the
  summary `Ready` condition turn true once the endpoint is known; until then the condition is
  False with reason `ControlPlaneEndpointNotSet` (or `ControlPlaneEndpointRequired`).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from beskar7.api.capi import Machine
from beskar7.api.cluster import (
    CONTROL_PLANE_ENDPOINT_NOT_SET,
    CONTROL_PLANE_ENDPOINT_READY,
    CONTROL_PLANE_ENDPOINT_REQUIRED,
    DEFAULT_API_SERVER_PORT,
    Beskar7Cluster,
    Beskar7ClusterStatus,
    FailureDomain,
)
from beskar7.api.machine import INFRASTRUCTURE_READY
from beskar7.api.meta import (
    READY_CONDITION,
    AddressType,
    APIEndpoint,
    Condition,
    ConditionSeverity,
    ConditionStatus,
    Initialization,
    MachineAddress,
    is_true,
    set_condition,
)

NEEDS_ENDPOINT_FIRST = frozenset({"KubeadmControlPlane"})
"""Control-plane kinds that create no Machine before the cluster's infrastructure is
provisioned, which here means before the endpoint is known: discovery cannot work for them."""

_ADDRESS_PREFERENCE = (AddressType.INTERNAL_IP, AddressType.EXTERNAL_IP)


@dataclass(frozen=True)
class ControlPlaneMachine:
    """One control-plane Machine of the cluster, as the shell saw it."""

    name: str
    ready: bool
    addresses: tuple[MachineAddress, ...] = ()
    created: datetime | None = None


@dataclass(frozen=True)
class Observation:
    cluster_name: str
    control_plane: tuple[ControlPlaneMachine, ...] = ()
    zones: tuple[str, ...] = ()
    """The zone label of each PhysicalHost that has one (repeats allowed)."""
    cluster_endpoint: APIEndpoint | None = None
    """The owner Cluster's spec.controlPlaneEndpoint, when the user set one there."""
    control_plane_kind: str | None = None
    """The kind the owner Cluster's spec.controlPlaneRef names, if any."""


@dataclass(frozen=True)
class Step:
    status: Beskar7ClusterStatus
    spec_endpoint: APIEndpoint | None = None
    """An endpoint to write to `spec.controlPlaneEndpoint` (discovered; the spec had none)."""
    source_machine: str | None = None
    """The Machine the discovered endpoint came from."""
    waiting_for: str = ""
    """Why there is no endpoint yet (empty once it is known)."""


def machine_reports_ready(machine: Machine) -> bool:
    """A CAPI Machine whose infrastructure is ready, by condition or by the v1beta1 flag."""
    return is_true(machine.status.conditions, INFRASTRUCTURE_READY) or bool(
        machine.status.infrastructure_ready
    )


def endpoint_from(addresses: Iterable[MachineAddress], port: int) -> APIEndpoint | None:
    """The first usable InternalIP, else the first usable ExternalIP, at `port`."""
    usable = list(addresses)
    for wanted in _ADDRESS_PREFERENCE:
        for address in usable:
            if address.type != wanted:
                continue
            try:
                return APIEndpoint(host=address.address, port=port)
            except ValidationError:
                continue  # not a host an endpoint can carry; try the next one
    return None


def discover_endpoint(
    machines: Sequence[ControlPlaneMachine], port: int
) -> tuple[APIEndpoint, str] | None:
    """The endpoint of the oldest ready control-plane machine that has an address, and its name."""
    ordered = sorted(machines, key=_age_order)
    for machine in ordered:
        if not machine.ready:
            continue
        endpoint = endpoint_from(machine.addresses, port)
        if endpoint is not None:
            return endpoint, machine.name
    return None


def _age_order(machine: ControlPlaneMachine) -> tuple[bool, float, str]:
    created = machine.created.timestamp() if machine.created is not None else 0.0
    return (machine.created is None, created, machine.name)


def failure_domains(zones: Iterable[str]) -> list[FailureDomain]:
    return [FailureDomain(name=zone, control_plane=True) for zone in sorted(set(zones)) if zone]


def _endpoint(
    cluster: Beskar7Cluster, seen: Observation
) -> tuple[APIEndpoint | None, APIEndpoint | None, str | None]:
    """(the endpoint, the one to write to the spec, the Machine it came from)."""
    spec_endpoint = cluster.spec.control_plane_endpoint
    if spec_endpoint is not None and spec_endpoint.is_set:
        return spec_endpoint.model_copy(), None, None
    user = seen.cluster_endpoint
    if user is not None and user.is_set:
        return user.model_copy(), user.model_copy(), None
    port = spec_endpoint.port if spec_endpoint is not None else DEFAULT_API_SERVER_PORT
    found = discover_endpoint(seen.control_plane, port)
    if found is None:
        return None, None, None
    return found[0], found[0], found[1]


def waiting_reason(seen: Observation) -> tuple[str, str]:
    """(reason, message) while there is no endpoint."""
    if seen.control_plane_kind in NEEDS_ENDPOINT_FIRST:
        return CONTROL_PLANE_ENDPOINT_REQUIRED, (
            f"{seen.control_plane_kind} creates no Machine before the infrastructure is"
            " provisioned, so the endpoint cannot be discovered from one: set"
            " spec.controlPlaneEndpoint (a VIP, e.g. kube-vip) on the Beskar7Cluster or the"
            f" Cluster {seen.cluster_name}"
        )
    message = f"waiting for a ready control-plane Machine of Cluster {seen.cluster_name}"
    return CONTROL_PLANE_ENDPOINT_NOT_SET, message


def decide(cluster: Beskar7Cluster, seen: Observation, now: datetime) -> Step:
    """The spec endpoint to write (if any) and the status after one look at the world."""
    status = cluster.status.model_copy(deep=True)
    status.failure_domains = failure_domains(seen.zones)
    endpoint, to_write, source = _endpoint(cluster, seen)
    if endpoint is None:
        reason, waiting = waiting_reason(seen)
        status.ready = False
        status.conditions = _conditions(status.conditions, reason, waiting, now)
        return Step(status=status, waiting_for=waiting)
    status.ready = True
    status.control_plane_endpoint = endpoint
    status.initialization = (status.initialization or Initialization()).model_copy(
        update={"provisioned": True}
    )
    status.conditions = _conditions(status.conditions, "", "", now)
    return Step(status=status, spec_endpoint=to_write, source_machine=source)


def _conditions(
    conditions: list[Condition], reason: str, waiting: str, now: datetime
) -> list[Condition]:
    """ControlPlaneEndpointReady and the summary Ready (which mirrors it)."""
    for type_ in (CONTROL_PLANE_ENDPOINT_READY, READY_CONDITION):
        if waiting:
            condition = Condition(
                type=type_,
                status=ConditionStatus.FALSE,
                severity=ConditionSeverity.INFO,
                reason=reason,
                message=waiting,
            )
        else:
            condition = Condition(type=type_, status=ConditionStatus.TRUE)
        conditions = set_condition(conditions, condition, now)
    return conditions
