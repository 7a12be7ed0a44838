"""The dashboard's fleet queries: SQL statuses agree with compute_status; filter, sort, page."""

import sqlite3
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest

from felhom_hub.status import Health, LatestReport, compute_status
from felhom_hub.store import Database, customers, dashboard, events, reports
from tests.conftest import add_customer

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
STALE = timedelta(minutes=30)
CUTOFFS = dashboard.Cutoffs.at(NOW, STALE)
MICRO = timedelta(microseconds=1)


def put(
    db: Database,
    customer_id: str,
    age: timedelta,
    health: str = "ok",
    paused: bool = False,
    hostname: str = "h",
) -> None:
    summary = reports.ReportSummary(customer_id, 0, NOW - age, "1", health, hostname, None, paused)
    with db.write() as conn:
        reports.add(conn, summary, b"{}")


def every(db: Database, **filter_: object) -> dashboard.Page:
    with db.read() as conn:
        return dashboard.page(
            conn,
            CUTOFFS,
            dashboard.Filter(**filter_),  # type: ignore[arg-type]
            order=dashboard.Order.CUSTOMER,
            limit=1000,
            offset=0,
        )


AGES = [timedelta(0), STALE - MICRO, STALE, STALE + MICRO, 2 * STALE, 2 * STALE + MICRO]


def test_sql_statuses_agree_with_compute_status_at_every_boundary(db: Database) -> None:
    expected = {}
    for n, (age, health, paused, blocked) in enumerate(
        (age, health, paused, blocked)
        for age in AGES
        for health in ("ok", "warn", "fail")
        for paused in (False, True)
        for blocked in (False, True)
    ):
        customer_id = f"c{n:03d}"
        if blocked:
            add_customer(db, customer_id)
            with db.write() as conn:
                customers.set_status(conn, customer_id=customer_id, status="blocked", now=NOW)
        put(db, customer_id, age, health, paused)
        latest = LatestReport(NOW - age, Health(health), paused)
        expected[customer_id] = compute_status(
            now=NOW, latest=latest, blocked=blocked, stale_threshold=STALE
        ).value
    add_customer(db, "pending")
    expected["pending"] = "PENDING"
    found = every(db, include_blocked=True)
    assert {row.customer_id: status for row, status in found.rows} == expected
    with db.read() as conn:
        counts = dashboard.counts(conn, CUTOFFS)
    assert counts == {s: list(expected.values()).count(s) for s in set(expected.values())}


def test_blocked_are_left_out_unless_asked_for(db: Database) -> None:
    put(db, "a", timedelta(0))
    add_customer(db, "b")
    with db.write() as conn:
        customers.set_status(conn, customer_id="b", status="blocked", now=NOW)
    assert [r.customer_id for r, _ in every(db).rows] == ["a"]
    assert every(db, include_blocked=True).total == 2


def test_filter_by_status_and_search_ids_and_hostnames(db: Database) -> None:
    put(db, "acme", timedelta(0), hostname="Berlin-01")
    put(db, "globex", timedelta(hours=5), hostname="paris-01")
    put(db, "initech", timedelta(0), health="warn", hostname="berlin-02")
    add_customer(db, "umbrella")
    assert [r.customer_id for r, _ in every(db, status="DOWN").rows] == ["globex"]
    assert [r.customer_id for r, _ in every(db, search="BERLIN").rows] == ["acme", "initech"]
    assert [r.customer_id for r, _ in every(db, search="umb").rows] == ["umbrella"]
    assert every(db, search="%").total == 0  # no LIKE wildcards


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (dashboard.Order.STATUS, ["globex", "initech", "umbrella", "acme"]),
        (dashboard.Order.AGE, ["globex", "initech", "acme", "umbrella"]),
        (dashboard.Order.HOSTNAME, ["acme", "initech", "globex", "umbrella"]),
    ],
)
def test_sort_orders(db: Database, order: dashboard.Order, expected: list[str]) -> None:
    put(db, "acme", timedelta(minutes=1), hostname="Berlin-01")
    put(db, "globex", timedelta(hours=5), hostname="paris-01")
    put(db, "initech", timedelta(minutes=2), health="warn", hostname="berlin-02")
    add_customer(db, "umbrella")
    with db.read() as conn:
        found = dashboard.page(conn, CUTOFFS, dashboard.Filter(), order=order, limit=10, offset=0)
    assert [r.customer_id for r, _ in found.rows] == expected


def test_pages(db: Database) -> None:
    for n in range(25):
        put(db, f"c{n:02d}", timedelta(0))
    with db.read() as conn:
        found = dashboard.page(
            conn, CUTOFFS, dashboard.Filter(), order=dashboard.Order.CUSTOMER, limit=10, offset=20
        )
    assert found.total == 25
    assert [r.customer_id for r, _ in found.rows] == [f"c{n:02d}" for n in range(20, 25)]


