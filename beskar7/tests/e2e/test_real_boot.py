"""The whole flow on real firmware: a qemu VM (TCG) with iPXE, a real Linux kernel, the
inspection image from `make image` and the real inspector, powered through the Redfish
emulator, provisioned by a real manager process. Everything stays on loopback: the guest
reaches the host only as 10.0.2.2 through qemu's user-mode networking.

Skipped when qemu or the image is missing, unless BESKAR7_REQUIRE_REAL_BOOT=1 (CI sets it, so
there a missing prerequisite fails instead).
"""

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from beskar7_testing.lab import ProvisioningLab
from beskar7_testing.qemu import VirtualFleet, qemu_available

IMAGE_DIR = Path(__file__).resolve().parents[3] / "build" / "image"
REQUIRED = os.environ.get("BESKAR7_REQUIRE_REAL_BOOT") == "1"


def missing() -> str | None:
    reason = qemu_available()
    if reason is None and not (IMAGE_DIR / "initrd.img").exists():
        reason = f"no inspection image in {IMAGE_DIR}: run `make image`"
    return reason


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(missing() is not None and not REQUIRED, reason=str(missing())),
]


@pytest.fixture
async def lab(tmp_path: Path) -> AsyncIterator[ProvisioningLab]:
    assert missing() is None, missing()
    lab = ProvisioningLab(
        tmp_path / "lab", systems=1, image_dir=IMAGE_DIR, inspection_timeout="240s"
    )
    await lab.start()
    try:
        yield lab
    finally:
        await lab.stop()


def serial(lab: ProvisioningLab) -> str:
    assert isinstance(lab.fleet, VirtualFleet)
    path = lab.fleet.serial_log(0)
    return path.read_text(errors="replace") if path.exists() else ""


async def until_phase(lab: ProvisioningLab, wanted: str, timeout: float) -> dict[str, Any]:
    async def reached() -> bool:
        return bool((await lab.machine("vm")).get("status", {}).get("phase") == wanted)

    try:
        await lab.wait(reached, timeout, f"the Beskar7Machine {wanted}")
    except AssertionError as exc:
        raise AssertionError(
            f"{exc}\n--- serial console (tail) ---\n{serial(lab)[-6000:]}"
        ) from None
    return await lab.machine("vm")


async def test_a_virtual_server_is_inspected_kexecd_and_provisioned(lab: ProvisioningLab) -> None:
    [host] = await lab.add_hosts([0])
    await lab.add_machine("vm", {"minCPUCores": 1, "minMemoryGB": 1, "minDiskGB": 1}, "kairos")

    machine = await until_phase(lab, "Provisioned", 300)

    assert machine["spec"]["providerID"] == f"b7://default/{host}"
    report = (await lab.host(host))["status"]["inspectionReport"]
    assert sum(cpu["cores"] for cpu in report["cpus"]) >= 1
    assert report["disks"][0]["sizeGB"] == 1  # the VM's 1 GiB virtio disk
    assert lab.emulator.systems[0].mac in [nic["macAddress"] for nic in report["nics"]]
    memory = "".join(m["capacity"] for m in report["memory"])
    assert re.fullmatch(r"(1GiB|1024MiB|9\d\dMiB)", memory), memory
    console = serial(lab)
    assert "boot.ipxe" in console  # iPXE chained the manager's script
    assert re.search(r"Command line:.*beskar7\.host=" + host, console)  # the kernel got its params
    # the target OS was kexec'd with the OS family's configuration parameter
    assert re.search(r"beskar7-target: \[[^]]*\] config parameter: config_url=http", console)
    assert "provisioned reported" in console
    steps = [what for what, _ in lab.fleet.boots[0].events]
    assert steps[:2] == ["power-on", "vm-started"]


async def test_a_virtual_server_short_of_memory_fails_and_is_switched_off(
    lab: ProvisioningLab,
) -> None:
    [host] = await lab.add_hosts([0])
    await lab.add_machine("vm", {"minMemoryGB": 64})

    machine = await until_phase(lab, "Failed", 300)

    assert machine["status"]["failureReason"] == "HardwareRequirementsNotMet"

    async def released_and_off() -> bool:
        state = (await lab.host(host)).get("status", {}).get("state")
        steps = [what for what, _ in lab.fleet.boots[0].events]
        return state == "Available" and "power-off" in steps

    await lab.wait(released_and_off, 60, "the host released and the VM switched off")
    assert lab.emulator.power_state(0) == "Off"
