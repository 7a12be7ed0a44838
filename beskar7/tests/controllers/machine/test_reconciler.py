"""The Beskar7Machine and PhysicalHost reconcilers together on the embedded store, against the
real sushy-tools emulator; the callback server's writes (token, report ConfigMap, provisioned
and provision-failed requests) are simulated as the protocol describes them.

The emulator is shared by the module (systems 0-3 start Off, 4-7 On): each test uses its own
systems. It applies power changes 0-11 s late, so requests are asserted through the recorded
RedfishClient calls and the boot target, and power states are polled with a bound.
"""

import asyncio
from pathlib import Path
from typing import Any

import pytest

from beskar7.api.errors import ConflictError
from beskar7.api.kinds import BESKAR7_MACHINE, CLUSTER, MACHINE, PHYSICAL_HOST, SECRET
from beskar7.api.machine import FINALIZER, Beskar7Machine
from beskar7.api.protocol import Annotation
from beskar7.api.validation import validate
from beskar7.controllers.machine import hosts as machine_hosts
from beskar7.runtime.controller import Request
from beskar7.store.embedded.store import EmbeddedStore
from beskar7_testing.emulator import POWER_CHANGE_MAX_DELAY, SushyEmulator
from tests.fixtures.hosts import NAMESPACE
from tests.fixtures.machines import CLUSTER_NAME, PROVISIONED_STATUS, MachineLab

FITS = {"minCPUCores": 64, "minMemoryGB": 136, "minDiskGB": 1920}
INSPECT_CALLS = ["clear_boot_override", "set_pxe_once", "power_on"]
RESTART_CALLS = ["clear_boot_override", "set_pxe_once", "reset"]  # a system already On
POWER_WAIT = POWER_CHANGE_MAX_DELAY + 3


