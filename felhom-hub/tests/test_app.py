import time
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from felhom_hub.app import create_app
from felhom_hub.config import Settings
from felhom_hub.store import Database, reports
from tests.conftest import FakeClock, store_report

# 04:30 in Budapest on a winter day is 03:30 UTC.
JUST_BEFORE_PRUNE = datetime(2026, 1, 10, 3, 29, 59, 800000, tzinfo=UTC)


def test_the_running_app_prunes_at_the_scheduled_time(settings: Settings, db: Database) -> None:
    clock = FakeClock(JUST_BEFORE_PRUNE)
    store_report(db, "a", JUST_BEFORE_PRUNE - timedelta(days=200))
    store_report(db, "a", JUST_BEFORE_PRUNE - timedelta(days=1))
    app = create_app(settings, db=db, clock=clock, run_jobs=True)
    with TestClient(app):  # the job is due 0.2 s (real time) after start-up
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with db.read() as conn:
                if reports.count(conn) == 1:
                    break
            time.sleep(0.05)
    with db.read() as conn:
        assert reports.count(conn) == 1


def test_jobs_can_be_left_off(settings: Settings, db: Database) -> None:
    clock = FakeClock(JUST_BEFORE_PRUNE)
    store_report(db, "a", JUST_BEFORE_PRUNE - timedelta(days=200))
    store_report(db, "a", JUST_BEFORE_PRUNE - timedelta(days=1))
    with TestClient(create_app(settings, db=db, clock=clock, run_jobs=False)):
        time.sleep(0.5)
    with db.read() as conn:
        assert reports.count(conn) == 2
