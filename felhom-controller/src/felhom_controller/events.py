"""Events: the controller's part of the hub's vocabulary, and the ones derived from one
collection to the next.

:func:`derive` is pure: it compares the previous observations with the current ones and
returns one event per transition into a bad condition (a container that stops, turns unhealthy
or restarts; a mount that crosses a usage threshold or disappears; a disk whose SMART verdict
turns bad). Something seen for the first time is compared with the good state, so a node that
starts with a stopped container says so once; the caller keeps the observations on disk, so a
restart of the controller does not repeat an event.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from felhom_controller.config import HealthRules
from felhom_controller.health import Collected
from felhom_controller.vocabulary import EventType, Severity


@dataclass(frozen=True, slots=True)
class Event:
    event_type: EventType
    severity: Severity
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def payload(self, customer_id: str, now: datetime) -> dict[str, Any]:
        """The body of ``POST /api/v1/event``."""
        return {
            "customer_id": customer_id,
            "event_type": self.event_type.value,
            "severity": self.severity.value,
            "message": self.message[:4000],
            "details_json": self.details,
            "source": "controller",
            "occurred_at": now.isoformat(),
        }


def observe(collection: Collected) -> dict[str, Any]:
    """The part of a collection that events are derived from (kept on disk between runs)."""
    return {
        "containers": {
            c["name"]: {k: c[k] for k in ("state", "health", "restart_count", "image")}
            for c in collection.containers
        },
        "storage": {
            m["mount_point"]: {
                "used_percent": m.get("used_percent", 0.0),
                "missing": bool(m.get("missing")),
                "smart_status": m.get("smart_status"),
            }
            for m in collection.storage
        },
        "backups": {
            f"{b['kind']}:{b['target']}": {
                "status": b["status"],
                "last_success_at": b.get("last_success_at"),
                "error": b.get("error"),
            }
            for b in collection.backups
        },
        "certificates": {
            c["file"]: {"days_left": c.get("days_left")} for c in collection.certificates
        },
        "drives": {m["uuid"]: m["mount_point"] for m in collection.storage if m.get("uuid")},
        "apps": _app_images(collection.containers),
    }


def _app_images(containers: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Compose project → the sorted images of its containers."""
    apps: dict[str, set[str]] = {}
    for container in containers:
        if container.get("project"):
            apps.setdefault(container["project"], set()).add(str(container.get("image")))
    return {name: sorted(images) for name, images in apps.items()}


_STOPPED = ("exited", "dead")
_BAD_SMART = ("warning", "failed")


def _container_events(name: str, old: dict[str, Any] | None, new: dict[str, Any]) -> list[Event]:
    events = []
    details = {"container": name, "image": new.get("image")}
    was_stopped = old is not None and old["state"] in _STOPPED
    if new["state"] in _STOPPED and not was_stopped:
        message = f"container {name} stopped ({new['state']})"
        events.append(Event(EventType.CONTAINER_STOPPED, Severity.WARNING, message, details))
    was_unhealthy = old is not None and old["health"] == "unhealthy"
    if new["health"] == "unhealthy" and not was_unhealthy:
        message = f"container {name} is unhealthy"
        events.append(Event(EventType.CONTAINER_UNHEALTHY, Severity.WARNING, message, details))
    if old is not None and new["restart_count"] > old["restart_count"]:
        times = new["restart_count"] - old["restart_count"]
        message = f"container {name} restarted {times} time(s)"
        more = {**details, "restart_count": new["restart_count"], "restarts": times}
        events.append(Event(EventType.CONTAINER_RESTARTED, Severity.WARNING, message, more))
    return events


def _level(percent: float, rules: HealthRules) -> int:
    if percent >= rules.mount_fail_percent:
        return 2
    return 1 if percent >= rules.mount_warn_percent else 0


def _mount_events(
    mount: str, old: dict[str, Any] | None, new: dict[str, Any], rules: HealthRules
) -> list[Event]:
    events = []
    details: dict[str, Any] = {"mount_point": mount}
    if new["missing"]:
        if old is None or not old["missing"]:
            message = f"{mount} is not mounted"
            events.append(Event(EventType.MOUNT_FAILED, Severity.ERROR, message, details))
        return events
    level = _level(new["used_percent"], rules)
    old_level = 0 if old is None or old["missing"] else _level(old["used_percent"], rules)
    if level > old_level:
        severity = Severity.ERROR if level == 2 else Severity.WARNING
        message = f"{mount} is {new['used_percent']:.0f}% full"
        more = {**details, "used_percent": new["used_percent"]}
        events.append(Event(EventType.DISK_SPACE_LOW, severity, message, more))
    was_bad = old is not None and old.get("smart_status") in _BAD_SMART
    if new.get("smart_status") in _BAD_SMART and not was_bad:
        message = f"the disk behind {mount} reports SMART {new['smart_status']}"
        more = {**details, "smart_status": new["smart_status"]}
        events.append(Event(EventType.DISK_HEALTH_WARNING, Severity.WARNING, message, more))
    return events


