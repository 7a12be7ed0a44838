"""The hardware report of recorded machines, field for field."""

from __future__ import annotations

from pathlib import Path

import pytest

from beskar7.inspector import collect
from beskar7.inspector.hardware.disks import parse_lsblk
from beskar7.inspector.hardware.memory import capacity, parse_dmidecode_memory, size_mib
from beskar7.inspector.hardware.nics import parse_ip_text, speed
from tests.inspector.doubles import TREES, FakeBin, expected_report, tree


def test_two_socket_server_with_dmidecode_is_reported_exactly(fake_bin: FakeBin) -> None:
    fake_bin.record("server", "dmidecode", "ip")  # ip answers text only, like busybox's
    report = collect(tree("server"), path=fake_bin.path)
    assert report == expected_report("server")
    assert list(report)[:5] == [
        "manufacturer",
        "model",
        "serialNumber",
        "bootModeDetected",
        "firmwareVersion",
    ]


def test_small_vm_without_dmidecode_falls_back_to_meminfo(fake_bin: FakeBin) -> None:
    fake_bin.record("vm", "ip")  # ip -j
    assert collect(tree("vm"), path=fake_bin.path) == expected_report("vm")


def test_server_aggregates_match_the_controllers_validation_math(fake_bin: FakeBin) -> None:
    fake_bin.record("server", "dmidecode", "ip")
    report = collect(tree("server"), path=fake_bin.path)
    cpus, memory, disks = report["cpus"], report["memory"], report["disks"]
    assert isinstance(cpus, list) and isinstance(memory, list) and isinstance(disks, list)
    assert sum(cpu["cores"] for cpu in cpus) == 64
    # 32GiB -> 34359738368 bytes -> 34 decimal GB, truncated per DIMM: 4 x 34
    assert sum(int(dimm["capacity"].removesuffix("GiB")) * 2**30 // 10**9 for dimm in memory) == 136
    assert sum(disk["sizeGB"] for disk in disks) == 1920


def test_without_commands_the_server_reports_memtotal_and_no_addresses(tmp_path: Path) -> None:
    report = collect(tree("server"), path=str(tmp_path))  # an empty PATH
    assert report["memory"] == [{"id": "MemTotal", "capacity": "128402MiB"}]
    nics = report["nics"]
    assert isinstance(nics, list)
    assert [nic["ipAddresses"] for nic in nics] == [[], []]


def test_an_empty_root_gives_a_minimal_report(tmp_path: Path) -> None:
    assert collect(tmp_path, path=str(tmp_path)) == {
        "bootModeDetected": "Legacy",
        "cpus": [],
        "memory": [],
        "disks": [],
        "nics": [],
    }


def test_identity_falls_back_to_dmidecode_strings(tmp_path: Path, fake_bin: FakeBin) -> None:
    commands = tmp_path / "recorded"
    commands.mkdir()
    for keyword, value in {
        "system-manufacturer": "Supermicro",
        "system-product-name": "SYS-1029U-TRT",
        "system-serial-number": "To Be Filled By O.E.M.",
        "bios-version": "3.4",
    }.items():
        (commands / f"dmidecode_-s_{keyword}.txt").write_text(f"# comment\n{value}\n")
    (fake_bin.directory / "dmidecode").write_text(
        f'#!/bin/sh\nf="{commands}/dmidecode$(printf "_%s" "$@").txt"\n'
        '[ -f "$f" ] && exec /bin/cat "$f"\nexit 1\n'
    )
    (fake_bin.directory / "dmidecode").chmod(0o755)
    report = collect(tmp_path, path=fake_bin.path)
    assert (report.get("manufacturer"), report.get("model"), report.get("firmwareVersion")) == (
        "Supermicro",
        "SYS-1029U-TRT",
        "3.4",
    )
    assert "serialNumber" not in report  # a placeholder is no serial number


def test_lsblk_is_preferred_and_filtered(fake_bin: FakeBin) -> None:
    fake_bin.record("storage", "lsblk")  # sda HDD, sdb SSD, nvme0n1, and devices to skip
    assert collect(tree("vm"), path=fake_bin.path)["disks"] == [
        {
            "name": "/dev/nvme0n1",
            "model": "INTEL SSDPE2KE016T8",
            "sizeGB": 1600,
            "type": "NVMe",
            "serialNumber": "PHLN0001",
        },
        {
            "name": "/dev/sda",
            "model": "ST4000NM0035",
            "sizeGB": 4000,
            "type": "HDD",
            "serialNumber": "ZC1A2B3C",
        },
        {"name": "/dev/sdb", "model": "SAMSUNG MZ7LH480", "sizeGB": 480, "type": "SSD"},
    ]


def test_broken_lsblk_output_falls_back_to_sysfs() -> None:
    assert parse_lsblk("lsblk: unknown column") is None
    assert parse_lsblk('{"blockdevices": 3}') is None


def test_a_collector_that_breaks_costs_only_its_own_section(tmp_path: Path) -> None:
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "cpuinfo").write_text("processor\t: 0\nphysical id\t: 0\n")
    (tmp_path / "sys" / "block").mkdir(parents=True)
    (tmp_path / "sys" / "block" / "sda").write_bytes(b"not a directory")
    report = collect(tmp_path, path=str(tmp_path))
    assert report["cpus"] == [{"id": "CPU.Socket.1", "cores": 1, "threads": 1}]
    assert report["disks"] == []


