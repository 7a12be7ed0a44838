"""The report the hub stores: its ``Report`` schema, filled from one collection.

Fields beyond the hub's schema (``health_reasons``, ``problems``, ``spool``,
``certificates``, the storage ``used_percent`` and ``missing`` flags, the container
``project``, the backup ``error``/``snapshot_id``/``file``) are allowed by the hub and kept.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from felhom_controller import __version__
from felhom_controller.config import Settings
from felhom_controller.health import Finding, worst


@dataclass
class Collection:
    system: dict[str, Any]
    storage: list[dict[str, Any]]
    containers: list[dict[str, Any]]
    apps: list[dict[str, Any]]
    backups: list[dict[str, Any]] = field(default_factory=list)
    certificates: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    engine_ok: bool = True


def build_report(
    settings: Settings,
    collection: Collection,
    findings: list[Finding],
    now: datetime,
    spool: dict[str, int],
) -> dict[str, Any]:
    """The body of ``POST /api/v1/report``."""
    return {
        "customer_id": settings.identity.customer_id,
        "hostname": settings.identity.hostname,
        "controller_version": __version__,
        "controller_url": settings.api.public_url or None,
        "health": worst(findings).value,
        "health_reasons": [f"{f.health.value}: {f.reason}" for f in findings],
        "monitoring_paused": settings.monitoring.paused,
        "timestamp": now.isoformat(),
        "system": collection.system,
        "storage": collection.storage,
        "containers": collection.containers,
        "backups": collection.backups,
        "certificates": collection.certificates,
        "apps": collection.apps,
        "problems": collection.problems,
        "spool": spool,
    }
