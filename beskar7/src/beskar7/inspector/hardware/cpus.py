"""CPUs: one entry per socket (physical package) from /proc/cpuinfo and sysfs topology."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from beskar7.inspector.hardware.sources import Sources, compact, meaningful

_VENDORS = {"GenuineIntel": "Intel", "AuthenticAMD": "AMD", "HygonGenuine": "Hygon"}
_NOMINAL = re.compile(r"@\s*([0-9.]+)\s*GHz", re.IGNORECASE)
_CPU_DIR = re.compile(r"^cpu[0-9]+$")
_PACKAGE = "topology/physical_package_id"
_CORE = "topology/core_id"


@dataclass
class _Socket:
    first: dict[str, str]
    """The cpuinfo block of the socket's first logical CPU."""
    cores: set[str] = field(default_factory=set)
    threads: int = 0


def cpus(sources: Sources) -> list[dict[str, object]]:
    """[{id, vendor, model, cores, threads, frequency}] ordered by package id."""
    processors = parse_cpuinfo(sources.read("proc/cpuinfo") or "")
    if not processors:
        processors = [
            {"processor": name[3:]}
            for name in sources.listdir("sys/devices/system/cpu")
            if _CPU_DIR.match(name)
        ]
    sockets: dict[str, _Socket] = {}
    for processor in processors:
        number = processor.get("processor", "")
        package = processor.get("physical id") or _cpu_file(sources, number, _PACKAGE)
        core = processor.get("core id") or _cpu_file(sources, number, _CORE) or number
        socket = sockets.setdefault(package or "0", _Socket(first=processor))
        socket.cores.add(core)
        socket.threads += 1
    ordered = sorted(sockets.items(), key=lambda item: _numeric(item[0]))
    return [
        _entry(sources, index, socket) for index, (_package, socket) in enumerate(ordered, start=1)
    ]


def parse_cpuinfo(text: str) -> list[dict[str, str]]:
    """/proc/cpuinfo as one `key -> value` dict per logical CPU (blocks with a `processor`)."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in [*text.splitlines(), ""]:
        key, colon, value = line.partition(":")
        if colon:
            current[key.strip()] = value.strip()
        elif not line.strip() and current:
            if "processor" in current:
                blocks.append(current)
            current = {}
    return blocks


def _entry(sources: Sources, index: int, socket: _Socket) -> dict[str, object]:
    info = socket.first
    vendor = info.get("vendor_id")
    return compact(
        {
            "id": f"CPU.Socket.{index}",
            "vendor": _VENDORS.get(vendor or "", meaningful(vendor)),
            "model": meaningful(info.get("model name")),
            "cores": len(socket.cores),
            "threads": socket.threads,
            "frequency": _frequency(sources, info),
        }
    )


def _frequency(sources: Sources, info: dict[str, str]) -> str | None:
    """Nominal clock from the model name, else cpufreq's maximum, else the current MHz."""
    mhz: float | None = None
    nominal = _NOMINAL.search(info.get("model name", ""))
    if nominal:
        mhz = float(nominal.group(1)) * 1000
    else:
        khz = _cpu_file(sources, info.get("processor", ""), "cpufreq/cpuinfo_max_freq")
        mhz = _number(khz, 1 / 1000) or _number(info.get("cpu MHz"), 1)
    return f"{mhz / 1000:.1f}GHz" if mhz else None


def _cpu_file(sources: Sources, processor: str, name: str) -> str | None:
    if not processor.isdigit():
        return None
    return sources.read(f"sys/devices/system/cpu/cpu{processor}/{name}")


def _number(text: str | None, scale: float) -> float | None:
    try:
        value = float(text or "")
    except ValueError:
        return None
    return value * scale if value > 0 else None


def _numeric(package: str) -> tuple[int, str]:
    return (int(package), "") if package.isdigit() else (1 << 30, package)
