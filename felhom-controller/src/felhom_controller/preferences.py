"""Notification preferences: synced to the hub (``POST /api/v1/preferences``) at start and
whenever they change in controller.yaml."""

import hashlib
import json
from pathlib import Path
from typing import Any

from felhom_controller.config import Settings
from felhom_controller.files import read_json, write_atomic


def payload(settings: Settings) -> dict[str, Any] | None:
    """The preferences body; None when no e-mail address is configured (nothing to sync)."""
    notifications = settings.notifications
    if not notifications.email:
        return None
    return {
        "customer_id": settings.identity.customer_id,
        "email": notifications.email,
        "enabled_events": sorted(set(notifications.enabled_events)),
        "cooldown_hours": notifications.cooldown_hours,
    }


class PreferencesSync:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / "preferences.json"

    def changed(self, body: dict[str, Any]) -> bool:
        return read_json(self.path, {}).get("digest") != _digest(body)

    def queued(self, body: dict[str, Any]) -> None:
        write_atomic(self.path, json.dumps({"digest": _digest(body)}).encode())


def _digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
