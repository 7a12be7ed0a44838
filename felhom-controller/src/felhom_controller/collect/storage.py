"""Mounted filesystems: device, type, UUID, label and usage (psutil + ``lsblk --json``).

Configured mount points that are not mounted are reported as ``missing`` so the event logic
can say ``mount_failed``; a mount whose usage cannot be read is left out with a log line.
"""

import json
import logging
import os
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psutil

log = logging.getLogger(__name__)
LSBLK_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class BlockIds:
    uuid: str | None
    label: str | None


def parse_lsblk(text: str) -> dict[str, BlockIds]:
    """``lsblk --json --list -o PATH,UUID,LABEL`` output → ids by device path."""
    ids: dict[str, BlockIds] = {}
    for device in json.loads(text).get("blockdevices", []):
        path = device.get("path")
        if path:
            ids[path] = BlockIds(device.get("uuid"), device.get("label"))
    return ids


def parse_blkid(text: str) -> dict[str, BlockIds]:
    """``blkid -o export`` output (blank-line separated KEY=value blocks) → ids by device."""
    ids: dict[str, BlockIds] = {}
    for block in text.strip().split("\n\n"):
        fields = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        if "DEVNAME" in fields:
            ids[fields["DEVNAME"]] = BlockIds(fields.get("UUID"), fields.get("LABEL"))
    return ids


def _run(command: list[str]) -> str | None:
    if shutil.which(command[0]) is None:
        return None
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=LSBLK_TIMEOUT, check=False
        )
    except (subprocess.SubprocessError, OSError) as exc:
        log.warning("%s failed: %s", command[0], exc)
        return None
    return done.stdout if done.returncode in (0, 2) else None  # blkid: 2 = nothing found


def block_ids() -> dict[str, BlockIds]:
    """UUIDs and labels of this machine's block devices: lsblk (udev's view), completed by
    probing with blkid where udev has no record (containers, machines without udev)."""
    ids: dict[str, BlockIds] = {}
    text = _run(["lsblk", "--json", "--list", "-o", "PATH,UUID,LABEL"])
    if text:
        try:
            ids = parse_lsblk(text)
        except ValueError:
            log.warning("lsblk answered something that is not JSON")
    probed = _run(["blkid", "-o", "export"])
    for device, found in parse_blkid(probed or "").items():
        if ids.get(device) is None or ids[device].uuid is None:
            ids[device] = found
    return ids


def _wanted(partitions: Iterable[Any], mounts: list[str], exclude_fs_types: list[str]) -> list[Any]:
    """The configured mount points, else one mount per device (its first, shortest path:
    bind mounts of the same filesystem would repeat its usage)."""
    if mounts:
        return list({p.mountpoint: p for p in partitions if p.mountpoint in mounts}.values())
    chosen: dict[str, Any] = {}
    for part in sorted(partitions, key=lambda p: (len(p.mountpoint), p.mountpoint)):
        if part.fstype not in exclude_fs_types:
            chosen.setdefault(part.device, part)
    return sorted(chosen.values(), key=lambda p: p.mountpoint)


def collect_storage(mounts: list[str], exclude_fs_types: list[str]) -> list[dict[str, Any]]:
    """The report's ``storage`` list; configured but absent mounts get ``missing: true``."""
    partitions = psutil.disk_partitions(all=bool(mounts))
    ids = block_ids()
    found: list[dict[str, Any]] = []
    for part in _wanted(partitions, mounts, exclude_fs_types):
        try:
            usage = psutil.disk_usage(part.mountpoint)
        except OSError as exc:
            log.warning("cannot read usage of %s: %s", part.mountpoint, exc.strerror or exc)
            continue
        block = ids.get(part.device) or ids.get(os.path.realpath(part.device))
        found.append(
            {
                "mount_point": part.mountpoint,
                "device": part.device,
                "fs_type": part.fstype,
                "uuid": block.uuid if block else None,
                "label": block.label if block else None,
                "total_bytes": usage.total,
                "used_bytes": usage.used,
                "used_percent": round(usage.percent, 1),
            }
        )
    seen = {entry["mount_point"] for entry in found}
    for mount in mounts:
        if mount not in seen:
            found.append({"mount_point": mount, "total_bytes": 0, "used_bytes": 0, "missing": True})
    return found
