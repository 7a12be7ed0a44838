"""The numbers people chart and alert on, taken from one report: a pure function.

A report is ~3 KB of JSON; a sample is the dozen figures the history charts and the alerting
read (CPU, load, memory, swap, each mount's fill, containers by state and health, backup ages,
health). Samples are what the hub keeps for months; whole reports only for ``raw_days``.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

from felhom_hub.api.report_schema import Report
from felhom_hub.status import Health

PERCENT_CAP = 1000.0
MAX_MOUNTS = 16  # the fullest mounts kept per sample; more would bloat every series row


class HealthLevel(IntEnum):
    """Health as an ordered number, so a bucket can keep its worst."""

    OK = 0
    WARN = 1
    FAIL = 2

    @classmethod
    def of(cls, health: Health) -> "HealthLevel":
        return {Health.OK: cls.OK, Health.WARN: cls.WARN, Health.FAIL: cls.FAIL}[health]


@dataclass(frozen=True, slots=True)
class Sample:
    """One report's figures; ``None`` where the controller did not send the value."""

    health: HealthLevel
    cpu_percent: float | None
    load1: float | None
    memory_used_bytes: int | None
    memory_total_bytes: int | None
    swap_used_bytes: int | None
    swap_total_bytes: int | None
    disks: dict[str, float]  # mount point -> used percent (one decimal)
    containers_total: int
    containers_running: int
    containers_unhealthy: int
    restic_age_seconds: int | None  # the oldest successful restic backup's age
    dbdump_age_seconds: int | None

    @property
    def disk_percent_max(self) -> float | None:
        return max(self.disks.values()) if self.disks else None


def _disks(report: Report) -> dict[str, float]:
    # A controller may report more used than total; past 10x the figure means nothing, and
    # capping it keeps every stored number inside SQLite's integers.
    filled = {
        fs.mount_point: min(round(100.0 * fs.used_bytes / fs.total_bytes, 1), PERCENT_CAP)
        for fs in report.storage
        if fs.total_bytes > 0
    }
    fullest = sorted(filled.items(), key=lambda item: (-item[1], item[0]))[:MAX_MOUNTS]
    return dict(sorted(fullest))


def _oldest_backup_age(report: Report, kind: str, now: datetime) -> int | None:
    ages = [
        max(0, int((now - run.last_success_at).total_seconds()))
        for run in report.backups
        if run.kind == kind and run.last_success_at is not None
    ]
    return max(ages) if ages else None


def sample_of(report: Report, *, now: datetime) -> Sample:
    system, containers = report.system, report.containers
    load = system.load_average
    return Sample(
        health=HealthLevel.of(report.health),
        cpu_percent=system.cpu_percent,
        load1=load[0] if load else None,
        memory_used_bytes=system.memory_used_bytes,
        memory_total_bytes=system.memory_total_bytes,
        swap_used_bytes=system.swap_used_bytes,
        swap_total_bytes=system.swap_total_bytes,
        disks=_disks(report),
        containers_total=len(containers),
        containers_running=sum(1 for c in containers if c.state == "running"),
        containers_unhealthy=sum(1 for c in containers if c.health == "unhealthy"),
        restic_age_seconds=_oldest_backup_age(report, "restic", now),
        dbdump_age_seconds=_oldest_backup_age(report, "dbdump", now),
    )
