"""The disk layout for disaster recovery: which filesystem (by UUID) is mounted where, with
which fstab options, and which of its directories are bind-mounted elsewhere.

Pure parsers for ``/proc/self/mountinfo`` and ``/etc/fstab`` plus :func:`disk_layout`, which
joins them with the UUIDs and labels from ``lsblk``. Filesystems without a UUID cannot be found
again on a new system and are left out.
"""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from felhom_controller.collect.storage import BlockIds

_ESCAPE = re.compile(r"\\([0-7]{3})")


def unescape(text: str) -> str:
    """mountinfo and fstab write spaces and friends as octal escapes (``\\040``)."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), text)


@dataclass(frozen=True, slots=True)
class MountInfo:
    device_number: str
    root: str
    mount_point: str
    fs_type: str
    source: str


def parse_mountinfo(text: str) -> list[MountInfo]:
    mounts = []
    for line in text.splitlines():
        fields = line.split()
        if "-" not in fields or len(fields) < 10:
            continue
        dash = fields.index("-")
        mounts.append(
            MountInfo(
                device_number=fields[2],
                root=unescape(fields[3]),
                mount_point=unescape(fields[4]),
                fs_type=fields[dash + 1],
                source=unescape(fields[dash + 2]),
            )
        )
    return mounts


def parse_fstab(text: str) -> dict[str, tuple[str, str]]:
    """Mount point → (spec, options) for each fstab entry."""
    entries = {}
    for line in text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 4:
            entries[unescape(fields[1])] = (unescape(fields[0]), fields[3])
    return entries


def _uuid(mount: MountInfo, ids: dict[str, BlockIds], spec: str) -> tuple[str | None, str | None]:
    block = ids.get(mount.source)
    uuid = block.uuid if block else None
    if uuid is None and spec.startswith("UUID="):
        uuid = spec.removeprefix("UUID=")
    return uuid, block.label if block else None


def disk_layout(
    mountinfo: list[MountInfo], fstab: dict[str, tuple[str, str]], ids: dict[str, BlockIds]
) -> list[dict[str, Any]]:
    """The ``disk_layout`` list of an infrastructure backup."""
    primary: dict[str, dict[str, Any]] = {}
    binds: list[MountInfo] = []
    for mount in mountinfo:
        if not mount.source.startswith("/dev/"):
            continue
        if mount.root != "/":
            binds.append(mount)
            continue
        spec, options = fstab.get(mount.mount_point, ("", "defaults"))
        uuid, label = _uuid(mount, ids, spec)
        if uuid is None or mount.device_number in primary:
            continue
        primary[mount.device_number] = {
            "uuid": uuid,
            "label": label,
            "device": mount.source,
            "mount_point": mount.mount_point,
            "fs_type": mount.fs_type,
            "fstab_options": options,
            "bind_mounts": [],
        }
    for bind in binds:
        owner = primary.get(bind.device_number)
        if owner is not None:
            source = str(Path(owner["mount_point"]) / bind.root.lstrip("/"))
            owner["bind_mounts"].append({"source": source, "target": bind.mount_point})
    return sorted(primary.values(), key=lambda entry: entry["mount_point"])
