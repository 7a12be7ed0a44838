"""Demo nodes for the lab's felhom-hub: reports pushed like a controller's, beside the lab's
real controllers.

A few customers report every ``interval`` seconds with the global key from var/hub.yaml
(figures drift with time, one node runs warm, one has a failing backup), so the dashboard shows
live statuses, badges and growing history charts. The dashboard password is made per run and
handed to the hub as ``FELHOM_HUB_AUTH_PASSWORD_HASH``.
"""

import asyncio
import itertools
import math
import secrets
import time
from pathlib import Path
from typing import Any

import httpx

from felhom_hub.config import load_settings
from felhom_hub.secrets import hash_password

NODES = ("demo-berlin", "demo-paris", "demo-vienna")


def dashboard_password() -> tuple[str, dict[str, str]]:
    """A fresh password and the environment that makes the hub accept it."""
    password = secrets.token_urlsafe(12)
    return password, {"FELHOM_HUB_AUTH_PASSWORD_HASH": hash_password(password)}


def demo_report(customer_id: str, n: int, now: float) -> dict[str, Any]:
    wave = (math.sin(now / 600 + n) + 1) / 2  # a ten-minute-ish swing per node
    used = int((0.3 + 0.1 * n + 0.05 * wave) * (500 << 30))
    return {
        "customer_id": customer_id,
        "hostname": f"{customer_id}-node-1",
        "controller_version": "0.9.3",
        "health": "warn" if n == 1 else "ok",
        "system": {
            "cpu_percent": round(5 + 60 * wave * (n + 1) / len(NODES), 1),
            "load_average": [round(2 * wave, 2), 0.5, 0.4],
            "memory_total_bytes": 16 << 30,
            "memory_used_bytes": int((4 + 6 * wave) * (1 << 30)),
            "uptime_seconds": int(now) % 864000,
        },
        "storage": [
            {"mount_point": "/", "total_bytes": 500 << 30, "used_bytes": used},
            {"mount_point": "/srv/data", "total_bytes": 4 << 40, "used_bytes": (1 + n) << 40},
        ],
        "containers": [
            {"name": "nextcloud", "state": "running", "health": "healthy"},
            {"name": "postgres", "state": "running", "health": "healthy", "restart_count": n},
        ],
        "backups": [{"kind": "restic", "target": "hdd1", "status": "failed" if n == 2 else "ok"}],
    }


async def push_forever(config: Path, url: str, interval: float = 60.0) -> None:
    """Report for every demo node now and then every ``interval`` seconds; while the hub does
    not answer yet (it may still be starting), retry every second."""
    key = load_settings(config).api.report_api_key
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=10) as client:
        for round_ in itertools.count():
            delivered = await _push_round(client, round_)
            await asyncio.sleep(interval if delivered else 1.0)


async def _push_round(client: httpx.AsyncClient, round_: int) -> bool:
    try:
        for n, customer_id in enumerate(NODES):
            await client.post("/api/v1/report", json=demo_report(customer_id, n, time.time()))
            if n == 2 and round_ % 30 == 0:  # a failing backup, reported every half hour
                await client.post("/api/v1/event", json=_backup_failed(customer_id))
    except httpx.TransportError:
        return False
    return True


def _backup_failed(customer_id: str) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "event_type": "backup_failed",
        "severity": "warning",
        "message": "restic: repository hdd1 not reachable",
    }
