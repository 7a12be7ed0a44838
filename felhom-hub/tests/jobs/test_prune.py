from datetime import timedelta

import pytest

from felhom_hub.config import RetentionSettings
from felhom_hub.jobs import prune as prune_job
from felhom_hub.store import Database, events, infra_backups, reports
from tests.conftest import START, store_report


def fill(db: Database, *, days_old: int, count: int, customer_id: str = "a") -> None:
    at = START - timedelta(days=days_old)
    for _ in range(count):
        store_report(db, customer_id, at)
    with db.write() as conn:
        for _ in range(count):
            events.add(
                conn,
                customer_id=customer_id,
                event_type="backup_completed",
                severity="info",
                message="m",
                details_json="{}",
                source="controller",
                occurred_at=None,
                received_at=at,
            )


def test_prune_drains_everything_past_retention_in_batches(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(prune_job, "BATCH", 7)  # several run_once passes
    fill(db, days_old=120, count=20)
    fill(db, days_old=10, count=3)
    result = prune_job.prune(db, now=START, retention=RetentionSettings(max_days=90))
    assert (result.reports, result.events) == (20, 20)
    with db.read() as conn:
        assert reports.count(conn) == 3
        assert events.count(conn) == 3


def test_run_once_returns_zero_when_nothing_is_due(db: Database) -> None:
    fill(db, days_old=1, count=2)
    assert prune_job.run_once(db, now=START, retention=RetentionSettings()).total == 0


def test_retention_setting_decides_the_cutoff(db: Database) -> None:
    fill(db, days_old=8, count=2)
    fill(db, days_old=1, count=1)
    assert prune_job.prune(db, now=START, retention=RetentionSettings(max_days=30)).total == 0
    result = prune_job.prune(db, now=START, retention=RetentionSettings(max_days=7))
    assert (result.reports, result.events) == (2, 2)


def test_a_quiet_customers_last_report_survives(db: Database) -> None:
    fill(db, days_old=400, count=3, customer_id="quiet")
    prune_job.prune(db, now=START, retention=RetentionSettings(max_days=90))
    with db.read() as conn:
        assert reports.count(conn, customer_id="quiet") == 1
        assert events.count(conn) == 0


def test_infra_backups_are_trimmed_by_count_not_age(db: Database) -> None:
    with db.write() as conn:
        for i in range(4):
            infra_backups.add(
                conn, customer_id="a", received_at=START - timedelta(days=500 + i), body="{}"
            )
    result = prune_job.prune(
        db, now=START, retention=RetentionSettings(max_days=90, infra_backup_versions=3)
    )
    assert result.infra_backups == 1
    with db.read() as conn:
        assert infra_backups.count(conn, customer_id="a") == 3
