from datetime import timedelta

import pytest

from felhom_hub.api.report_schema import Report
from felhom_hub.config import RetentionSettings
from felhom_hub.history import Resolution
from felhom_hub.jobs import prune as prune_job
from felhom_hub.samples import sample_of
from felhom_hub.store import Database, events, fleet, infra_backups, reports, series
from tests.conftest import START, report_body, sibling, store_report


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
    fill(db, days_old=3, count=3)
    result = prune_job.prune(db, now=START, retention=RetentionSettings(max_days=90))
    assert (result.reports, result.events) == (20, 20)
    with db.read() as conn:
        assert reports.count(conn) == 3
        assert events.count(conn) == 3


def test_run_once_returns_zero_when_nothing_is_due(db: Database) -> None:
    fill(db, days_old=1, count=2)
    assert prune_job.run_once(db, now=START, retention=RetentionSettings()).total == 0


def test_raw_days_decides_the_raw_cutoff_and_max_days_the_events(db: Database) -> None:
    fill(db, days_old=8, count=2)
    fill(db, days_old=1, count=1)
    kept_all = RetentionSettings(max_days=30, raw_days=30)
    assert prune_job.run_once(db, now=START, retention=kept_all).total == 0
    result = prune_job.prune(db, now=START, retention=RetentionSettings(max_days=30, raw_days=7))
    assert (result.reports, result.events) == (2, 0)
    result = prune_job.prune(db, now=START, retention=RetentionSettings(max_days=7, raw_days=7))
    assert (result.reports, result.events) == (0, 2)


def test_a_quiet_customers_last_report_survives(db: Database) -> None:
    fill(db, days_old=400, count=3, customer_id="quiet")
    prune_job.prune(db, now=START, retention=RetentionSettings(max_days=90))
    with db.read() as conn:
        assert reports.count(conn, customer_id="quiet") == 0  # the raw window is empty
        assert reports.latest(conn, customer_id="quiet") is not None  # the latest stays
        assert events.count(conn) == 0


def test_infra_backups_are_trimmed_by_count_not_age(db: Database) -> None:
    with db.write() as conn:
        for i in range(4):
            infra_backups.add(
                conn, customer_id="a", received_at=START - timedelta(days=500 + i), body="{}"
            )
        fleet.ensure(conn, customer_id="a")
    result = prune_job.prune(
        db, now=START, retention=RetentionSettings(max_days=90, infra_backup_versions=3)
    )
    assert result.infra_backups == 1
    with db.read() as conn:
        assert infra_backups.count(conn, customer_id="a") == 3


def test_each_series_resolution_is_kept_for_its_own_retention(db: Database) -> None:
    sample = sample_of(Report.model_validate(report_body("a")), now=START)
    with db.write() as conn:
        for days_old in (3, 20, 60, 120):
            at = START - timedelta(days=days_old)
            series.add(conn, customer_id="a", at=at, sample=sample)
        fleet.ensure(conn, customer_id="a")
    retention = RetentionSettings(max_days=90, hourly_days=30, raw_days=7)
    prune_job.prune(db, now=START, retention=retention)
    with db.read() as conn:
        kept = {
            r: len(
                series.points(
                    conn, customer_id="a", resolution=r, since=START - timedelta(days=400)
                )
            )
            for r in Resolution
        }
    assert kept == {Resolution.MIN15: 1, Resolution.HOUR: 2, Resolution.DAY: 3}


def test_old_compression_dictionaries_go_but_kept_reports_stay_readable(db: Database) -> None:
    for days_old in (10, 9, 3, 2, 1):
        store_report(db, "a", START - timedelta(days=days_old))
    prune_job.prune(db, now=START, retention=RetentionSettings(raw_days=7))
    with db.read() as conn:
        dictionaries = conn.exec_driver_sql("SELECT count(*) FROM report_dicts").scalar_one()
        page, _ = reports.raw_page(
            conn, customer_id="a", before_id=None, since=START - timedelta(days=30), limit=10
        )
    assert dictionaries == 3  # one per remaining day: the 10- and 9-day-old ones are gone
    assert len(page) == 3 and all(r.report == {"customer_id": "a"} for r in page)


def test_the_daily_prune_runs_once_a_day_across_processes(db: Database) -> None:
    fill(db, days_old=10, count=3)
    retention = RetentionSettings(raw_days=7)
    other = sibling(db)
    try:
        first = prune_job.scheduled(db, now=START, retention=retention)
        assert first is not None and first.reports == 3
        fill(db, days_old=10, count=2)
        later = START + timedelta(hours=3)  # the same Budapest day, another process
        assert prune_job.scheduled(other, now=later, retention=retention) is None
        following = prune_job.scheduled(other, now=START + timedelta(days=1), retention=retention)
        assert following is not None and following.reports == 2
    finally:
        other.dispose()
