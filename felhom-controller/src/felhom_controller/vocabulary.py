"""The hub's event vocabulary as the controller needs it (kept equal to the hub's by a test)."""

from enum import StrEnum


class EventType(StrEnum):
    """The event types the hub accepts from a controller (its ``CONTROLLER_EVENT_TYPES``)."""

    CONTROLLER_STARTED = "controller_started"
    CONTROLLER_UPDATED = "controller_updated"
    CONTROLLER_UPDATE_FAILED = "controller_update_failed"
    CONFIG_APPLIED = "config_applied"
    CONFIG_APPLY_FAILED = "config_apply_failed"
    BACKUP_COMPLETED = "backup_completed"
    BACKUP_FAILED = "backup_failed"
    DBDUMP_COMPLETED = "dbdump_completed"
    DBDUMP_FAILED = "dbdump_failed"
    RESTORE_COMPLETED = "restore_completed"
    RESTORE_FAILED = "restore_failed"
    APP_DEPLOYED = "app_deployed"
    APP_UPDATED = "app_updated"
    APP_REMOVED = "app_removed"
    CONTAINER_STOPPED = "container_stopped"
    CONTAINER_UNHEALTHY = "container_unhealthy"
    CONTAINER_RESTARTED = "container_restarted"
    DISK_SPACE_LOW = "disk_space_low"
    DISK_HEALTH_WARNING = "disk_health_warning"
    DRIVE_MISSING = "drive_missing"
    MOUNT_FAILED = "mount_failed"
    CERT_EXPIRING = "cert_expiring"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


HUB_EVENT_TYPES = frozenset(
    {
        "node_stale",
        "node_down",
        "node_recovered",
        "expected_backup_missed",
        "expected_dbdump_missed",
    }
)
"""Types only the hub generates; a customer may still choose to be e-mailed about them."""

ALL_EVENT_TYPES = frozenset({t.value for t in EventType} | HUB_EVENT_TYPES)
