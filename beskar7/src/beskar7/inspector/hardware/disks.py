"""Disks: whole physical block devices from `lsblk` when it is there, else /sys/block."""

from __future__ import annotations

import json

from beskar7.inspector.hardware.sources import Sources, compact, meaningful

_VIRTUAL_PREFIXES = ("loop", "ram", "zram", "dm-", "sr", "md", "nbd", "zd")
LSBLK_ARGS = ("-J", "-b", "-d", "-o", "NAME,SIZE,ROTA,MODEL,SERIAL,TYPE")


def disks(sources: Sources) -> list[dict[str, object]]:
    """[{name, model, sizeGB, type, serialNumber}] ordered by device name."""
    listed = parse_lsblk(sources.run("lsblk", *LSBLK_ARGS))
    return listed if listed is not None else _from_sysfs(sources)


def parse_lsblk(output: str | None) -> list[dict[str, object]] | None:
    """`lsblk -J -b -d ...` output as disk entries; None when there is no usable output."""
    try:
        devices = json.loads(output or "")["blockdevices"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(devices, list):
        return None
    found = []
    for device in devices:
        name = str(device.get("name") or "")
        size = _integer(device.get("size"))
        if device.get("type") != "disk" or _virtual(name) or not size:
            continue
        rotational = str(device.get("rota")).lower() in ("true", "1")
        found.append(_entry(name, size, rotational, device.get("model"), device.get("serial")))
    return sorted(found, key=lambda entry: str(entry["name"]))


def _from_sysfs(sources: Sources) -> list[dict[str, object]]:
    found = []
    for name in sources.listdir("sys/block"):
        base = f"sys/block/{name}"
        sectors = _integer(sources.read(f"{base}/size"))
        # A device without a `device` link is virtual (md, dm, loop...): not a disk to count.
        if _virtual(name) or not sectors or not sources.exists(f"{base}/device"):
            continue
        rotational = sources.read(f"{base}/queue/rotational") == "1"
        model = sources.read(f"{base}/device/model")
        serial = sources.read(f"{base}/device/serial") or sources.read(f"{base}/serial")
        found.append(_entry(name, sectors * 512, rotational, model, serial))
    return found


def disk_type(name: str, rotational: bool) -> str:
    if name.startswith("nvme"):
        return "NVMe"
    return "HDD" if rotational else "SSD"


def _entry(
    name: str, size: int, rotational: bool, model: object, serial: object
) -> dict[str, object]:
    return compact(
        {
            "name": f"/dev/{name}",
            "model": meaningful(str(model)) if model else None,
            "sizeGB": size // 10**9,
            "type": disk_type(name, rotational),
            "serialNumber": meaningful(str(serial)) if serial else None,
        }
    )


def _virtual(name: str) -> bool:
    return not name or name.startswith(_VIRTUAL_PREFIXES)


def _integer(value: object) -> int | None:
    try:
        number = int(str(value))
    except ValueError:
        return None
    return number if number > 0 else None
