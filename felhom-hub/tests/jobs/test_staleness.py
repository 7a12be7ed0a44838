"""The dead man's switch over the real store: each transition once, across restarts and with
two hub processes on one database; blocked, paused and pending customers never alert."""

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from felhom_hub.jobs import staleness
from felhom_hub.store import Database, customers, events
from tests.conftest import (
    GLOBAL_AUTH,
    START,
    Customer,
    FakeClock,
    add_customer,
    report_body,
    sibling,
)

T = timedelta(minutes=30)


def hub_events(db: Database, customer_id: str = "acme") -> list[str]:
    with db.read() as conn:
        found = events.recent(conn, customer_id=customer_id, limit=100)
    return [e.event_type for e in reversed(found) if e.source == "hub"]


def report(client: TestClient, customer_id: str = "acme", **extra: object) -> None:
    body = report_body(customer_id, **extra)
    assert client.post("/api/v1/report", json=body, headers=GLOBAL_AUTH).status_code == 201


def sweep(db: Database, clock: FakeClock) -> staleness.Sweep:
    return staleness.sweep(db, now=clock(), default_threshold=T)


def test_silence_goes_stale_then_down_and_a_report_recovers(
    client: TestClient, db: Database, clock: FakeClock
) -> None:
    report(client)
    clock.advance(minutes=29, seconds=59)
    assert not sweep(db, clock)
    clock.advance(seconds=1)
    assert sweep(db, clock).stale == 1
    assert sweep(db, clock).stale == 0  # once per transition
    clock.advance(minutes=30)
    assert sweep(db, clock).down == 0  # at 60:00 still stale
    clock.advance(seconds=1)
    assert sweep(db, clock).down == 1
    clock.advance(hours=5)
    assert not sweep(db, clock)  # down stays down, silently
    report(client)
    assert hub_events(db) == ["node_stale", "node_down", "node_recovered"]
    report(client)
    assert hub_events(db) == ["node_stale", "node_down", "node_recovered"]


def test_a_hub_that_was_off_past_2t_emits_only_node_down(
    client: TestClient, db: Database, clock: FakeClock
) -> None:
    report(client)
    clock.advance(hours=3)
    assert sweep(db, clock) == staleness.Sweep(down=1)
    assert hub_events(db) == ["node_down"]


def test_paused_blocked_and_pending_customers_never_alert(
    client: TestClient, db: Database, clock: FakeClock, acme: Customer
) -> None:
    add_customer(db, "pending-co")
    report(client, "paused-co", monitoring_paused=True)
    report(client)
    with db.write() as conn:
        customers.set_status(conn, customer_id="acme", status="blocked", now=clock())
    clock.advance(hours=3)
    sweep(db, clock)
    for customer_id in ("acme", "paused-co", "pending-co"):
        assert hub_events(db, customer_id) == []


def test_a_customer_threshold_overrides_the_default(
    client: TestClient, db: Database, clock: FakeClock, acme: Customer
) -> None:
    with db.write() as conn:
        conn.exec_driver_sql("UPDATE customer_configs SET stale_threshold_s = 600")
    report(client)
    clock.advance(minutes=10)
    assert sweep(db, clock).stale == 1


def test_a_restarted_hub_does_not_repeat_a_transition(
    client: TestClient, settings: object, db: Database, clock: FakeClock
) -> None:
    report(client)
    clock.advance(minutes=31)
    assert sweep(db, clock).stale == 1
    again = sibling(db)  # a new process's view of the same file
    assert staleness.sweep(again, now=clock(), default_threshold=T).stale == 0
    again.dispose()
    assert hub_events(db) == ["node_stale"]


def test_two_hubs_on_one_database_emit_each_transition_once(
    client: TestClient, db: Database, clock: FakeClock, tmp_path: Path
) -> None:
    for n in range(300):
        report(client, f"c{n:03d}")
    clock.advance(minutes=61)
    hubs = [sibling(db), sibling(db)]
    results: list[staleness.Sweep] = []

    def run(hub: Database) -> None:
        results.append(staleness.sweep(hub, now=clock(), default_threshold=T))

    threads = [threading.Thread(target=run, args=(hub,)) for hub in hubs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sum(r.down for r in results) == 300
    with db.read() as conn:
        count = conn.exec_driver_sql(
            "SELECT count(*) FROM events WHERE event_type = 'node_down'"
        ).scalar_one()
    assert count == 300
    for hub in hubs:
        hub.dispose()


@pytest.mark.sqlite_only  # SQLite's plan; PostgreSQL's planner picks by statistics
def test_the_sweep_reads_only_what_is_due(db: Database) -> None:
    with db.read() as conn:
        plan = conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT customer_id FROM fleet"
            " WHERE alert_after IS NOT NULL AND alert_after <= 5 ORDER BY alert_after LIMIT 10"
        ).all()
    assert "fleet_alert_after" in " ".join(row[-1] for row in plan)


def test_changing_the_threshold_rearms_at_start(
    client: TestClient, db: Database, clock: FakeClock, settings: object
) -> None:
    from felhom_hub.store import deadman

    report(client)
    with db.write() as conn:
        deadman.rearm_all(conn, default_threshold=timedelta(minutes=5))
    clock.advance(minutes=5)
    assert staleness.sweep(db, now=clock(), default_threshold=timedelta(minutes=5)).stale == 1
    assert clock() > START
