"""The controller's own verdict (ok/warn/fail) from one collection, by documented rules.

Rules (thresholds from the ``health`` section of controller.yaml):

- a mount at or above ``mount_fail_percent`` (95) → fail; at or above ``mount_warn_percent``
  (90) → warn; a configured mount that is not mounted → fail;
- an unhealthy container → ``unhealthy_container`` (warn);
- a stopped (exited or dead) container that belongs to a compose project →
  ``stopped_container`` (warn); one-off containers outside a project do not count;
- a backup (restic repository or dump directory) whose status is ``failed`` — its newest
  snapshot or dump is older than ``backup.max_age_hours`` (26), or it cannot be read →
  ``failed_backup`` (warn);
- a certificate that has expired → fail; one expiring within ``cert_warn_days`` (14) → warn;
- a source that could not be read (the Engine API) → warn.

The verdict is the worst of all findings; each finding carries the reason shown in the report.
"""

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any, Protocol

from felhom_controller.config import HealthRules


class Collected(Protocol):
    storage: list[dict[str, Any]]
    containers: list[dict[str, Any]]
    backups: list[dict[str, Any]]
    certificates: list[dict[str, Any]]
    problems: list[str]


class Health(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


class _Rank(IntEnum):
    ok = 0
    warn = 1
    fail = 2


@dataclass(frozen=True, slots=True)
class Finding:
    health: Health
    reason: str


def worst(findings: list[Finding]) -> Health:
    if not findings:
        return Health.OK
    return Health(max(findings, key=lambda f: _Rank[f.health.value]).health)


def _storage(storage: list[dict[str, Any]], rules: HealthRules) -> list[Finding]:
    found = []
    for mount in storage:
        name = mount["mount_point"]
        if mount.get("missing"):
            found.append(Finding(Health.FAIL, f"{name} is not mounted"))
            continue
        percent = float(mount.get("used_percent", 0.0))
        if percent >= rules.mount_fail_percent:
            found.append(Finding(Health.FAIL, f"{name} is {percent:.0f}% full"))
        elif percent >= rules.mount_warn_percent:
            found.append(Finding(Health.WARN, f"{name} is {percent:.0f}% full"))
    return found


def _containers(containers: list[dict[str, Any]], rules: HealthRules) -> list[Finding]:
    found = []
    for container in containers:
        name = container["name"]
        if container["health"] == "unhealthy":
            found.append(Finding(Health(rules.unhealthy_container), f"{name} is unhealthy"))
        if container["state"] in ("exited", "dead") and container.get("project"):
            found.append(Finding(Health(rules.stopped_container), f"{name} is stopped"))
    return found


def _backups(backups: list[dict[str, Any]], rules: HealthRules) -> list[Finding]:
    found = []
    for backup in backups:
        if backup["status"] == "failed":
            why = backup.get("error") or f"last success {backup.get('last_success_at')}"
            reason = f"{backup['kind']} backup {backup['target']} failed ({why})"
            found.append(Finding(Health(rules.failed_backup), reason))
    return found


def _certificates(certificates: list[dict[str, Any]], rules: HealthRules) -> list[Finding]:
    found = []
    for cert in certificates:
        days = cert.get("days_left")
        if days is None:
            found.append(Finding(Health.WARN, f"certificate {cert['file']} is unreadable"))
        elif days < 0:
            found.append(Finding(Health.FAIL, f"certificate {cert['file']} has expired"))
        elif days < rules.cert_warn_days:
            found.append(Finding(Health.WARN, f"certificate {cert['file']} expires in {days}d"))
    return found


def judge(collection: Collected, rules: HealthRules) -> list[Finding]:
    """Every finding from one collection (empty when everything is fine)."""
    findings = _storage(collection.storage, rules) + _containers(collection.containers, rules)
    findings += _backups(collection.backups, rules)
    findings += _certificates(collection.certificates, rules)
    findings += [Finding(Health.WARN, problem) for problem in collection.problems]
    return [f for f in findings if f.health is not Health.OK]
