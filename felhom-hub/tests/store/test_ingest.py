"""store.ingest: a report's writes, with the dead man's switch re-armed in the fleet upsert."""

from datetime import timedelta

import pytest
from sqlalchemy import text

from felhom_hub.alerting.deadman import NodeState, stale_at
from felhom_hub.samples import HealthLevel, Sample
from felhom_hub.store import Database, ingest, reports, series
from felhom_hub.store.reports import ReportSummary
from tests.conftest import START, add_customer

DEFAULT = timedelta(minutes=30)
SAMPLE = Sample(HealthLevel.OK, 5.0, 0.5, 1, 2, None, None, {}, 0, 0, 0, None, None)


def summary(customer_id: str, minutes: int = 0, paused: bool = False) -> ReportSummary:
    at = START + timedelta(minutes=minutes)
    return ReportSummary(customer_id, 0, at, "1", "ok", "h", None, paused)


def add(db: Database, s: ReportSummary) -> ingest.Stored:
    with db.write() as conn:
        return ingest.add_report(conn, s, b'{"n":1}', SAMPLE, default_threshold=DEFAULT)


def switch(db: Database, customer_id: str) -> tuple[str, int | None]:
    with db.read() as conn:
        row = conn.execute(
            text("SELECT alert_state, alert_after FROM fleet WHERE customer_id = :c"),
            {"c": customer_id},
        ).one()
    return row[0], row[1]


def set_config(db: Database, customer_id: str, **columns: object) -> None:
    sets = ", ".join(f"{name} = :{name}" for name in columns)
    with db.write() as conn:
        conn.execute(
            text(f"UPDATE customer_configs SET {sets} WHERE customer_id = :customer_id"),
            {**columns, "customer_id": customer_id},
        )


def test_a_first_report_is_stored_and_arms_the_switch(db: Database) -> None:
    stored = add(db, summary("a"))
    assert stored.was is NodeState.UP
    assert switch(db, "a") == ("up", stale_at(START, DEFAULT))
    with db.read() as conn:
        latest = reports.latest(conn, customer_id="a")
        assert series.count(conn) == 3  # 15 minutes, hourly, daily
    assert latest is not None and latest[0].report_id == stored.report_id


def test_the_customers_own_threshold_wins(db: Database) -> None:
    add_customer(db, "a")
    set_config(db, "a", stale_threshold_s=7200)
    add(db, summary("a"))  # the config came first: no fleet row had its threshold yet
    assert switch(db, "a") == ("up", stale_at(START, timedelta(hours=2)))
    add(db, summary("a", minutes=15))
    assert switch(db, "a")[1] == stale_at(START + timedelta(minutes=15), timedelta(hours=2))


@pytest.mark.parametrize(("paused", "status"), [(True, "active"), (False, "blocked")])
def test_paused_or_blocked_disarms(db: Database, paused: bool, status: str) -> None:
    add_customer(db, "a")
    add(db, summary("a"))
    set_config(db, "a", status=status)
    add(db, summary("a", minutes=15, paused=paused))
    assert switch(db, "a") == ("up", None)


@pytest.mark.parametrize("state", [NodeState.STALE, NodeState.DOWN])
def test_a_report_after_silence_says_what_the_switch_was(db: Database, state: NodeState) -> None:
    add(db, summary("a"))
    with db.write() as conn:
        conn.execute(text("UPDATE fleet SET alert_state = :s"), {"s": state.value})
    assert add(db, summary("a", minutes=90)).was is state
    assert switch(db, "a") == ("up", stale_at(START + timedelta(minutes=90), DEFAULT))
