"""The architecture seed's inspection-report shape, normalized into the canonical report.

An inspector written from the architecture document sends one object per section:

    cpus:   {count, cores, threads, model, architecture, mhz}
    memory: {totalBytes, totalGB}
    disks:  [{device, sizeBytes, sizeGB, type, model, serial}]
    nics:   [{interface, macAddress, linkStatus, speedMbps, driver}]
    system: {manufacturer, model, serialNumber, biosVersion, bmcAddress}

`cores` and `threads` are the machine's totals (what `minCPUCores` sums): they are spread evenly
over `count` sockets, or kept as one entry when they do not divide. Memory becomes one module
whose capacity carries an exact unit. `architecture`, `linkStatus` and `bmcAddress` have no
canonical field and are dropped (the BMC's address is the PhysicalHost's own). The result is
checked as strictly as a canonical report (reports.validate_report); shape errors name the field.
"""

from typing import Any

SECTIONS = {
    "cpus": {"count", "cores", "threads", "model", "architecture", "mhz"},
    "memory": {"totalBytes", "totalGB"},
    "system": {"manufacturer", "model", "serialNumber", "biosVersion", "bmcAddress"},
}
ITEMS = {
    "disks": {"device", "sizeBytes", "sizeGB", "type", "model", "serial"},
    "nics": {"interface", "macAddress", "linkStatus", "speedMbps", "driver"},
}
TOP_LEVEL = {*SECTIONS, *ITEMS, "timestamp", "namespace", "hostName"}
_UNITS = (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("GB", 10**9), ("MB", 10**6))


class ShapeError(ValueError):
    """The body claims the seed's shape but does not fit it; the message names the field."""


def is_seed_shape(data: dict[str, Any]) -> bool:
    """The seed's shape: `cpus` or `memory` as an object, or a `system` section, and neither
    `cpus` nor `memory` a list (then it is a canonical report, checked as one)."""
    if any(isinstance(data.get(key), list) for key in ("cpus", "memory")):
        return False
    return any(isinstance(data.get(key), dict) for key in ("cpus", "memory")) or "system" in data


def normalize(data: dict[str, Any]) -> dict[str, Any]:
    """The canonical report body for a seed-shaped one (envelope fields kept)."""
    unknown = sorted(set(data) - TOP_LEVEL)
    if unknown:
        raise ShapeError(f"{unknown[0]}: unknown field")
    cpus, memory, system = (_section(data, name) for name in ("cpus", "memory", "system"))
    out: dict[str, Any] = {k: data[k] for k in ("namespace", "hostName") if k in data}
    out.update(_system(system))
    out["cpus"] = _cpus(cpus)
    out["memory"] = _memory(memory)
    out["disks"] = [_disk(d) for d in _items(data, "disks")]
    out["nics"] = [_nic(n) for n in _items(data, "nics")]
    return out


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ShapeError(f"{name}: must be an object")
    unknown = sorted(set(value) - SECTIONS[name])
    if unknown:
        raise ShapeError(f"{name}.{unknown[0]}: unknown field")
    return value


def _items(data: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = data.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ShapeError(f"{name}: must be a list of objects")
    for index, item in enumerate(value):
        unknown = sorted(set(item) - ITEMS[name])
        if unknown:
            raise ShapeError(f"{name}[{index}].{unknown[0]}: unknown field")
    return value


def _count(where: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ShapeError(f"{where}: must be a non-negative integer")
    return value


def _system(system: dict[str, Any]) -> dict[str, Any]:
    names = {"manufacturer": "manufacturer", "model": "model", "serialNumber": "serialNumber"}
    out = {new: system[old] for old, new in names.items() if old in system}
    if "biosVersion" in system:
        out["firmwareVersion"] = system["biosVersion"]
    return out


def _cpus(cpus: dict[str, Any]) -> list[dict[str, Any]]:
    if not cpus:
        return []
    sockets = _count("cpus.count", cpus.get("count")) or 1
    cores = _count("cpus.cores", cpus.get("cores"))
    threads = _count("cpus.threads", cpus.get("threads"))
    mhz = _count("cpus.mhz", cpus.get("mhz"))
    even = all(total is None or total % sockets == 0 for total in (cores, threads))
    per = sockets if even else 1
    entry: dict[str, Any] = {"model": cpus.get("model")}
    if cores is not None:
        entry["cores"] = cores // per
    if threads is not None:
        entry["threads"] = threads // per
    if mhz is not None:
        entry["frequency"] = f"{mhz}MHz"
    entry = {k: v for k, v in entry.items() if v is not None}
    return [{"id": f"CPU{i}", **entry} for i in range(per)]


def _memory(memory: dict[str, Any]) -> list[dict[str, Any]]:
    total = _count("memory.totalBytes", memory.get("totalBytes"))
    gb = _count("memory.totalGB", memory.get("totalGB"))
    if total is not None:
        capacity = _capacity(total)
    elif gb is not None:
        capacity = f"{gb}GB"
    else:
        return []
    return [{"id": "total", "capacity": capacity}]


def _capacity(size: int) -> str:
    """Bytes with the largest unit that divides them exactly, else MiB truncated."""
    for unit, factor in _UNITS:
        if size and size % factor == 0:
            return f"{size // factor}{unit}"
    return f"{size // 2**20}MiB"


def _disk(disk: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {k: disk[k] for k in ("type", "model") if k in disk}
    device = disk.get("device")
    if isinstance(device, str):
        out["name"] = device.removeprefix("/dev/")
    if "serial" in disk:
        out["serialNumber"] = disk["serial"]
    size = _count("disks[].sizeBytes", disk.get("sizeBytes"))
    gb = _count("disks[].sizeGB", disk.get("sizeGB"))
    if size is not None:
        out["sizeGB"] = size // 10**9
    elif gb is not None:
        out["sizeGB"] = gb
    return out


def _nic(nic: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {k: nic[k] for k in ("macAddress", "driver") if k in nic}
    if "interface" in nic:
        out["name"] = nic["interface"]
    mbps = _count("nics[].speedMbps", nic.get("speedMbps"))
    if mbps:
        out["speed"] = _speed(mbps)
    return out


def _speed(mbps: int) -> str:
    """`1000Mbps`, `25Gbps`: the units the inspector's own reports use."""
    return f"{mbps // 1000}Gbps" if mbps >= 10000 and mbps % 1000 == 0 else f"{mbps}Mbps"
