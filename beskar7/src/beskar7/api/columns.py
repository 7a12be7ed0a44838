"""Table columns per kind: the CLI's `get` output and the CRDs' additionalPrinterColumns.

JSON paths are the simple kind printer columns use: `.a.b`, escaped dots in keys
(`.metadata.labels.cluster\\.x-k8s\\.io/cluster-name`), `[0]` and `['key']`.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from beskar7.api.kinds import (
    BESKAR7_CLUSTER,
    BESKAR7_MACHINE,
    CLUSTER,
    EVENT,
    MACHINE,
    PHYSICAL_HOST,
    SECRET,
    Kind,
    Obj,
)

ColumnType = Literal["string", "integer", "number", "boolean", "date"]


class JSONPathError(ValueError):
    pass


def parse_json_path(path: str) -> list[str | int]:
    """`.a.b\\.c[0]['d']` -> ["a", "b.c", 0, "d"]."""
    parts: list[str | int] = []
    current: str | None = None
    i = 0
    while i < len(path):
        char = path[i]
        if char == "\\" and i + 1 < len(path):
            current = (current or "") + path[i + 1]
            i += 2
            continue
        if char in ".[":
            if current is not None:
                parts.append(current)
            current = None
            if char == "[":
                end = path.find("]", i)
                if end < 0:
                    raise JSONPathError(f"unclosed '[' in {path}")
                inner = path[i + 1 : end].strip()
                parts.append(int(inner) if inner.isdigit() else inner.strip("'\""))
                i = end
        else:
            current = (current or "") + char
        i += 1
    if current is not None:
        parts.append(current)
    return parts


def lookup(obj: Any, path: str) -> Any:
    """The value at a printer-column JSON path, or None when any step is missing."""
    value = obj
    for part in parse_json_path(path):
        if isinstance(part, int) and isinstance(value, list) and part < len(value):
            value = value[part]
        elif isinstance(part, str) and isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def human_duration(delta: timedelta) -> str:
    """An age the way kubectl prints it: 45s, 5m30s, 12m, 3h10m, 20h, 5d3h, 40d, 2y10d."""
    seconds = int(delta.total_seconds())
    if seconds < -1:
        return "<invalid>"
    seconds = max(seconds, 0)
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    steps = (
        (seconds < 120, f"{seconds}s", ""),
        (minutes < 10, f"{minutes}m", f"{seconds % 60}s"),
        (hours < 3, f"{minutes}m", ""),
        (hours < 8, f"{hours}h", f"{minutes % 60}m"),
        (hours < 48, f"{hours}h", ""),
        (hours < 24 * 8, f"{days}d", f"{hours % 24}h"),
        (days < 365 * 2, f"{days}d", ""),
        (days < 365 * 8, f"{days // 365}y", f"{days % 365}d"),
    )
    for applies, head, tail in steps:
        if applies:
            return head if tail in ("", "0s", "0m", "0h", "0d") else head + tail
    return f"{days // 365}y"


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Column:
    name: str
    json_path: str
    type: ColumnType = "string"
    description: str = ""
    count: bool = False
    """Show how many entries the value has (e.g. a Secret's data keys)."""

    def value(self, obj: Obj, now: datetime) -> str:
        found = lookup(obj, self.json_path)
        if self.count:
            return str(len(found)) if isinstance(found, dict | list) else "0"
        if found is None:
            return ""
        if self.type == "date":
            stamp = _parse_time(found)
            return human_duration(now - stamp) if stamp else str(found)
        if isinstance(found, bool):
            return "true" if found else "false"
        if isinstance(found, dict | list):
            return json.dumps(found, separators=(",", ":"), sort_keys=True)
        return str(found)


AGE = Column("Age", ".metadata.creationTimestamp", "date", "Time since creation")
CLUSTER_LABEL_PATH = ".metadata.labels.cluster\\.x-k8s\\.io/cluster-name"

_COLUMNS: dict[str, list[Column]] = {
    PHYSICAL_HOST.key: [
        Column("State", ".status.state", description="Provisioning state of the host"),
        Column("Ready", ".status.ready", description="Whether the BMC is reachable"),
        AGE,
    ],
    BESKAR7_MACHINE.key: [
        Column("Cluster", CLUSTER_LABEL_PATH, description="Cluster this machine belongs to"),
        Column(
            "Machine",
            ".metadata.labels.cluster\\.x-k8s\\.io/machine-name",
            description="Machine this Beskar7Machine belongs to",
        ),
        Column("Phase", ".status.phase", description="Provisioning phase"),
        AGE,
    ],
    BESKAR7_CLUSTER.key: [
        Column("Cluster", CLUSTER_LABEL_PATH, description="Cluster this belongs to"),
        Column("Ready", ".status.ready", description="Whether the infrastructure is ready"),
        Column("Endpoint", ".spec.controlPlaneEndpoint.host", description="Control plane host"),
        AGE,
    ],
    SECRET.key: [Column("Type", ".type"), Column("Data", ".data", "integer", count=True), AGE],
    CLUSTER.key: [Column("Phase", ".status.phase"), AGE],
    MACHINE.key: [
        Column("Cluster", ".spec.clusterName"),
        Column("ProviderID", ".spec.providerID"),
        Column("Phase", ".status.phase"),
        AGE,
    ],
    EVENT.key: [
        Column("Type", ".type"),
        Column("Reason", ".reason"),
        Column("Message", ".message"),
    ],
}


def columns(kind: Kind) -> list[Column]:
    """The columns of a table of `kind` objects (a name column is the caller's)."""
    return list(_COLUMNS.get(kind.key, [AGE]))