@pytest.mark.sqlite_only  # SQLite's plan
def test_event_badges_read_the_customer_time_index(db: Database) -> None:
    """The badge counts seek (customer_id, received_at) for each shown customer; no scan."""
    statements: list[str] = []
    with db.read() as conn:
        driver = conn.connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        driver.set_trace_callback(statements.append)
        events.severity_counts(conn, customer_ids=["a", "b"], since=NOW)
        driver.set_trace_callback(None)
        plan = " ".join(
            str(row[-1]) for row in driver.execute("EXPLAIN QUERY PLAN " + statements[-1])
        )
    assert "SCAN events" not in plan and "USING INDEX" in plan, plan


@pytest.mark.parametrize("order", list(dashboard.Order))
def test_every_page_is_its_slice_of_the_whole_order(db: Database, order: dashboard.Order) -> None:
    """Pages past the middle are read in reverse; they must still be the right slice."""
    for n in range(23):
        health = ("ok", "warn", "fail")[n % 3]
        put(db, f"c{n:02d}", timedelta(minutes=7 * n % 61), health, hostname=f"H{n % 5}")
    add_customer(db, "pending")
    with db.read() as conn:
        whole = dashboard.page(conn, CUTOFFS, dashboard.Filter(), order=order, limit=100, offset=0)
        ids = [r.customer_id for r, _ in whole.rows]
        for offset in range(0, 26, 5):
            part = dashboard.page(
                conn, CUTOFFS, dashboard.Filter(), order=order, limit=5, offset=offset
            )
            assert [r.customer_id for r, _ in part.rows] == ids[offset : offset + 5]
            assert part.total == 24


@pytest.mark.parametrize(
    "filter_",
    [
        {},
        {"include_blocked": True},
        {"status": "DOWN"},
        {"status": "BLOCKED", "include_blocked": True},
        {"status": "DISABLED"},
        {"search": "berlin"},
    ],
)
def test_a_total_from_the_counts_is_the_counted_total(
    db: Database, filter_: dict[str, object]
) -> None:
    """The page view passes the status counts in, saving a pass over the fleet: same total."""
    put(db, "acme", timedelta(0), hostname="berlin-1")
    put(db, "globex", timedelta(hours=5))
    put(db, "initech", timedelta(0), health="warn", hostname="berlin-2")
    put(db, "hooli", timedelta(0), paused=True)
    add_customer(db, "umbrella")
    add_customer(db, "cyberdyne")
    with db.write() as conn:
        customers.set_status(conn, customer_id="cyberdyne", status="blocked", now=NOW)
    with db.read() as conn:
        counts = dashboard.counts(conn, CUTOFFS)
        read = {
            "order": dashboard.Order.CUSTOMER,
            "limit": 2,
            "offset": 0,
        }
        chosen = dashboard.Filter(**filter_)  # type: ignore[arg-type]
        counted = dashboard.page(conn, CUTOFFS, chosen, **read)  # type: ignore[arg-type]
        derived = dashboard.page(conn, CUTOFFS, chosen, counts_=counts, **read)  # type: ignore[arg-type]
    assert derived == counted and counted.total > 0


@pytest.mark.parametrize(
    "filter_",
    [
        {},
        {"include_blocked": True},
        {"status": "WARN"},
        {"status": "BLOCKED", "include_blocked": True},
        {"search": "C1"},
        {"search": "c", "status": "DOWN"},
        {"search": "nowhere"},
    ],
)
def test_the_status_sort_read_status_by_status_is_the_slice_of_the_whole_order(
    db: Database, filter_: dict[str, object]
) -> None:
    """The status sort reads each status on its own (where each starts: from the counts, or
    counted for a search); every page, even those straddling two statuses or read from a
    status's far end, is the slice of the order one sorted query gives."""
    for n in range(31):
        health = ("ok", "warn", "fail", "ok")[n % 4]
        put(db, f"c{n:02d}", timedelta(minutes=11 * n % 75), health, paused=n % 9 == 0)
    for n in range(4):
        add_customer(db, f"p{n}")  # PENDING
    with db.write() as conn:
        for name in ("c03", "c17", "p1"):
            customers.set_status(conn, customer_id=name, status="blocked", now=NOW)
    chosen = dashboard.Filter(**filter_)  # type: ignore[arg-type]
    with db.read() as conn:
        counts = dashboard.counts(conn, CUTOFFS)
        matching = dashboard.page(
            conn, CUTOFFS, chosen, order=dashboard.Order.CUSTOMER, limit=100, offset=0
        )
        urgency = ["DOWN", "WARN", "PENDING", "DISABLED", "OK", "BLOCKED"]
        ranked = sorted(matching.rows, key=lambda row: (urgency.index(row[1]), row[0].customer_id))
        ids = [r.customer_id for r, _ in ranked]
        if not filter_:
            assert len(counts) >= 4, "the fleet mixes statuses"
        by_status = partial(dashboard.page, conn, CUTOFFS, chosen, order=dashboard.Order.STATUS)
        for limit in (1, 4, 7, 100):
            for offset in range(0, matching.total + 2):
                part = by_status(limit=limit, offset=offset, counts_=counts)
                assert [r.customer_id for r, _ in part.rows] == ids[offset : offset + limit]
                assert part.total == matching.total
                assert by_status(limit=limit, offset=offset) == part  # counted here, not given
