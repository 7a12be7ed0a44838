"""The whole flow on real firmware: a qemu VM (TCG) with iPXE, a real Linux kernel, the
inspection image from `make image` and the real inspector, powered through the Redfish
emulator, provisioned by a real manager process. Everything stays on loopback: the guest
reaches the host only as 10.0.2.2 through qemu's user-mode networking. The happy path runs
under BIOS (SeaBIOS) and UEFI (OVMF): the test target OS fetches its user-data through the
seed URL in its OS family's parameter, checks it, sees a second fetch refused, and reports a
value from it in its provisioned call, with the report token from its meta-data.

Skipped when qemu, OVMF or the image is missing, unless BESKAR7_REQUIRE_REAL_BOOT=1 (CI sets it,
so there a missing prerequisite fails instead).
"""

import os
import re
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from beskar7.api.protocol import Annotation
from beskar7_testing.lab import ProvisioningLab
from beskar7_testing.qemu import Firmware, VirtualFleet, qemu_available

IMAGE_DIR = Path(__file__).resolve().parents[3] / "build" / "image"
REQUIRED = os.environ.get("BESKAR7_REQUIRE_REAL_BOOT") == "1"


def missing(firmware: Firmware = Firmware.BIOS) -> str | None:
    reason = qemu_available(firmware)
    if reason is None and not (IMAGE_DIR / "initrd.img").exists():
        reason = f"no inspection image in {IMAGE_DIR}: run `make image`"
    return reason


def skip_unless(firmware: Firmware) -> pytest.MarkDecorator:
    reason = missing(firmware)
    return pytest.mark.skipif(reason is not None and not REQUIRED, reason=str(reason))


pytestmark = [pytest.mark.slow]
FIRMWARES = [
    pytest.param(Firmware.BIOS, marks=skip_unless(Firmware.BIOS), id="bios"),
    pytest.param(Firmware.UEFI, marks=skip_unless(Firmware.UEFI), id="uefi"),
]


@pytest.fixture(params=[pytest.param(Firmware.BIOS, marks=skip_unless(Firmware.BIOS), id="bios")])
async def lab(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[ProvisioningLab]:
    firmware: Firmware = request.param
    assert missing(firmware) is None, missing(firmware)
    lab = ProvisioningLab(
        tmp_path / "lab",
        systems=1,
        image_dir=IMAGE_DIR,
        inspection_timeout="240s" if firmware == Firmware.BIOS else "480s",
        firmware=firmware,
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


@pytest.mark.timeout(900)  # OVMF under TCG is several times slower than SeaBIOS
@pytest.mark.parametrize("lab", FIRMWARES, indirect=True)
async def test_a_virtual_server_is_inspected_kexecd_and_provisioned_with_its_user_data(
    lab: ProvisioningLab,
) -> None:
    [host] = await lab.add_hosts([0])
    marker = secrets.token_hex(8)
    user_data = f"#cloud-config\nhostname: vm\nbeskar7-e2e: {marker}\n"
    await lab.add_machine(
        "vm",
        {"minCPUCores": 1, "minMemoryGB": 1, "minDiskGB": 1},
        "kairos",
        config_url=False,  # beskar7's own seed carries the bootstrap data
        user_data=user_data,
    )

    timeout = 300 if lab.firmware == Firmware.BIOS else 600
    machine = await until_phase(lab, "Provisioned", timeout)

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
    # the target OS was kexec'd with the seed's user-data URL in the family's parameter
    seed_url = rf"http://10\.0\.2\.2:\d+/api/v1/seed/default/{host}/[A-Za-z0-9_-]{{43}}/"
    target_cmdline = re.search(r"beskar7-target: \[[^]]*\] cmdline: (.*)", console)
    assert target_cmdline is not None, console[-4000:]
    assert "beskar7.token" not in target_cmdline.group(1)  # no bearer token on the final OS
    assert re.search(rf"config parameter: config_url={seed_url}user-data", console)
    assert f"user-data checked: beskar7-e2e={marker}" in console
    assert "second user-data fetch refused" in console
    assert f"meta-data checked: provider-id=b7://default/{host}" in console
    assert "provisioned reported" in console
    manager_log = lab.manager_log.read_text()
    assert f"reports its operating system is up: user-data beskar7-e2e={marker}" in manager_log
    assert Annotation.BOOTSTRAP_TOKEN not in (await lab.host(host))["metadata"].get(
        "annotations", {}
    )
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
