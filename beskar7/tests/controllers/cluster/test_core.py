"""The Beskar7Cluster decision core, table-driven: what the shell saw in, spec and status out."""

from datetime import UTC, datetime, timedelta

import pytest

from beskar7.api.capi import Machine
from beskar7.api.cluster import (
    CONTROL_PLANE_ENDPOINT_NOT_SET,
    CONTROL_PLANE_ENDPOINT_READY,
    CONTROL_PLANE_ENDPOINT_REQUIRED,
    Beskar7Cluster,
    Beskar7ClusterStatus,
)
from beskar7.api.meta import (
    READY_CONDITION,
    AddressType,
    APIEndpoint,
    ConditionStatus,
    MachineAddress,
    get_condition,
)
from beskar7.controllers.cluster.core import (
    ControlPlaneMachine,
    Observation,
    decide,
    discover_endpoint,
    endpoint_from,
    failure_domains,
    machine_reports_ready,
)

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
INTERNAL = MachineAddress(type=AddressType.INTERNAL_IP, address="10.0.0.5")
EXTERNAL = MachineAddress(type=AddressType.EXTERNAL_IP, address="203.0.113.5")
HOSTNAME = MachineAddress(type=AddressType.HOSTNAME, address="cp-0")


def a_cluster(
    endpoint: dict[str, object] | None = None, status: dict[str, object] | None = None
) -> Beskar7Cluster:
    spec = {"controlPlaneEndpoint": endpoint} if endpoint is not None else {}
    return Beskar7Cluster.from_obj(
        {"metadata": {"name": "c", "namespace": "lab"}, "spec": spec, "status": status or {}}
    )


def cp(
    name: str, *addresses: MachineAddress, ready: bool = True, age: int = 0
) -> ControlPlaneMachine:
    created = NOW - timedelta(minutes=age)
    return ControlPlaneMachine(name, ready, tuple(addresses), created)


def seen(
    *machines: ControlPlaneMachine,
    zones: tuple[str, ...] = (),
    cluster_endpoint: APIEndpoint | None = None,
    control_plane_kind: str | None = None,
) -> Observation:
    return Observation(
        cluster_name="c",
        control_plane=machines,
        zones=zones,
        cluster_endpoint=cluster_endpoint,
        control_plane_kind=control_plane_kind,
    )


@pytest.mark.parametrize(
    ("scenario", "spec", "machines", "host", "port", "written"),
    [
        ("user endpoint wins", {"host": "api.lab.example", "port": 443}, [cp("m", INTERNAL)],
         "api.lab.example", 443, False),
        ("internal ip discovered", None, [cp("m", EXTERNAL, INTERNAL)], "10.0.0.5", 6443, True),
        ("external ip when no internal", None, [cp("m", HOSTNAME, EXTERNAL)], "203.0.113.5",
         6443, True),
        ("port from the spec", {"port": 7443}, [cp("m", INTERNAL)], "10.0.0.5", 7443, True),
        ("empty host in spec is discovered", {"host": "", "port": 6443}, [cp("m", INTERNAL)],
         "10.0.0.5", 6443, True),
        ("oldest ready machine", None,
         [cp("young", EXTERNAL, age=1), cp("old", INTERNAL, age=9)], "10.0.0.5", 6443, True),
        ("not-ready machines are skipped", None,
         [cp("a", INTERNAL, ready=False, age=9), cp("b", EXTERNAL)], "203.0.113.5", 6443, True),
        ("machines without usable addresses are skipped", None,
         [cp("a", HOSTNAME, age=9), cp("b", INTERNAL)], "10.0.0.5", 6443, True),
    ],
)  # fmt: skip
def test_the_endpoint(
    scenario: str,
    spec: dict[str, object] | None,
    machines: list[ControlPlaneMachine],
    host: str,
    port: int,
    written: bool,
) -> None:
    decision = decide(a_cluster(spec), seen(*machines), NOW)

    expected = APIEndpoint(host=host, port=port)
    assert decision.status.control_plane_endpoint == expected, scenario
    assert decision.spec_endpoint == (expected if written else None), scenario
    assert decision.status.ready is True
    assert decision.status.initialization is not None
    assert decision.status.initialization.provisioned is True
    assert not decision.waiting_for
    for type_ in (CONTROL_PLANE_ENDPOINT_READY, READY_CONDITION):
        condition = get_condition(decision.status.conditions, type_)
        assert condition is not None and condition.status == ConditionStatus.TRUE


@pytest.mark.parametrize(
    ("scenario", "machines"),
    [
        ("no control-plane machine", []),
        ("none ready", [cp("m", INTERNAL, ready=False)]),
        ("ready without an ip", [cp("m", HOSTNAME)]),
        ("ready without any address", [cp("m")]),
    ],
)
def test_waiting_for_the_endpoint(scenario: str, machines: list[ControlPlaneMachine]) -> None:
    decision = decide(a_cluster(), seen(*machines), NOW)

    assert decision.spec_endpoint is None
    assert decision.status.control_plane_endpoint is None
    assert decision.status.ready is False
    assert decision.status.initialization is None
    assert "control-plane Machine of Cluster c" in decision.waiting_for
    for type_ in (CONTROL_PLANE_ENDPOINT_READY, READY_CONDITION):
        condition = get_condition(decision.status.conditions, type_)
        assert condition is not None
        assert (condition.status, condition.reason) == (
            ConditionStatus.FALSE,
            CONTROL_PLANE_ENDPOINT_NOT_SET,
        ), scenario


