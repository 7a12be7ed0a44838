"""Event derivation: one event per transition into a bad condition, none on repeats."""

from datetime import UTC, datetime
from typing import Any

from felhom_controller.config import HealthRules
from felhom_controller.events import Event, derive
from felhom_controller.events import observe as observed
from felhom_controller.report import Collection
from felhom_controller.vocabulary import ALL_EVENT_TYPES, EventType, Severity
from felhom_hub.api.payloads import EventIn
from felhom_hub.events import CONTROLLER_EVENT_TYPES
from felhom_hub.events import EventType as HubEventType

RULES = HealthRules()


def container(name: str, state: str = "running", health: str = "none", restarts: int = 0) -> Any:
    return {"name": name, "state": state, "health": health, "restart_count": restarts, "image": "i"}


def mount(path: str, percent: float = 10.0, missing: bool = False) -> dict[str, Any]:
    return {"mount_point": path, "used_percent": percent, "missing": missing}


def observe(storage: list[dict[str, Any]], containers: list[dict[str, Any]]) -> dict[str, Any]:
    return observed(Collection({}, storage, containers, []))


def types(previous: dict[str, Any], current: dict[str, Any]) -> list[str]:
    return [e.event_type.value for e in derive(previous, current, RULES)]


def test_the_vocabulary_is_exactly_the_hubs_controller_types() -> None:
    assert {t.value for t in EventType} == {t.value for t in CONTROLLER_EVENT_TYPES}
    # notify_relay is how the hub stores a legacy /notify call, not an event anyone sends.
    assert {t.value for t in HubEventType} - {"notify_relay"} == ALL_EVENT_TYPES


def test_payloads_are_accepted_by_the_hubs_event_model() -> None:
    event = Event(EventType.DISK_SPACE_LOW, Severity.WARNING, "full", {"mount_point": "/"})
    EventIn.model_validate(event.payload("acme", datetime.now(UTC)))


def test_container_transitions_each_give_one_event() -> None:
    before = observe([], [container("a"), container("b"), container("c", restarts=1)])
    after = observe(
        [],
        [container("a", "exited"), container("b", health="unhealthy"), container("c", restarts=3)],
    )
    assert types(before, after) == [
        "container_stopped",
        "container_unhealthy",
        "container_restarted",
    ]
    assert types(after, after) == []
    restarted = derive(before, after, RULES)[2]
    assert restarted.details["restarts"] == 2


def test_something_first_seen_in_a_bad_state_is_reported_once() -> None:
    current = observe([mount("/srv", missing=True)], [container("a", "exited")])
    assert types({}, current) == ["container_stopped", "mount_failed"]
    assert types(current, current) == []


def test_a_restart_count_seen_for_the_first_time_is_a_baseline() -> None:
    assert types({}, observe([], [container("a", restarts=7)])) == []


def test_disk_space_events_follow_the_thresholds_upward_only() -> None:
    ok, warn, fail = (observe([mount("/", p)], []) for p in (50.0, 91.0, 96.0))
    assert types(ok, warn) == ["disk_space_low"]
    escalated = derive(warn, fail, RULES)
    assert [(e.event_type.value, e.severity.value) for e in escalated] == [
        ("disk_space_low", "error")
    ]
    assert types(fail, warn) == []
    assert types(warn, ok) == []
    assert types(ok, fail) == ["disk_space_low"]


def test_a_smart_verdict_turning_bad_is_a_disk_health_warning() -> None:
    good = observe([{**mount("/"), "smart_status": "passed"}], [])
    bad = observe([{**mount("/"), "smart_status": "failed"}], [])
    assert types(good, bad) == ["disk_health_warning"]
    assert types(bad, bad) == []


def backup(status: str, last: str | None, error: str | None = None) -> dict[str, Any]:
    entry = {"kind": "restic", "target": "main", "status": status, "last_success_at": last}
    return {**entry, "error": error} if error else entry


def with_backup(*entries: dict[str, Any]) -> dict[str, Any]:
    return observed(Collection({}, [], [], [], backups=list(entries)))


def test_backups_complete_on_a_new_snapshot_and_fail_once() -> None:
    first = with_backup(backup("ok", "2026-12-05T01:00:00+00:00"))
    newer = with_backup(backup("ok", "2026-12-06T01:00:00+00:00"))
    broken = with_backup(backup("failed", "2026-12-06T01:00:00+00:00", "wrong password"))
    assert types({}, first) == []  # a first sighting is a baseline
    assert types(first, newer) == ["backup_completed"]
    assert types(newer, newer) == []
    assert types(newer, broken) == ["backup_failed"]
    assert types(broken, broken) == []
    assert "wrong password" in derive(newer, broken, RULES)[0].message


def test_dump_events_use_their_own_types() -> None:
    old = observed(Collection({}, [], [], [], backups=[{**backup("ok", "a"), "kind": "dbdump"}]))
    new = observed(
        Collection({}, [], [], [], backups=[{**backup("failed", "a"), "kind": "dbdump"}])
    )
    assert types(old, new) == ["dbdump_failed"]


def test_a_certificate_entering_the_warning_window_is_reported_once() -> None:
    def certs(days: int) -> dict[str, Any]:
        entry = {"file": "/etc/ssl/site.pem", "days_left": days}
        return observed(Collection({}, [], [], [], certificates=[entry]))

    assert types(certs(30), certs(13)) == ["cert_expiring"]
    assert types(certs(13), certs(5)) == []
    assert types({}, certs(-1)) == ["cert_expiring"]


def test_a_drive_that_disappears_is_missing_once() -> None:
    both = observe([{**mount("/"), "uuid": "u-1"}, {**mount("/srv"), "uuid": "u-2"}], [])
    one = observe([{**mount("/"), "uuid": "u-1"}], [])
    assert types({}, one) == []  # the first observation is a baseline
    (event,) = derive(both, one, RULES)
    assert (event.event_type.value, event.details) == (
        "drive_missing",
        {"uuid": "u-2", "mount_point": "/srv"},
    )
    assert types(one, one) == []


def test_compose_projects_deployed_updated_removed() -> None:
    def app(name: str, image: str) -> dict[str, Any]:
        return {**container(f"{name}-1"), "project": name, "image": image}

    start = observe([], [app("shop", "shop:1")])
    assert types({}, start) == []
    grown = observe([], [app("shop", "shop:1"), app("blog", "blog:1")])
    assert types(start, grown) == ["app_deployed"]
    updated = observe([], [app("shop", "shop:2"), app("blog", "blog:1")])
    assert types(grown, updated) == ["app_updated"]
    assert types(updated, observe([], [app("shop", "shop:2")])) == ["app_removed"]
