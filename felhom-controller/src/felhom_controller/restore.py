"""Disaster recovery: bring a freshly installed node back from the hub's infrastructure backup.

1. fetch the customer's newest backup (``GET /api/v1/infra-backup/{customer_id}``);
2. restore controller.yaml and settings.json;
3. plan the mounts by UUID for the drives present (and the bind mounts on them);
4. list the stacks to restore from the drives' local backups;
5. report ``restore_completed`` or ``restore_failed`` to the hub.

Without ``apply`` nothing is written, mounted or sent: the plan is only printed. With it, the
files are written (the existing ones kept as ``*.before-restore``), missing fstab entries are
appended, mount points created and each planned mount mounted with ``mount --fstab``.
"""

import base64
import binascii
import contextlib
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from felhom_controller.collect.storage import block_ids
from felhom_controller.events import Event
from felhom_controller.files import write_atomic
from felhom_controller.hub import HubClient
from felhom_controller.vocabulary import EventType, Severity

MOUNT_TIMEOUT = 60.0


class RestoreError(Exception):
    """The restore cannot go on; the message says why (never a secret)."""


@dataclass
class Plan:
    files: dict[Path, bytes] = field(default_factory=dict)
    mounts: list[dict[str, Any]] = field(default_factory=list)
    missing: list[dict[str, Any]] = field(default_factory=list)
    binds: list[dict[str, str]] = field(default_factory=list)
    stacks: list[dict[str, Any]] = field(default_factory=list)

    def fstab_lines(self) -> list[str]:
        lines = [
            f"UUID={m['uuid']} {_escape(m['mount_point'])} {m.get('fs_type') or 'auto'} "
            f"{m.get('fstab_options') or 'defaults'} 0 2"
            for m in self.mounts
        ]
        lines += [
            f"{_escape(b['source'])} {_escape(b['target'])} none bind 0 0" for b in self.binds
        ]
        return lines

    def describe(self) -> str:
        out = [f"restore {path} ({len(data)} bytes)" for path, data in self.files.items()]
        out += [f"mount UUID={m['uuid']} on {m['mount_point']}" for m in self.mounts]
        out += [f"bind {b['source']} on {b['target']}" for b in self.binds]
        out += [f"MISSING drive UUID={m['uuid']} (was {m['mount_point']})" for m in self.missing]
        out += [f"stack to restore: {s['name']} ({s.get('hdd_path') or '-'})" for s in self.stacks]
        return "\n".join(out)


def _escape(path: str) -> str:
    return path.replace("\\", "\\134").replace(" ", "\\040").replace("\t", "\\011")


def fetch_backup(hub: HubClient, customer_id: str) -> dict[str, Any]:
    answer = hub.get(f"/api/v1/infra-backup/{customer_id}")
    if answer.status_code == 404:
        raise RestoreError(f"the hub has no infrastructure backup for {customer_id}")
    if answer.status_code != 200:
        raise RestoreError(f"the hub answered {answer.status_code} for the infra backup")
    backup: dict[str, Any] = answer.json()["backup"]
    return backup


def _decode(backup: dict[str, Any], key: str) -> bytes:
    try:
        return base64.b64decode(backup[key], validate=True)
    except (KeyError, binascii.Error, ValueError):
        raise RestoreError(f"the backup's {key} is missing or not base64") from None


def plan_restore(
    backup: dict[str, Any], present_uuids: set[str], config_file: Path, settings_json: Path
) -> Plan:
    """What a restore would do on this machine (pure: nothing is touched)."""
    plan = Plan(stacks=list(backup.get("stacks", [])))
    plan.files[config_file] = _decode(backup, "controller_yaml")
    plan.files[settings_json] = _decode(backup, "settings_json")
    for entry in backup.get("disk_layout", []):
        if entry["uuid"] in present_uuids:
            plan.mounts.append(entry)
            plan.binds += entry.get("bind_mounts", [])
        else:
            plan.missing.append(entry)
    return plan


def _fstab_text(fstab: Path) -> str:
    try:
        return fstab.read_text()
    except FileNotFoundError:
        return ""


def apply_plan(plan: Plan, fstab: Path) -> list[str]:
    """Carry the plan out; the problems met (empty when everything worked)."""
    for path, data in plan.files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            write_atomic(path.with_name(path.name + ".before-restore"), path.read_bytes())
        write_atomic(path, data)
    existing = _fstab_text(fstab)
    new = [line for line in plan.fstab_lines() if line.split()[1] not in _mounted_in(existing)]
    if new:
        text = existing + ("" if existing.endswith("\n") or not existing else "\n")
        write_atomic(fstab, (text + "\n".join(new) + "\n").encode(), mode=0o644)
    problems = []
    targets = [m["mount_point"] for m in plan.mounts] + [b["target"] for b in plan.binds]
    for target in targets:
        Path(target).mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["mount", "--fstab", str(fstab), target],
            capture_output=True,
            text=True,
            timeout=MOUNT_TIMEOUT,
            check=False,
        )
        if done.returncode != 0 and "already mounted" not in done.stderr:
            problems.append(f"mount {target}: {done.stderr.strip()[-300:]}")
    problems += [f"drive UUID={m['uuid']} for {m['mount_point']} is missing" for m in plan.missing]
    return problems


def _mounted_in(fstab_text: str) -> set[str]:
    targets = set()
    for line in fstab_text.splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2:
            targets.add(fields[1])
    return targets


def outcome_event(problems: list[str], plan: Plan | None) -> Event:
    """restore_completed, or restore_failed naming the problems."""
    if problems:
        message = "restore failed: " + "; ".join(problems)
        return Event(EventType.RESTORE_FAILED, Severity.ERROR, message, {"problems": problems})
    assert plan is not None
    mounts = [m["mount_point"] for m in plan.mounts]
    stacks = [s["name"] for s in plan.stacks]
    message = f"restored config, {len(mounts)} mount(s); stacks to restore: {', '.join(stacks)}"
    return Event(
        EventType.RESTORE_COMPLETED, Severity.INFO, message, {"mounts": mounts, "stacks": stacks}
    )


def present_uuids(by_uuid: Path = Path("/dev/disk/by-uuid")) -> set[str]:
    """UUIDs of the filesystems on this machine's block devices (lsblk, then udev's links)."""
    found = {ids.uuid for ids in block_ids().values() if ids.uuid}
    with contextlib.suppress(OSError):
        found |= {link.name for link in by_uuid.iterdir()}
    return found
