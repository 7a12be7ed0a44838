"""End to end on the embedded store: a real manager process with its callback server, the
sushy-tools emulator, and simulated servers that network-boot and run the real inspector."""

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from beskar7.api.kinds import PHYSICAL_HOST
from beskar7_testing.hardware import Hardware
from beskar7_testing.lab import ProvisioningLab

pytestmark = pytest.mark.slow

LabFactory = Callable[..., Awaitable[ProvisioningLab]]


@pytest.fixture
async def lab_factory(tmp_path: Path) -> AsyncIterator[LabFactory]:
    labs: list[ProvisioningLab] = []

    async def start(**kwargs: Any) -> ProvisioningLab:
        lab = ProvisioningLab(tmp_path / f"lab-{len(labs)}", **kwargs)
        labs.append(lab)
        return await lab.start()

    yield start
    for lab in labs:
        await lab.stop()


def phase(obj: dict[str, Any]) -> str | None:
    found: str | None = obj.get("status", {}).get("phase")
    return found


async def wait_for_phase(lab: ProvisioningLab, name: str, wanted: str, timeout: float) -> None:
    async def reached() -> bool:
        return phase(await lab.machine(name)) == wanted

    await lab.wait(reached, timeout, f"Beskar7Machine {name} {wanted}")


async def wait_for_host_state(lab: ProvisioningLab, name: str, wanted: str, timeout: float) -> None:
    async def reached() -> bool:
        state = (await lab.host(name)).get("status", {}).get("state")
        return bool(state == wanted)

    await lab.wait(reached, timeout, f"PhysicalHost {name} {wanted}")


async def test_a_machine_is_provisioned_on_a_host_that_booted_the_inspector(
    lab_factory: LabFactory,
) -> None:
    lab = await lab_factory(systems=2, hardware=lambda i: Hardware(cores_per_socket=4))
    [host] = await lab.add_hosts([0])
    await lab.add_machine("worker-0", {"minCPUCores": 4, "minMemoryGB": 4, "minDiskGB": 50})

    await wait_for_phase(lab, "worker-0", "Provisioned", 90)

    machine = await lab.machine("worker-0")
    assert machine["spec"]["providerID"] == f"b7://default/{host}"
    assert machine["status"]["ready"] is True
    assert machine["status"]["initialization"] == {"provisioned": True}
    stored = await lab.host(host)
    assert stored["status"]["state"] == "Ready"
    report = stored["status"]["inspectionReport"]
    assert report["cpus"][0]["cores"] == 4
    assert report["nics"][0]["macAddress"] == lab.emulator.systems[0].mac
    steps = [what for what, _ in lab.fleet.boots[0].events]
    assert steps == ["power-on", "boot-script", "inspector-exit-0", "provisioned"]
    assert lab.fleet.boots[1].events == []  # the other server was never touched


async def settled_version(
    lab: ProvisioningLab, host: str, quiet: float = 1.0, limit: float = 20.0
) -> str:
    """The host's resourceVersion once the controller has stopped writing it for ``quiet``
    seconds (entering Inspecting takes a few writes; a loaded machine spreads them out)."""
    version = (await lab.host(host))["metadata"]["resourceVersion"]
    for _ in range(int(limit / quiet)):
        await asyncio.sleep(quiet)
        latest = (await lab.host(host))["metadata"]["resourceVersion"]
        if latest == version:
            break
        version = latest
    return str(version)


async def test_a_forged_token_changes_nothing(lab_factory: LabFactory) -> None:
    lab = await lab_factory(systems=1, dead=frozenset({0}))  # powers on, never boots
    [host] = await lab.add_hosts([0])
    await lab.add_machine("worker-0")
    await wait_for_host_state(lab, host, "Inspecting", 60)
    before = await settled_version(lab, host)

    async with httpx.AsyncClient(base_url=lab.callback_url) as client:
        forged = {"Authorization": "Bearer " + "A" * 43}
        report = await client.post(f"/api/v1/inspection/default/{host}", json={}, headers=forged)
        done = await client.post(f"/api/v1/provisioned/default/{host}", headers=forged)

    assert (report.status_code, done.status_code) == (401, 401)
    assert (await lab.host(host))["metadata"]["resourceVersion"] == before


