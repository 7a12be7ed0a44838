"""Real virtual servers behind the Redfish emulator: the power link.

sushy-tools' fake driver only records power and boot settings. `VirtualFleet` turns them into a
machine: when a system goes On with a Pxe boot target it starts a qemu VM (TCG; KVM misbehaves
on these nested machines) with that system's MAC, network-booting the firmware's iPXE with
`bootfile=<callback>/boot.ipxe` over user-mode networking; when the system goes Off it stops the
VM. The guest reaches only the host's loopback, as 10.0.2.2, so every URL it is given uses that
address. The serial console goes to `<workdir>/vm-<n>/serial.log`.

`Firmware.BIOS` is SeaBIOS with iPXE's legacy ROM; `Firmware.UEFI` is Debian's OVMF (package
`ovmf`, a fresh copy of its variable store per VM) with iPXE's EFI ROM (package `ipxe-qemu`).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
from enum import StrEnum
from pathlib import Path

from beskar7_testing.emulator import SushyEmulator
from beskar7_testing.fleet import SimulatedFleet
from beskar7_testing.fleet_server import FleetServer

log = logging.getLogger(__name__)

GUEST_HOST = "10.0.2.2"
"""The host's loopback as a qemu user-mode-networking guest sees it."""
QEMU = "qemu-system-x86_64"
OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
IPXE_ROMS = Path("/usr/lib/ipxe/qemu")


class Firmware(StrEnum):
    BIOS = "bios"
    UEFI = "uefi"


ROMS = {Firmware.BIOS: "pxe-virtio.rom", Firmware.UEFI: "efi-virtio.rom"}
"""What each firmware needs from ipxe-qemu (BIOS runs qemu's default virtio ROM, as always)."""


def qemu_available(firmware: Firmware = Firmware.BIOS) -> str | None:
    """Why virtual servers with `firmware` cannot run here, or None when they can."""
    if shutil.which(QEMU) is None:
        return f"{QEMU} is not installed (Debian: qemu-system-x86 ipxe-qemu)"
    if not (IPXE_ROMS / ROMS[firmware]).exists():
        return f"{IPXE_ROMS / ROMS[firmware]} is missing (Debian: ipxe-qemu)"
    if firmware == Firmware.UEFI and not (OVMF_CODE.exists() and OVMF_VARS.exists()):
        return f"{OVMF_CODE} or {OVMF_VARS} is missing (Debian: ovmf)"
    return None


def image_server(image_dir: Path) -> FleetServer:
    """A fleet server serving a built image (`make image`): the inspection kernel and initrd,
    and the target OS archive."""
    server = FleetServer(b"")
    server.files = {
        "/inspector/vmlinuz": (image_dir / "vmlinuz").read_bytes(),
        "/inspector/initrd.img": (image_dir / "initrd.img").read_bytes(),
        "/images/target.tar.gz": (image_dir / "target.tar.gz").read_bytes(),
    }
    return server


class VirtualFleet(SimulatedFleet):
    def __init__(
        self,
        emulator: SushyEmulator,
        callback_url: str,
        workdir: Path,
        *,
        server: FleetServer,
        memory_mb: int = 1024,
        disk_gb: int = 1,
        nic: str = "virtio-net-pci",
        firmware: Firmware = Firmware.BIOS,
    ) -> None:
        super().__init__(emulator, callback_url, workdir, server=server, guest_host=GUEST_HOST)
        self.memory_mb = memory_mb
        self.disk_gb = disk_gb
        self.nic = nic
        self.firmware = firmware
        self.vms: dict[int, subprocess.Popen[bytes]] = {}
        self._vm_lock = threading.Lock()

    def serial_log(self, index: int) -> Path:
        return self.workdir / f"vm-{index}" / "serial.log"

    def command(self, index: int) -> list[str]:
        """The qemu command line of system `index`."""
        vm = self.workdir / f"vm-{index}"
        bootfile = f"{self.callback_url}/boot.ipxe"
        mac = self.emulator.systems[index].mac
        return [
            QEMU, "-accel", "tcg", "-m", str(self.memory_mb), "-smp", "1",
            "-nographic", "-monitor", "none", "-no-reboot", "-boot", "n",
            *self._firmware_options(vm),
            "-netdev", f"user,id=n0,bootfile={bootfile}",
            "-device", f"{self.nic},netdev=n0,mac={mac}{self._rom_options()}",
            "-drive", f"file={vm / 'disk.img'},if=virtio,format=raw",
            "-serial", f"file:{self.serial_log(index)}",
        ]  # fmt: skip

    def _rom_options(self) -> str:
        if self.firmware == Firmware.BIOS:
            return ""
        return f",romfile={IPXE_ROMS / ROMS[self.firmware]},bootindex=1"

    def _firmware_options(self, vm: Path) -> list[str]:
        if self.firmware == Firmware.BIOS:
            return []
        return [
            "-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
            "-drive", f"if=pflash,format=raw,file={vm / 'OVMF_VARS.fd'}",
        ]  # fmt: skip

    def _boot(self, index: int) -> None:
        vm = self.workdir / f"vm-{index}"
        vm.mkdir(parents=True, exist_ok=True)
        with (vm / "disk.img").open("wb") as disk:
            disk.truncate(self.disk_gb * 1024**3)  # sparse: costs no space
        if self.firmware == Firmware.UEFI:
            shutil.copyfile(OVMF_VARS, vm / "OVMF_VARS.fd")  # each boot starts from empty NVRAM
        self.serial_log(index).unlink(missing_ok=True)
        with self._vm_lock:
            self._kill(index)
            qemu_log = (vm / "qemu.log").open("ab")
            self.vms[index] = subprocess.Popen(
                self.command(index), stdout=qemu_log, stderr=subprocess.STDOUT
            )
        self.boots[index].note("vm-started")
        code = self.vms[index].wait()
        self.boots[index].note(f"vm-exited-{code}")

    def powered_off(self, index: int) -> None:
        with self._vm_lock:
            self._kill(index)

    def stop(self) -> None:
        with self._vm_lock:
            for index in list(self.vms):
                self._kill(index)
        super().stop()

    def _kill(self, index: int) -> None:
        vm = self.vms.pop(index, None)
        if vm is not None and vm.poll() is None:
            vm.terminate()
            try:
                vm.wait(timeout=5)
            except subprocess.TimeoutExpired:
                vm.kill()
                vm.wait(timeout=5)
