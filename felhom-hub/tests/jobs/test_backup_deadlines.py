"""The backup deadline checker: 05:00 Budapest on normal and DST days, once per day across
restarts, only for customers whose latest report lists that kind of backup."""

from datetime import UTC, datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient

from felhom_hub.configs import accounts
from felhom_hub.jobs import backup_deadlines
from felhom_hub.jobs.backup_deadlines import latest_slot
from felhom_hub.store import Database, events
from tests.configs.helpers import managed
from tests.conftest import GLOBAL_AUTH, FakeClock, report_body, sibling

FIVE = time(5, 0)


@pytest.mark.parametrize(
    ("now", "slot"),
    [
        (datetime(2026, 7, 1, 3, 0, tzinfo=UTC), datetime(2026, 7, 1, 3, 0, tzinfo=UTC)),  # CEST
        (datetime(2026, 7, 1, 2, 59, tzinfo=UTC), datetime(2026, 6, 30, 3, 0, tzinfo=UTC)),
        (datetime(2026, 12, 6, 4, 0, tzinfo=UTC), datetime(2026, 12, 6, 4, 0, tzinfo=UTC)),  # CET
        # The DST change days: 05:00 local is 03:00 UTC after spring-forward, 04:00 after fall-back.
        (datetime(2026, 3, 29, 3, 30, tzinfo=UTC), datetime(2026, 3, 29, 3, 0, tzinfo=UTC)),
        (datetime(2026, 10, 25, 4, 30, tzinfo=UTC), datetime(2026, 10, 25, 4, 0, tzinfo=UTC)),
    ],
)
def test_the_slot_is_five_in_budapest(now: datetime, slot: datetime) -> None:
    assert latest_slot(now, FIVE) == slot


def hub_events(db: Database, customer_id: str) -> list[str]:
    with db.read() as conn:
        found = events.recent(conn, customer_id=customer_id, limit=50)
    return sorted(e.event_type for e in found if e.source == "hub")


def test_missing_backups_and_dumps_are_reported_once_a_day(
    client: TestClient, db: Database, clock: FakeClock
) -> None:
    restic = {"kind": "restic", "target": "hdd1", "status": "ok"}
    dbdump = {"kind": "dbdump", "target": "postgres", "status": "ok"}
    clock.now = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)  # 03:00 Budapest
    for customer_id, backups in (("both", [restic, dbdump]), ("done", [restic]), ("none", [])):
        body = report_body(customer_id, backups=backups)
        assert client.post("/api/v1/report", json=body, headers=GLOBAL_AUTH).status_code == 201
    completed = {"customer_id": "done", "event_type": "backup_completed", "severity": "info"}
    client.post("/api/v1/event", json={**completed, "message": "ok"}, headers=GLOBAL_AUTH)

    assert backup_deadlines.run_once(db, now=clock(), at=FIVE) is None  # 05:00 not yet
    clock.now = datetime(2026, 7, 1, 3, 0, 30, tzinfo=UTC)
    checked = backup_deadlines.run_once(db, now=clock(), at=FIVE)
    assert checked == backup_deadlines.Checked("2026-07-01", customers=3, missed=2)
    assert hub_events(db, "both") == ["expected_backup_missed", "expected_dbdump_missed"]
    assert hub_events(db, "done") == [] and hub_events(db, "none") == []
    clock.advance(minutes=5)  # the same day again, e.g. a restarted hub
    assert backup_deadlines.run_once(sibling(db), now=clock(), at=FIVE) is None
    assert len(hub_events(db, "both")) == 2


def test_a_hub_that_was_down_past_the_grace_skips_the_day(db: Database) -> None:
    late = datetime(2026, 7, 1, 3, 0, tzinfo=UTC) + timedelta(hours=2)
    assert backup_deadlines.run_once(db, now=late, at=FIVE) is None


def test_a_configs_expectations_win_over_the_report(
    client: TestClient, db: Database, clock: FakeClock
) -> None:
    vault = client.app.state.vault  # type: ignore[attr-defined]
    restic = {"kind": "restic", "target": "hdd1", "status": "ok"}
    with db.write() as conn:  # expects dumps it does not report, excuses the restic backup
        config = managed(expect_dbdump=True, expect_restic=False)
        accounts.create(conn, vault, config, now=clock())
    clock.now = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)
    body = report_body("acme", backups=[restic])
    assert client.post("/api/v1/report", json=body, headers=GLOBAL_AUTH).status_code == 201
    clock.now = datetime(2026, 7, 1, 3, 0, 30, tzinfo=UTC)
    assert backup_deadlines.run_once(db, now=clock(), at=FIVE) is not None
    assert hub_events(db, "acme") == ["expected_dbdump_missed"]
