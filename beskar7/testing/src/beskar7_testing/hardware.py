"""Synthetic hardware trees (/proc and /sys as the inspector reads them) for simulated servers.

A `Hardware` describes one server; `write_tree(root, hw)` lays out the files a Linux kernel
would show for it, so the real inspector (`beskar7.inspector`) can run against it unchanged.
"""

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Disk:
    name: str  # e.g. "sda", "nvme0n1"
    size_gb: int  # decimal GB
    rotational: bool = False
    model: str = "Virtual Disk"
    serial: str = ""


@dataclass(frozen=True)
class Nic:
    name: str
    mac: str
    driver: str = "e1000"
    speed_mbps: int = 1000


@dataclass(frozen=True)
class Hardware:
    vendor: str = "Sushy Emulator"
    product: str = "Fake Server"
    serial: str = "SIM-0001"
    bios: str = "1.0.0"
    sockets: int = 1
    cores_per_socket: int = 2
    cpu_model: str = "Simulated CPU @ 2.40GHz"
    memory_mib: int = 4096
    disks: tuple[Disk, ...] = (Disk("sda", 100),)
    nics: tuple[Nic, ...] = field(default=(Nic("eth0", "52:54:00:00:00:01"),))


def write_tree(root: Path, hw: Hardware) -> Path:
    """Write `hw` under `root` (created) and return `root`."""
    _cpus(root, hw)
    _put(root / "proc/meminfo", f"MemTotal:       {hw.memory_mib * 1024} kB\nMemFree: 1024 kB\n")
    _put(root / "proc/cmdline", "console=ttyS0\n")
    for disk in hw.disks:
        block = root / "sys/block" / disk.name
        _put(block / "size", f"{disk.size_gb * 10**9 // 512}\n")
        _put(block / "queue/rotational", "1\n" if disk.rotational else "0\n")
        _put(block / "device/model", disk.model + "\n")
        _put(block / "device/serial", disk.serial + "\n")
    for nic in hw.nics:
        net = root / "sys/class/net" / nic.name
        _put(net / "address", nic.mac + "\n")
        _put(net / "speed", f"{nic.speed_mbps}\n")
        _put(net / "device/uevent", f"DRIVER={nic.driver}\n")
    dmi = root / "sys/class/dmi/id"
    for name, value in (
        ("sys_vendor", hw.vendor),
        ("product_name", hw.product),
        ("product_serial", hw.serial),
        ("bios_version", hw.bios),
    ):
        _put(dmi / name, value + "\n")
    return root


def _cpus(root: Path, hw: Hardware) -> None:
    entries = []
    for socket in range(hw.sockets):
        for core in range(hw.cores_per_socket):
            number = socket * hw.cores_per_socket + core
            entries.append(
                f"processor\t: {number}\nvendor_id\t: GenuineIntel\nmodel name\t: {hw.cpu_model}\n"
                f"cpu MHz\t\t: 2400.000\nphysical id\t: {socket}\nsiblings\t: "
                f"{hw.cores_per_socket}\ncore id\t\t: {core}\ncpu cores\t: {hw.cores_per_socket}\n"
            )
            topology = root / f"sys/devices/system/cpu/cpu{number}/topology"
            _put(topology / "physical_package_id", f"{socket}\n")
            _put(topology / "core_id", f"{core}\n")
    _put(root / "proc/cpuinfo", "\n".join(entries) + "\n")


def _put(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
