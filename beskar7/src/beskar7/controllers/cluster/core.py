"""The Beskar7Cluster decision core: from what the shell saw to the cluster's next spec and status.

Pure functions of plain data (no store, no clock), so every case is a table test.

- **Endpoint**: a host the user (or an earlier discovery) put in `spec.controlPlaneEndpoint`
  wins. Otherwise the endpoint is discovered from the cluster's control-plane Machines: the
  oldest ready one with an address, its first InternalIP, else its first ExternalIP; the port
  is the spec's (6443 by default). A discovered endpoint is written to the spec once, as the
  Cluster API contract expects, and mirrored in the status.
- **Failure domains**: one per distinct `topology.kubernetes.io/zone` label value of the
  namespace's PhysicalHosts, each eligible for control-plane machines.
- **Readiness**: `ready`, `initialization.provisioned`, `ControlPlaneEndpointReady` and the
  summary `Ready` condition turn true once the endpoint is known; until then the condition is
  False with reason `ControlPlaneEndpointNotSet`.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from beskar7.api.capi import Machine
from beskar7.api.cluster import (
    CONTROL_PLANE_ENDPOINT_NOT_SET,
    CONTROL_PLANE_ENDPOINT_READY,
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

# Event reasons

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


def failure_domains(zones: Iterable[str]) -> dict[str, FailureDomain]:
    return {zone: FailureDomain(control_plane=True) for zone in sorted(set(zones)) if zone}


def decide(cluster: Beskar7Cluster, seen: Observation, now: datetime) -> Step:
    """The spec endpoint to write (if any) and the status after one look at the world."""
    spec_endpoint = cluster.spec.control_plane_endpoint
    status = cluster.status.model_copy(deep=True)
    status.failure_domains = failure_domains(seen.zones)
    discovered: APIEndpoint | None = None
    source = None
    if spec_endpoint is not None and spec_endpoint.is_set:
        endpoint: APIEndpoint | None = spec_endpoint.model_copy()
    else:
        port = spec_endpoint.port if spec_endpoint is not None else DEFAULT_API_SERVER_PORT
        found = discover_endpoint(seen.control_plane, port)
        endpoint, source = found if found is not None else (None, None)
        discovered = endpoint
    if endpoint is None:
        waiting = f"waiting for a ready control-plane Machine of Cluster {seen.cluster_name}"
        status.ready = False
        status.conditions = _conditions(status.conditions, waiting, now)
        return Step(status=status, waiting_for=waiting)
    status.ready = True
    status.control_plane_endpoint = endpoint
    status.initialization = (status.initialization or Initialization()).model_copy(
        update={"provisioned": True}
    )
    status.conditions = _conditions(status.conditions, "", now)
    return Step(status=status, spec_endpoint=discovered, source_machine=source)


def _conditions(conditions: list[Condition], waiting: str, now: datetime) -> list[Condition]:
    """ControlPlaneEndpointReady and the summary Ready (which mirrors it)."""
    for type_ in (CONTROL_PLANE_ENDPOINT_READY, READY_CONDITION):
        if waiting:
            condition = Condition(
                type=type_,
                status=ConditionStatus.FALSE,
                severity=ConditionSeverity.INFO,
                reason=CONTROL_PLANE_ENDPOINT_NOT_SET,
                message=waiting,
            )
        else:
            condition = Condition(type=type_, status=ConditionStatus.TRUE)
        conditions = set_condition(conditions, condition, now)
    return conditions
