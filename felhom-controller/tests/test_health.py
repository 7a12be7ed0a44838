"""The ok/warn/fail verdict and its reasons."""

from typing import Any

from felhom_controller.config import HealthRules
from felhom_controller.health import Health, judge, worst

RULES = HealthRules()


def mount(percent: float, missing: bool = False) -> dict[str, Any]:
    return {"mount_point": "/srv", "used_percent": percent, "missing": missing}


def verdict(storage: list[dict[str, Any]], containers: list[dict[str, Any]]) -> Health:
    return worst(judge(storage, containers, [], RULES))


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
    assert worst(judge([], [sick], [], strict)) is Health.FAIL


def test_the_worst_finding_wins_and_each_has_a_reason() -> None:
    findings = judge([mount(96)], [], ["engine unavailable"], RULES)
    assert worst(findings) is Health.FAIL
    assert [f.reason for f in findings] == ["/srv is 96% full", "engine unavailable"]
