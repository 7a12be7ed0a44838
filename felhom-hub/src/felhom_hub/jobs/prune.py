"""Retention, in small batches so that no write transaction holds the lock for long.

- raw reports (and the compression dictionaries no kept report uses): ``retention.raw_days``;
- series: 15-minute buckets ``raw_days``, hourly ``hourly_days``, daily ``max_days`` (each
  capped at ``max_days``);
- events: ``max_days``;
- infrastructure backups by count (``infra_backup_versions``), never by age; trimmed on every
  push already, so this only catches a lowered setting.

A customer's latest report lives in ``fleet`` and is never pruned.

The daily run (``scheduled``) first takes its day's slot in ``job_runs``, so it runs once a day
across restarts and hub processes, whatever their clocks (besides the job's lease).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from felhom_hub.config import RetentionSettings
from felhom_hub.history import Resolution
from felhom_hub.jobs.schedule import HUB_TZ
from felhom_hub.store import Database, events, fleet, infra_backups, job_runs, reports, series

JOB = "prune"

BATCH = 500  # rows per transaction: a few milliseconds of lock
CUSTOMERS_PER_BATCH = 50
MAX_BATCHES = 1_000_000  # a bound on the drain loop, far above any real backlog


@dataclass(frozen=True, slots=True)
class PruneResult:
    reports: int = 0
    series: int = 0
    events: int = 0
    infra_backups: int = 0

    def __add__(self, other: "PruneResult") -> "PruneResult":
        return PruneResult(
            self.reports + other.reports,
            self.series + other.series,
            self.events + other.events,
            self.infra_backups + other.infra_backups,
        )

    @property
    def total(self) -> int:
        return self.reports + self.series + self.events + self.infra_backups


def _kept(resolution: Resolution, retention: RetentionSettings) -> timedelta:
    return min(resolution.kept(retention), timedelta(days=retention.max_days))


def run_once(db: Database, *, now: datetime, retention: RetentionSettings) -> PruneResult:
    """One batch of raw reports and one of events; nonzero total = call again."""
    raw_cutoff = now - _kept(Resolution.MIN15, retention)
    with db.write() as conn:
        return PruneResult(
            reports=reports.prune(conn, older_than=raw_cutoff, batch=BATCH),
            events=events.prune(
                conn, older_than=now - timedelta(days=retention.max_days), batch=BATCH
            ),
        )


def per_customer(db: Database, *, now: datetime, retention: RetentionSettings) -> PruneResult:
    """Walk the fleet a few customers per transaction: expired buckets, surplus backups."""
    total, after = PruneResult(), None
    for _ in range(MAX_BATCHES):
        with db.read() as conn:
            ids = fleet.customer_ids(conn, after=after, limit=CUSTOMERS_PER_BATCH)
        if not ids:
            break
        with db.write() as conn:
            buckets = sum(
                series.prune(
                    conn,
                    customer_ids=ids,
                    resolution=resolution,
                    older_than=now - _kept(resolution, retention),
                )
                for resolution in Resolution
            )
            keep = retention.infra_backup_versions
            backups = sum(infra_backups.trim(conn, customer_id=c, keep=keep) for c in ids)
        total += PruneResult(series=buckets, infra_backups=backups)
        after = ids[-1]
    return total


def prune(db: Database, *, now: datetime, retention: RetentionSettings) -> PruneResult:
    """Drain everything past retention."""
    total = PruneResult()
    for _ in range(MAX_BATCHES):
        step = run_once(db, now=now, retention=retention)
        total += step
        if not step.total:
            break
    return total + per_customer(db, now=now, retention=retention)


def scheduled(db: Database, *, now: datetime, retention: RetentionSettings) -> PruneResult | None:
    """The daily prune, if this process takes today's slot (Budapest date); else None."""
    with db.write() as conn:
        label = now.astimezone(HUB_TZ).date().isoformat()
        if not job_runs.take(conn, job=JOB, slot=label, now=now):
            return None
    return prune(db, now=now, retention=retention)
