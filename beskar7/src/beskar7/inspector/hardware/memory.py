"""Memory: one entry per populated DIMM from `dmidecode -t memory`, else MemTotal."""

from __future__ import annotations

import re

from beskar7.inspector.hardware.sources import Sources, compact, meaningful

_SIZE = re.compile(r"^([0-9]+)\s*(kB|KB|MB|GB|TB)$")
_MIB_PER = {"kB": 1 / 1024, "KB": 1 / 1024, "MB": 1, "GB": 1024, "TB": 1024 * 1024}
_SPEED = re.compile(r"^([0-9]+)\s*(MT/s|MHz)$")
_MEMTOTAL = re.compile(r"^MemTotal:\s*([0-9]+)\s*kB", re.MULTILINE)


def memory(sources: Sources) -> list[dict[str, object]]:
    """[{id, type, capacity, speed}]: the DIMMs dmidecode sees, or one MemTotal entry."""
    dimms = parse_dmidecode_memory(sources.run("dmidecode", "-t", "memory") or "")
    if dimms:
        return dimms
    total = _MEMTOTAL.search(sources.read("proc/meminfo") or "")
    if total is None:
        return []
    mib = (int(total.group(1)) + 512) // 1024
    return [{"id": "MemTotal", "capacity": f"{mib}MiB"}] if mib > 0 else []


def parse_dmidecode_memory(text: str) -> list[dict[str, object]]:
    """The populated `Memory Device` records of `dmidecode -t memory` output."""
    entries: list[dict[str, object]] = []
    for record in _records(text):
        mib = size_mib(record.get("Size", ""))
        if not mib:
            continue
        speed = _speed(record.get("Speed")) or _speed(record.get("Configured Memory Speed"))
        locator = meaningful(record.get("Locator")) or meaningful(record.get("Bank Locator"))
        entries.append(
            compact(
                {
                    "id": locator,
                    "type": _type(record.get("Type")),
                    "capacity": capacity(mib),
                    "speed": speed,
                }
            )
        )
    return entries


def size_mib(text: str) -> int | None:
    """dmidecode's "32 GB" / "16384 MB" (binary units, whatever the spelling) in MiB."""
    match = _SIZE.match(text.strip())
    if match is None:
        return None
    mib = int(int(match.group(1)) * _MIB_PER[match.group(2)])
    return mib or None


def capacity(mib: int) -> str:
    """`32GiB` for whole GiB, else `512MiB`."""
    return f"{mib // 1024}GiB" if mib % 1024 == 0 else f"{mib}MiB"


def _records(text: str) -> list[dict[str, str]]:
    """Each `Memory Device` section as `key -> value` (its tab-indented `Key: Value` lines)."""
    records: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in text.splitlines():
        if not line.startswith(("\t", " ")):
            current = {} if line.strip() == "Memory Device" else None
            if current is not None:
                records.append(current)
            continue
        key, colon, value = line.strip().partition(":")
        if current is not None and colon and line.startswith("\t") and not line.startswith("\t\t"):
            current[key.strip()] = value.strip()
    return records


def _speed(text: str | None) -> str | None:
    match = _SPEED.match((text or "").strip())
    return f"{match.group(1)}MHz" if match and int(match.group(1)) > 0 else None


def _type(text: str | None) -> str | None:
    value = meaningful(text)
    return None if value in (None, "Other", "Unknown") else value
