"""The ok/warn/fail verdict and its reasons."""

from typing import Any

from felhom_controller.config import HealthRules
from felhom_controller.health import Finding, Health, judge, worst
from felhom_controller.report import Collection

RULES = HealthRules()


def mount(percent: float, missing: bool = False) -> dict[str, Any]:
    return {"mount_point": "/srv", "used_percent": percent, "missing": missing}


def findings(
    storage: list[dict[str, Any]] | None = None,
    containers: list[dict[str, Any]] | None = None,
    rules: HealthRules = RULES,
    **more: Any,
) -> list[Finding]:
    return judge(Collection({}, storage or [], containers or [], [], **more), rules)


def verdict(storage: list[dict[str, Any]], containers: list[dict[str, Any]]) -> Health:
    return worst(findings(storage, containers))


def test_mount_usage_thresholds() -> None:
    assert verdict([mount(89.9)], []) is Health.OK
    assert verdict([mount(90.0)], []) is Health.WARN
    assert verdict([mount(95.0)], []) is Health.FAIL
    assert verdict([mount(0, missing=True)], []) is Health.FAIL


def test_containers() -> None:
    sick = {"name": "a", "state": "running", "health": "unhealthy"}
    stopped_app = {"name": "b", "state": "exited", "health": "none", "project": "shop"}
    one_off = {"name": "c", "state": "exited", "health": "none", "project": None}
    assert verdict([], [sick]) is Health.WARN
    assert verdict([], [stopped_app]) is Health.WARN
    assert verdict([], [one_off]) is Health.OK
    strict = RULES.model_copy(update={"unhealthy_container": "fail"})
    assert worst(findings([], [sick], strict)) is Health.FAIL


def test_the_worst_finding_wins_and_each_has_a_reason() -> None:
    found = findings([mount(96)], problems=["engine unavailable"])
    assert worst(found) is Health.FAIL
    assert [f.reason for f in found] == ["/srv is 96% full", "engine unavailable"]


def test_failed_backups_and_expiring_certificates() -> None:
    failed = {"kind": "restic", "target": "main", "status": "failed", "error": "wrong password"}
    assert worst(findings(backups=[failed])) is Health.WARN
    assert worst(findings(backups=[{**failed, "status": "ok"}])) is Health.OK
    cert = {"file": "/c.pem", "days_left": 20}
    assert worst(findings(certificates=[cert])) is Health.OK
    assert worst(findings(certificates=[{**cert, "days_left": 13}])) is Health.WARN
    assert worst(findings(certificates=[{**cert, "days_left": -1}])) is Health.FAIL