def conditions(status: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {c["type"]: (c["status"], c.get("reason")) for c in status.get("conditions", [])}


def sample(lab: MachineLab, name: str, **labels: str) -> float:
    return lab.metrics.registry.get_sample_value(name, labels) or 0.0


async def wait_power(emulator: SushyEmulator, i: int, state: str) -> None:
    await asyncio.to_thread(emulator.wait_for_power_state, i, state, POWER_WAIT)


async def inspecting(lab: MachineLab, emulator: SushyEmulator, i: int, **kw: Any) -> str:
    """Host h<i> on system i, machine m<i> claiming it: settled into Inspecting/Booting."""
    host, machine = f"h{i}", f"m{i}"
    await lab.add_host(host, emulator.system_address(i))
    await lab.add_machine(machine, **kw)
    await lab.settle(machine)
    status = await lab.hosts.status(host)
    assert (status["state"], status["inspectionPhase"]) == ("Inspecting", "Booting")
    return emulator.system_ids[i]


def conditions_full(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in status.get("conditions", [])}


def released(host: dict[str, Any]) -> None:
    """No trace of the last consumer on the host but its inventory (the last report)."""
    status, annotations = host["status"], host["metadata"].get("annotations", {})
    assert "consumerRef" not in host["spec"]
    assert status["state"] == "Available"
    assert not {"inspectionPhase", "inspectionTimestamp"} & status.keys()
    assert not annotations, annotations
    assert "cluster.x-k8s.io/cluster-name" not in host["metadata"].get("labels", {})


async def test_a_machine_claims_inspects_and_provisions_a_host(
    machine_lab: MachineLab, sushy_emulator: SushyEmulator
) -> None:
    lab = machine_lab
    system = await inspecting(lab, sushy_emulator, 0, requirements=FITS)
    await claimed_and_booting(lab, sushy_emulator, system)

    await lab.issue_token("h0")
    await lab.settle("m0")
    assert (await lab.hosts.status("h0"))["inspectionPhase"] == "InProgress"

    await lab.report("h0")
    await lab.settle("m0")
    host = await lab.hosts.host("h0")
    assert host["status"]["inspectionPhase"] == "Complete"
    assert host["status"]["inspectionReport"]["cpus"][0]["cores"] == 32
    assert "timestamp" in host["status"]["inspectionReport"]
    assert host["metadata"].get("annotations", {}).keys() == {Annotation.BOOTSTRAP_TOKEN}
    assert (await lab.machine_status("m0"))["phase"] == "Provisioning"

    await lab.provisioned("h0")
    await lab.settle("m0")
    await provisioned(lab)
    await flow_recorded(lab)


async def claimed_and_booting(lab: MachineLab, emulator: SushyEmulator, system: str) -> None:
    host = await lab.hosts.host("h0")
    machine = await lab.machine("m0")
    ref = host["spec"]["consumerRef"]
    uid = machine["metadata"]["uid"]
    assert (ref["kind"], ref["name"], ref["uid"]) == ("Beskar7Machine", "m0", uid)
    assert Annotation.INSPECTION_REQUEST not in host["metadata"].get("annotations", {})
    assert machine["metadata"]["finalizers"] == [FINALIZER]
    assert machine["status"]["phase"] == "Inspecting"
    assert lab.hosts.redfish.of(system) == INSPECT_CALLS
    assert emulator.boot_target(0) == "Pxe"
    await wait_power(emulator, 0, "On")


async def provisioned(lab: MachineLab) -> None:
    machine = await lab.machine("m0")
    status = machine["status"]
    assert machine["spec"]["providerID"] == "b7://lab/h0"
    assert (status["phase"], status["ready"], status["initialization"]) == (
        "Provisioned",
        True,
        {"provisioned": True},
    )
    for type_ in ("InfrastructureReady", "PhysicalHostAssociated", "Ready"):
        assert conditions(status)[type_][0] == "True", type_
    assert (await lab.hosts.status("h0"))["state"] == "Ready"


async def flow_recorded(lab: MachineLab) -> None:
    """Metrics and events of one machine's way from New to Provisioned."""
    ns = NAMESPACE
    for name, labels in [
        ("beskar7_host_claim_attempts_total", {"outcome": "success", "conflict_reason": ""}),
        ("beskar7_controller_beskar7machine_states_total", {"phase": "Provisioned"}),
        (
            "beskar7_controller_physicalhost_power_operations_total",
            {"operation": "PowerOn", "outcome": "success"},
        ),
        (
            "beskar7_controller_beskar7machine_provisioning_duration_seconds_count",
            {"outcome": "success"},
        ),
        ("beskar7_inspection_duration_seconds_count", {"outcome": "success"}),
    ]:
        assert sample(lab, name, namespace=ns, **labels) == 1, name
    events = await lab.hosts.events("m0")
    phases = [e["message"].split(":")[0] for e in events if e["reason"] == "PhaseChanged"]
    assert phases == [
        "New -> Claiming",
        "Claiming -> Inspecting",
        "Inspecting -> Provisioning",
        "Provisioning -> Provisioned",
    ]


async def test_hardware_short_of_the_requirements_fails_the_machine_and_frees_the_host(
    machine_lab: MachineLab, sushy_emulator: SushyEmulator
) -> None:
    lab = machine_lab
    system = await inspecting(lab, sushy_emulator, 1, requirements={"minMemoryGB": 512})

    await lab.report("h1")
    await lab.settle("m1")

    status = await lab.machine_status("m1")
    assert (status["phase"], status["failureReason"]) == ("Failed", "HardwareRequirementsNotMet")
    assert "memory: need at least 512 GB, found 136 GB" in status["failureMessage"]
    assert conditions(status)["InfrastructureReady"] == ("False", "HardwareRequirementsNotMet")
    released(await lab.hosts.host("h1"))
    calls = lab.hosts.redfish.of(system)
    assert calls[:3] == INSPECT_CALLS and calls[3] == "clear_boot_override"

    await lab.settle("m1")  # terminal: nothing changes, the host is not claimed again
    assert (await lab.machine_status("m1")) == status
    assert "consumerRef" not in (await lab.hosts.host("h1"))["spec"]


async def test_host_selection_a_replacement_machine_skips_the_host_whose_inventory_failed(
    machine_lab: MachineLab, sushy_emulator: SushyEmulator
) -> None:
    """The issue's "claims in order: host-a, host-a": the kept inventory stops the second."""
    lab = machine_lab
    await inspecting(lab, sushy_emulator, 1, requirements={"minMemoryGB": 512})
    await lab.report("h1")
    await lab.settle("m1")
    assert (await lab.machine_status("m1"))["phase"] == "Failed"
    host_status: dict[str, Any] = await lab.hosts.status("h1")
    assert host_status["inspectionReport"]["memory"], "the inventory stays"

    await lab.add_machine("m1-replacement", requirements={"minMemoryGB": 512})
    await lab.settle("m1-replacement")

    status = await lab.machine_status("m1-replacement")
    assert status["phase"] == "Pending"
    assert "consumerRef" not in (await lab.hosts.host("h1"))["spec"]
    message = conditions_full(status)["PhysicalHostAssociated"]["message"]
    assert "1 with an inventory that fails the hardware requirements" in message

    await lab.add_host("h3", sushy_emulator.system_address(3))
    await lab.settle("m1-replacement")
    ref = (await lab.hosts.host("h3"))["spec"]["consumerRef"]
    assert ref["name"] == "m1-replacement", "a never-inspected host is tried instead"


async def test_an_inspection_that_never_reports_times_out(
    machine_lab: MachineLab, sushy_emulator: SushyEmulator
) -> None:
    lab = machine_lab
    await inspecting(lab, sushy_emulator, 2)
    lab.settings.inspection_timeout = 0.2
    await asyncio.sleep(0.3)

    await lab.reconcile("m2")  # -> inspection-request: timeout, machine Failed
    host = await lab.hosts.host("h2")
    assert host["metadata"]["annotations"][Annotation.INSPECTION_REQUEST] == "timeout"
    status = await lab.machine_status("m2")
    assert (status["phase"], status["failureReason"]) == ("Failed", "InspectionTimedOut")

    await lab.hosts.settle("h2")  # the host applies it
    host_status = await lab.hosts.status("h2")
    assert (host_status["state"], host_status["inspectionPhase"]) == ("Error", "Timeout")
    assert conditions(host_status)["HostInspected"] == ("False", "InspectionTimeout")

    await lab.settle("m2")  # the machine lets the host go; it is Available again
    released(await lab.hosts.host("h2"))
    assert (await lab.machine_status("m2"))["failureReason"] == "InspectionTimedOut"


async def test_two_machines_racing_for_one_host_claim_it_once(
    machine_lab: MachineLab, sushy_emulator: SushyEmulator
) -> None:
    lab = machine_lab
    await lab.add_host("h3", sushy_emulator.system_address(3))
    for name in ("ma", "mb"):
        await lab.add_machine(name)
        await lab.reconcile(name)  # finalizer
    other = lab.new_reconciler()

    await asyncio.gather(
        lab.reconciler.reconcile(Request(NAMESPACE, "ma")),
        other.reconcile(Request(NAMESPACE, "mb")),
    )

    owner = (await lab.hosts.host("h3"))["spec"]["consumerRef"]["name"]
    loser = "mb" if owner == "ma" else "ma"
    attempts = "beskar7_host_claim_attempts_total"
    wins = sample(lab, attempts, namespace=NAMESPACE, outcome="success", conflict_reason="")
    lost_races = sample(
        lab, attempts, namespace=NAMESPACE, outcome="conflict", conflict_reason="resource_version"
    )
    assert wins == 1
    assert lost_races in (0, 1)  # 1 when both read the host before either wrote (the usual case)
    await lab.settle("ma", "mb")
    assert (await lab.machine_status(owner))["phase"] == "Inspecting"
    lost = await lab.machine_status(loser)
    assert lost["phase"] == "Pending"
    assert conditions(lost)["PhysicalHostAssociated"] == ("False", "WaitingForPhysicalHost")


async def test_a_stale_claim_loses_to_the_first(machine_lab: MachineLab) -> None:
    lab = machine_lab
    await lab.store.create(
        {
            "apiVersion": PHYSICAL_HOST.api_version,
            "kind": PHYSICAL_HOST.kind,
            "metadata": {"name": "free", "namespace": NAMESPACE},
            "spec": {"redfishConnection": {"address": "https://bmc", "credentialsSecretRef": "b"}},
        }
    )
    for name in ("ma", "mb"):
        await lab.add_machine(name)
    (snapshot,) = await machine_hosts.list_hosts(lab.store, NAMESPACE)
    first, second = [
        Beskar7Machine.from_obj(await lab.store.get(BESKAR7_MACHINE, NAMESPACE, name))
        for name in ("ma", "mb")
    ]
    await machine_hosts.claim(lab.store, first, snapshot)
    with pytest.raises(ConflictError):
        await machine_hosts.claim(lab.store, second, snapshot)  # read before the first claim
    assert (await lab.hosts.host("free"))["spec"]["consumerRef"]["name"] == "ma"


async def test_deleting_a_machine_mid_inspection_releases_and_powers_off_its_host(
    machine_lab: MachineLab, sushy_emulator: SushyEmulator
) -> None:
    lab = machine_lab
    system = await inspecting(lab, sushy_emulator, 4)  # starts On: the inspection restarts it
    assert lab.hosts.redfish.of(system) == RESTART_CALLS
    await wait_power(sushy_emulator, 4, "On")
    host = await lab.hosts.host("h4")
    assert "providerID" not in (await lab.machine("m4"))["spec"]

    await lab.store.delete(BESKAR7_MACHINE, NAMESPACE, "m4")
    await lab.reconcile("m4")

    assert await lab.gone("m4")
    await lab.hosts.settle("h4")
    released(await lab.hosts.host("h4"))
    assert lab.hosts.redfish.of(system)[3:] == ["clear_boot_override", "force_off"]
    await wait_power(sushy_emulator, 4, "Off")
    assert host["status"]["inspectionTimestamp"]  # it was mid-inspection


async def test_force_release_skips_the_redfish_clean_up(
    machine_lab: MachineLab, sushy_emulator: SushyEmulator
) -> None:
    lab = machine_lab
    force = {Annotation.FORCE_RELEASE: "true"}
    system = await inspecting(lab, sushy_emulator, 5, annotations=force)
    calls = list(lab.hosts.redfish.of(system))

    await lab.store.delete(BESKAR7_MACHINE, NAMESPACE, "m5")
    await lab.reconcile("m5")
    assert (await lab.hosts.host("h5"))["metadata"]["annotations"] == force
    await lab.hosts.settle("h5")

    assert await lab.gone("m5")
    released(await lab.hosts.host("h5"))  # force-release removed too
    assert lab.hosts.redfish.of(system) == calls  # no override cleared, no power off


async def test_a_failed_deployment_fails_the_machine_and_frees_the_host(
    machine_lab: MachineLab, sushy_emulator: SushyEmulator
) -> None:
    lab = machine_lab
    await inspecting(lab, sushy_emulator, 6)
    await lab.issue_token("h6")
    await lab.report("h6")
    await lab.settle("m6")
    assert (await lab.machine_status("m6"))["phase"] == "Provisioning"

    await lab.provision_failed("h6", "no disk matched targetDisk")
    await lab.hosts.settle("h6")
    host_status = await lab.hosts.status("h6")
    assert (host_status["state"], host_status["inspectionPhase"]) == ("Error", "Failed")
    await lab.settle("m6")

    status = await lab.machine_status("m6")
    assert (status["phase"], status["failureReason"]) == ("Failed", "DeploymentFailed")
    assert status["failureMessage"].endswith("no disk matched targetDisk")
    released(await lab.hosts.host("h6"))


async def test_a_deployment_that_never_calls_back_times_out_and_frees_the_host(
    machine_lab: MachineLab, sushy_emulator: SushyEmulator
) -> None:
    lab = machine_lab
    system = await inspecting(lab, sushy_emulator, 7)  # starts On: the inspection restarts it
    await lab.issue_token("h7")
    await lab.report("h7")
    await lab.settle("m7")
    assert (await lab.machine_status("m7"))["phase"] == "Provisioning"
    result = await lab.reconcile("m7")  # no event will come: the machine looks again by itself
    assert result.requeue_after == 30.0

    lab.settings.deployment_timeout = 0.2  # no provisioned callback
    await asyncio.sleep(0.3)
    await lab.reconcile("m7")
    status = await lab.machine_status("m7")
    assert (status["phase"], status["failureReason"]) == ("Failed", "DeploymentTimedOut")
    assert "did not become Ready within 0.2s" in status["failureMessage"]
    assert conditions(status)["InfrastructureReady"] == ("False", "DeploymentTimedOut")
    infra = next(c for c in status["conditions"] if c["type"] == "InfrastructureReady")
    assert infra["severity"] == "Error"
    assert "consumerRef" not in (await lab.hosts.host("h7"))["spec"]  # released at once

    await lab.settle("m7")  # the host controller clears it, powers it off: Available again
    released(await lab.hosts.host("h7"))
    calls = lab.hosts.redfish.of(system)
    assert calls[:3] == RESTART_CALLS and calls[3] == "clear_boot_override"
    assert (await lab.machine_status("m7")) == status  # terminal
    events = await lab.hosts.events("m7")
    assert any(e["message"].startswith("Provisioning -> Failed") for e in events)


def moved(obj: dict[str, Any]) -> dict[str, Any]:
    """The object as `clusterctl move` recreates it elsewhere: spec and metadata, no status,
    no uid or resourceVersion (the target server assigns new ones)."""
    meta = {k: v for k, v in obj["metadata"].items() if k in ("name", "namespace", "labels",
            "annotations", "finalizers", "ownerReferences")}  # fmt: skip
    copied = {k: v for k, v in obj.items() if k not in ("status", "metadata")}
    return {**copied, "metadata": meta}


async def test_clusterctl_move_rule_a_provisioned_machine_is_rebuilt_not_reinstalled(
    machine_lab: MachineLab, sushy_emulator: SushyEmulator, tmp_path: Path
) -> None:
    lab = machine_lab
    system = await inspecting(lab, sushy_emulator, 0, requirements=FITS)
    await lab.issue_token("h0")
    await lab.report("h0")
    await lab.provisioned("h0")
    await lab.settle("m0")
    assert (await lab.machine_status("m0"))["phase"] == "Provisioned"

    target = EmbeddedStore(tmp_path / "target.db", validate=validate)
    try:
        there = MachineLab(target, lab.credentials)
        kinds = (SECRET, CLUSTER, MACHINE, PHYSICAL_HOST, BESKAR7_MACHINE)
        for kind in kinds:  # owners first, as the move does; then the machine, re-owned
            for obj in (await lab.store.list(kind, NAMESPACE)).items:
                await target.create(moved(obj))
        await target.patch_status(CLUSTER, NAMESPACE, CLUSTER_NAME, PROVISIONED_STATUS)
        owner = await target.get(MACHINE, NAMESPACE, "m0")
        ref = {"apiVersion": MACHINE.api_version, "kind": "Machine", "name": "m0",
               "uid": owner["metadata"]["uid"], "controller": True}  # fmt: skip
        await target.patch(
            BESKAR7_MACHINE, NAMESPACE, "m0", {"metadata": {"ownerReferences": [ref]}}
        )

        await there.settle("m0")

        status = await there.machine_status("m0")
        assert status["phase"] == "Provisioned" and status["ready"] is True
        host = await there.hosts.host("h0")
        new_uid = (await there.machine("m0"))["metadata"]["uid"]
        assert host["spec"]["consumerRef"]["uid"] == new_uid, "the claim renewed"
        assert "infrastructure.cluster.x-k8s.io/inspection-request" not in host["metadata"].get(
            "annotations", {}
        )
        assert there.hosts.redfish.of(system) == [], "no power-on, no PXE: no reinstall"
    finally:
        await target.close()
