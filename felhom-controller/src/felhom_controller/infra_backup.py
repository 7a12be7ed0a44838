"""The infrastructure backup: everything a fresh node needs to come back (controller.yaml,
settings.json, the disk layout, the deployed stacks, the restic passwords), queued for
``POST /api/v1/infra-backup`` daily and whenever its content changes.

The payload holds secrets: it only ever goes to the spool (mode 0600) and the hub, never to a
log line.
"""

import base64
import hashlib
import json
import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from felhom_controller.collect.layout import disk_layout, parse_fstab, parse_mountinfo
from felhom_controller.collect.storage import block_ids
from felhom_controller.config import Settings
from felhom_controller.files import read_json, write_atomic

log = logging.getLogger(__name__)
MOUNTINFO = Path("/proc/self/mountinfo")


def _b64_file(path: Path | None, default: bytes) -> str:
    data = default
    if path is not None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            log.warning("infra backup: cannot read %s (%s); sending a placeholder", path, exc)
    return base64.b64encode(data).decode()


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def build_payload(
    settings: Settings, config_file: Path | None, apps: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The infra-backup body, or None when no restic password is configured (the hub needs one)."""
    backup = settings.backup
    if not backup.restic_password:
        return None
    layout = disk_layout(
        parse_mountinfo(_read(MOUNTINFO)), parse_fstab(_read(backup.fstab)), block_ids()
    )
    stacks = backup.stacks or [{"name": app["name"]} for app in apps]
    passwords = {"primary": backup.restic_password}
    if backup.restic_cross_drive_password:
        passwords["cross_drive"] = backup.restic_cross_drive_password
    return {
        "customer_id": settings.identity.customer_id,
        "controller_yaml": _b64_file(config_file, b""),
        "settings_json": _b64_file(backup.settings_json, b"{}"),
        "disk_layout": layout,
        "stacks": stacks,
        "restic_passwords": passwords,
    }


def digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


class InfraBackupSchedule:
    """Remembers what was last queued and when, to decide whether another one is due."""

    def __init__(self, state_dir: Path, interval: timedelta) -> None:
        self.path = state_dir / "infra_backup.json"
        self.interval = interval

    def due(self, payload: dict[str, Any], now: datetime) -> bool:
        last = read_json(self.path, {})
        if last.get("digest") != digest(payload):
            return True
        try:
            return now - datetime.fromisoformat(last["queued_at"]) >= self.interval
        except (KeyError, TypeError, ValueError):
            return True

    def queued(self, payload: dict[str, Any], now: datetime) -> None:
        record = {"digest": digest(payload), "queued_at": now.isoformat()}
        write_atomic(self.path, json.dumps(record).encode())
