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


def observe(storage: list[dict[str, Any]], containers: list[dict[str, Any]]) -> dict[str, Any]:
    """The part of a collection that events are derived from (kept on disk between runs)."""
    return {
        "containers": {
            c["name"]: {k: c[k] for k in ("state", "health", "restart_count", "image")}
            for c in containers
        },
        "storage": {
            m["mount_point"]: {
                "used_percent": m.get("used_percent", 0.0),
                "missing": bool(m.get("missing")),
                "smart_status": m.get("smart_status"),
            }
            for m in storage
        },
    }


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


def derive(previous: dict[str, Any], current: dict[str, Any], rules: HealthRules) -> list[Event]:
    """One event per transition from ``previous`` to ``current`` observations."""
    events = []
    old_containers = previous.get("containers", {})
    for name, new in current["containers"].items():
        events += _container_events(name, old_containers.get(name), new)
    old_storage = previous.get("storage", {})
    for mount, new in current["storage"].items():
        events += _mount_events(mount, old_storage.get(mount), new, rules)
    return events