def test_infracluster_rule_failure_domains_are_a_v1beta2_list_one_per_zone() -> None:
    decision = decide(a_cluster(), seen(zones=("rack-b", "rack-a", "rack-b")), NOW)

    domains = decision.status.model_dump(mode="json", by_alias=True)["failureDomains"]
    assert domains == [
        {"name": "rack-a", "controlPlane": True, "attributes": {}},
        {"name": "rack-b", "controlPlane": True, "attributes": {}},
    ]


def test_failure_domains_follow_the_hosts() -> None:
    domains = [{"name": "gone", "controlPlane": True}, {"name": "rack-a", "controlPlane": True}]
    before: dict[str, object] = {"failureDomains": domains}
    decision = decide(a_cluster(status=before), seen(zones=("rack-a",)), NOW)
    assert [d.name for d in decision.status.failure_domains] == ["rack-a"]
    assert failure_domains(["", "z"]) == failure_domains(["z"])
    assert failure_domains([]) == []


def test_infracluster_rule_endpoint_a_user_set_cluster_endpoint_is_copied_to_the_spec() -> None:
    """The documented path: a VIP (kube-vip) set on the Cluster before any machine exists."""
    vip = APIEndpoint(host="192.0.2.100", port=6443)
    decision = decide(a_cluster(), seen(cluster_endpoint=vip), NOW)
    assert decision.spec_endpoint == vip
    assert decision.status.ready is True
    assert decision.status.control_plane_endpoint == vip


def test_endpoint_discovery_under_kubeadm_control_plane_explains_why_it_cannot_work() -> None:
    waiting = decide(a_cluster(), seen(control_plane_kind="KubeadmControlPlane"), NOW)
    found = get_condition(waiting.status.conditions, CONTROL_PLANE_ENDPOINT_READY)
    assert found is not None and found.reason == CONTROL_PLANE_ENDPOINT_REQUIRED
    assert "kube-vip" in (found.message or "")
    other = decide(a_cluster(), seen(control_plane_kind="K3sControlPlane"), NOW)
    found = get_condition(other.status.conditions, CONTROL_PLANE_ENDPOINT_READY)
    assert found is not None and found.reason == CONTROL_PLANE_ENDPOINT_NOT_SET


def test_a_condition_keeps_its_transition_time_while_unchanged() -> None:
    first = decide(a_cluster(), seen(), NOW)
    later = NOW + timedelta(minutes=5)
    cluster = a_cluster(status=first.status.model_dump(mode="json", by_alias=True))

    again = decide(cluster, seen(), later)
    ready = decide(cluster, seen(cp("m", INTERNAL)), later)

    def stamp(status: Beskar7ClusterStatus, type_: str) -> datetime | None:
        found = get_condition(status.conditions, type_)
        return found.last_transition_time if found else None

    assert stamp(again.status, CONTROL_PLANE_ENDPOINT_READY) == NOW
    assert stamp(ready.status, CONTROL_PLANE_ENDPOINT_READY) == later


def test_known_endpoint_in_spec_is_not_rewritten() -> None:
    spec = {"host": "10.0.0.5", "port": 6443}
    decision = decide(a_cluster(spec), seen(cp("m", EXTERNAL)), NOW)
    assert decision.spec_endpoint is None
    assert decision.status.control_plane_endpoint == APIEndpoint(host="10.0.0.5", port=6443)


def test_addresses_that_cannot_be_an_endpoint_are_passed_over() -> None:
    odd = MachineAddress(type=AddressType.INTERNAL_IP, address="not a host!")
    assert endpoint_from([odd, EXTERNAL], 6443) == APIEndpoint(host="203.0.113.5", port=6443)
    assert endpoint_from([odd], 6443) is None
    v6 = MachineAddress(type=AddressType.INTERNAL_IP, address="fd00::5")
    assert endpoint_from([v6], 6443) == APIEndpoint(host="fd00::5", port=6443)
    assert discover_endpoint([cp("m", odd)], 6443) is None


@pytest.mark.parametrize(
    ("status", "ready"),
    [
        ({}, False),
        ({"infrastructureReady": True}, True),
        ({"infrastructureReady": False}, False),
        ({"conditions": [{"type": "InfrastructureReady", "status": "True"}]}, True),
        ({"conditions": [{"type": "InfrastructureReady", "status": "False"}]}, False),
        ({"conditions": [{"type": "Ready", "status": "True"}]}, False),
    ],
)
def test_machine_readiness(status: dict[str, object], ready: bool) -> None:
    machine = Machine.from_obj(
        {"metadata": {"name": "m"}, "spec": {"clusterName": "c"}, "status": status}
    )
    assert machine_reports_ready(machine) is ready
