"""Every query the hub runs is answered from an index: EXPLAIN QUERY PLAN of each statement that
a full ingest-read-prune cycle executes shows no scan of a growing table."""

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from felhom_hub.config import RetentionSettings
from felhom_hub.jobs.prune import prune
from felhom_hub.store import Database
from tests.conftest import GLOBAL_AUTH, Customer, FakeClock, report_body

# Tables that grow with the fleet or with time; a SCAN of one of these is a bug.
GROWING = {"raw_reports", "metric_series", "events", "report_dicts", "infra_backups", "fleet"}


@pytest.fixture
def traced(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def trace(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(statements.append)

    event.listen(db.engine, "connect", trace)
    db.dispose()  # every connection from now on is a new, traced one
    yield statements
    event.remove(db.engine, "connect", trace)


def scans(db: Database, statement: str) -> list[str]:
    with db.read() as conn:
        plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}").all()
    details = [row[-1] for row in plan]
    # Walking an index in order under a LIMIT reads only the page: that is not a scan.
    bounded = re.search(r"\bLIMIT\b", statement) is not None
    return [
        d
        for d in details
        if re.match(r"SCAN (\w+)", d)
        and d.split()[1] in GROWING
        and not (bounded and "USING" in d and "INDEX" in d)
    ]


@pytest.mark.sqlite_only  # reads SQLite's EXPLAIN QUERY PLAN
def test_no_statement_scans_a_growing_table(
    client: TestClient, db: Database, clock: FakeClock, acme: Customer, traced: list[str]
) -> None:
    for _ in range(3):
        client.post("/api/v1/report", json=report_body(), headers=acme.auth)
        event_body = {"customer_id": "acme", "event_type": "backup_failed", "severity": "error"}
        client.post("/api/v1/event", json={**event_body, "message": "m"}, headers=acme.auth)
        clock.advance(hours=30)
    for path in ("", "/history?period=90d", "/history?period=1d", "/reports", "/events"):
        assert client.get(f"/api/v1/customers/acme{path}", headers=acme.auth).status_code == 200
    client.get("/api/v1/customers?limit=5", headers=GLOBAL_AUTH)
    client.get("/api/v1/customers?limit=5&after=a&status=OK", headers=GLOBAL_AUTH)
    client.get("/api/v1/infra-backup/acme", headers=GLOBAL_AUTH)
    prune(db, now=clock() + timedelta(days=100), retention=RetentionSettings())

    queries = {
        s for s in traced if s.lstrip().upper().startswith(("SELECT", "DELETE", "UPDATE", "WITH"))
    }
    assert len(queries) > 15  # the cycle above really ran its queries
    scanning = {q: found for q in queries if (found := scans(db, q))}
    assert not scanning, scanning
