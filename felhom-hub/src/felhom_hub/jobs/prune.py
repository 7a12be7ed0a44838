"""Retention: drop reports and events older than ``retention.max_days``.

A customer's newest report is kept whatever its age (the fleet view and restore need it), and
infrastructure backups are trimmed by count, never by age.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from felhom_hub.config import RetentionSettings
from felhom_hub.store import Database, events, infra_backups, reports

BATCH = 2000


@dataclass(frozen=True, slots=True)
class PruneResult:
    reports: int = 0
    events: int = 0
    infra_backups: int = 0

    def __add__(self, other: "PruneResult") -> "PruneResult":
        return PruneResult(
            self.reports + other.reports,
            self.events + other.events,
            self.infra_backups + other.infra_backups,
        )

    @property
    def total(self) -> int:
        return self.reports + self.events + self.infra_backups


def run_once(db: Database, *, now: datetime, retention: RetentionSettings) -> PruneResult:
    """Delete one batch of each kind in one short write transaction; nonzero total = call again."""
    cutoff = now - timedelta(days=retention.max_days)
    with db.write() as conn:
        return PruneResult(
            reports=reports.prune(conn, older_than=cutoff, batch=BATCH),
            events=events.prune(conn, older_than=cutoff, batch=BATCH),
            infra_backups=infra_backups.prune(conn, keep=retention.infra_backup_versions),
        )


def prune(db: Database, *, now: datetime, retention: RetentionSettings) -> PruneResult:
    """Drain ``run_once`` until nothing is left to delete."""
    total = PruneResult()
    while (step := run_once(db, now=now, retention=retention)).total:
        total += step
    return total