async def test_a_hardware_shortfall_fails_the_machine_and_frees_the_host(
    lab_factory: LabFactory,
) -> None:
    lab = await lab_factory(systems=1, hardware=lambda i: Hardware(memory_mib=2048))
    [host] = await lab.add_hosts([0])
    await lab.add_machine("big", {"minMemoryGB": 64})

    await wait_for_phase(lab, "big", "Failed", 90)

    machine = await lab.machine("big")
    assert machine["status"]["failureReason"] == "HardwareRequirementsNotMet"
    assert "memory" in machine["status"]["failureMessage"].lower()
    await wait_for_host_state(lab, host, "Available", 30)
    status = (await lab.host(host))["status"]
    assert "inspectionTimestamp" not in status and "inspectionPhase" not in status
    lab.emulator.wait_for_power_state(0, "Off", timeout=20)


async def test_an_inspection_that_never_reports_times_out(lab_factory: LabFactory) -> None:
    lab = await lab_factory(systems=1, dead=frozenset({0}), inspection_timeout="8s")
    [host] = await lab.add_hosts([0])
    since = (await lab.store.list(PHYSICAL_HOST, "default")).resource_version
    await lab.add_machine("worker-0")

    async def released() -> bool:
        state = (await lab.host(host)).get("status", {}).get("state")
        return phase(await lab.machine("worker-0")) == "Failed" and state == "Available"

    await lab.wait(released, 90, "timeout, then the host released")

    assert (await lab.machine("worker-0"))["status"]["failureReason"] == "InspectionTimedOut"
    assert "Timeout" in await host_phases_since(lab, host, since)


async def host_phases_since(lab: ProvisioningLab, host: str, version: str) -> list[str]:
    """Every inspectionPhase the host's stored versions had after `version` (the change log)."""
    phases: list[str] = []
    watch = lab.store.watch(PHYSICAL_HOST, "default", resource_version=version)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(2):
            async for event in watch:
                if event.object["metadata"]["name"] == host:
                    phases.append(str(event.object.get("status", {}).get("inspectionPhase")))
    return phases


async def test_two_machines_and_one_host_make_exactly_one_claim(lab_factory: LabFactory) -> None:
    lab = await lab_factory(systems=1)
    [host] = await lab.add_hosts([0])
    await lab.add_machine("a")
    await lab.add_machine("b")

    async def one_provisioned() -> bool:
        phases = {phase(await lab.machine("a")), phase(await lab.machine("b"))}
        return "Provisioned" in phases

    await lab.wait(one_provisioned, 90, "one machine Provisioned")

    machines = [await lab.machine("a"), await lab.machine("b")]
    winner = next(m for m in machines if phase(m) == "Provisioned")
    loser = next(m for m in machines if m is not winner)
    assert phase(loser) != "Provisioned" and "providerID" not in loser["spec"]
    consumer = (await lab.host(host))["spec"]["consumerRef"]
    assert consumer["name"] == winner["metadata"]["name"]


async def test_a_manager_killed_mid_inspection_finishes_after_restart(
    lab_factory: LabFactory,
) -> None:
    lab = await lab_factory(systems=1)
    [host] = await lab.add_hosts([0])
    await lab.add_machine("worker-0")
    await wait_for_host_state(lab, host, "Inspecting", 60)

    lab.stop_manager(signal.SIGKILL)
    lab.start_manager()  # waits for the dead leader's lease (15 s) before reconciling

    await wait_for_phase(lab, "worker-0", "Provisioned", 120)
    assert (await lab.machine("worker-0"))["spec"]["providerID"] == f"b7://default/{host}"