@pytest.mark.parametrize(
    ("text", "mib"),
    [("32 GB", 32768), ("32768 MB", 32768), ("1 TB", 1048576), ("524288 kB", 512),
     ("No Module Installed", None), ("Unknown", None), ("0 MB", None)],
)  # fmt: skip
def test_dmidecode_sizes(text: str, mib: int | None) -> None:
    assert size_mib(text) == mib


def test_capacity_units() -> None:
    assert [capacity(32768), capacity(512), capacity(1536)] == ["32GiB", "512MiB", "1536MiB"]


def test_dmidecode_record_without_usable_modules_is_not_usable() -> None:
    text = "Handle 0x1100, DMI type 17, 40 bytes\nMemory Device\n\tSize: No Module Installed\n"
    assert parse_dmidecode_memory(text) == []
    old = "Handle 0x1100\nMemory Device\n\tSize: 8192 MB\n\tLocator: DIMM 0\n\tType: RAM\n"
    assert parse_dmidecode_memory(old) == [{"id": "DIMM 0", "type": "RAM", "capacity": "8GiB"}]


@pytest.mark.parametrize(
    ("sysfs", "shown"),
    [("1000", "1000Mbps"), ("10000", "10Gbps"), ("25000", "25Gbps"), ("2500", "2500Mbps"),
     ("-1", None), ("", None), (None, None)],
)  # fmt: skip
def test_nic_speeds(sysfs: str | None, shown: str | None) -> None:
    assert speed(sysfs) == shown


def test_ip_text_output_keeps_link_addresses_and_drops_host_scope() -> None:
    text = (TREES / "server" / "commands" / "ip_addr_show.txt").read_text()
    assert parse_ip_text(text) == {
        "lo": [],
        "eno1": ["192.0.2.10", "fe80::a8bb:ccff:fedd:ee01"],
        "eno2": ["192.0.2.11"],
        "bond0": [],
    }


def test_cpus_without_socket_fields_use_sysfs_topology(tmp_path: Path) -> None:
    """arm64's cpuinfo has no `physical id`, `core id` or `model name`."""
    blocks = [f"processor\t: {n}\nBogoMIPS\t: 50.00\nCPU implementer\t: 0x41\n" for n in range(4)]
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "cpuinfo").write_text("\n".join(blocks))
    for n in range(4):
        cpu = tmp_path / "sys" / "devices" / "system" / "cpu" / f"cpu{n}"
        (cpu / "topology").mkdir(parents=True)
        (cpu / "topology" / "physical_package_id").write_text(f"{n // 2}\n")
        (cpu / "topology" / "core_id").write_text(f"{n % 2}\n")
        (cpu / "cpufreq").mkdir()
        (cpu / "cpufreq" / "cpuinfo_max_freq").write_text("2800000\n")
    assert collect(tmp_path, path=str(tmp_path))["cpus"] == [
        {"id": "CPU.Socket.1", "cores": 2, "threads": 2, "frequency": "2.8GHz"},
        {"id": "CPU.Socket.2", "cores": 2, "threads": 2, "frequency": "2.8GHz"},
    ]