_BACKUP_EVENTS = {
    "restic": (EventType.BACKUP_COMPLETED, EventType.BACKUP_FAILED),
    "dbdump": (EventType.DBDUMP_COMPLETED, EventType.DBDUMP_FAILED),
}


def _backup_events(key: str, old: dict[str, Any] | None, new: dict[str, Any]) -> list[Event]:
    kind, _, target = key.partition(":")
    completed, failed = _BACKUP_EVENTS[kind]
    details = {"target": target, "last_success_at": new["last_success_at"]}
    events = []
    succeeded = new["last_success_at"]
    if old is not None and succeeded and succeeded != old["last_success_at"]:
        message = f"{kind} backup {target} completed at {new['last_success_at']}"
        events.append(Event(completed, Severity.INFO, message, details))
    was_failed = old is not None and old["status"] == "failed"
    if new["status"] == "failed" and not was_failed:
        why = new.get("error") or f"no success since {new['last_success_at']}"
        message = f"{kind} backup {target} failed: {why}"
        events.append(Event(failed, Severity.ERROR, message, {**details, "error": why}))
    return events


def _cert_events(path: str, old: dict[str, Any] | None, new: dict[str, Any], warn: int) -> Any:
    days, old_days = new["days_left"], (old or {}).get("days_left")
    if days is None or days >= warn or (old_days is not None and old_days < warn):
        return []
    severity = Severity.ERROR if days < 0 else Severity.WARNING
    message = f"certificate {path} {'has expired' if days < 0 else f'expires in {days} days'}"
    return [Event(EventType.CERT_EXPIRING, severity, message, {"file": path, "days_left": days})]


def _drive_events(previous: dict[str, Any], current: dict[str, Any]) -> list[Event]:
    """A filesystem UUID seen before that is gone now (the first observation is a baseline)."""
    if "drives" not in previous:
        return []
    gone = sorted(set(previous["drives"]) - set(current.get("drives", {})))
    return [
        Event(
            EventType.DRIVE_MISSING,
            Severity.ERROR,
            f"the drive with UUID {uuid} (was {previous['drives'][uuid]}) is gone",
            {"uuid": uuid, "mount_point": previous["drives"][uuid]},
        )
        for uuid in gone
    ]


def _app_events(previous: dict[str, Any], current: dict[str, Any]) -> list[Event]:
    """Compose projects that appear, change images or disappear (first observation: baseline)."""
    if "apps" not in previous:
        return []
    old, new = previous["apps"], current.get("apps", {})
    events = []
    for name in sorted(set(old) | set(new)):
        details = {"app": name, "images": new.get(name, old.get(name))}
        if name not in old:
            events.append(Event(EventType.APP_DEPLOYED, Severity.INFO, f"{name} deployed", details))
        elif name not in new:
            events.append(Event(EventType.APP_REMOVED, Severity.INFO, f"{name} removed", details))
        elif old[name] != new[name]:
            message = f"{name} updated to {', '.join(new[name])}"
            events.append(Event(EventType.APP_UPDATED, Severity.INFO, message, details))
    return events


def derive(previous: dict[str, Any], current: dict[str, Any], rules: HealthRules) -> list[Event]:
    """One event per transition from ``previous`` to ``current`` observations."""
    events = []
    old_containers = previous.get("containers", {})
    for name, new in current["containers"].items():
        events += _container_events(name, old_containers.get(name), new)
    old_storage = previous.get("storage", {})
    for mount, new in current["storage"].items():
        events += _mount_events(mount, old_storage.get(mount), new, rules)
    old_backups = previous.get("backups", {})
    for key, new in current.get("backups", {}).items():
        events += _backup_events(key, old_backups.get(key), new)
    old_certs = previous.get("certificates", {})
    for path, new in current.get("certificates", {}).items():
        events += _cert_events(path, old_certs.get(path), new, rules.cert_warn_days)
    return events + _drive_events(previous, current) + _app_events(previous, current)
