"""A database of the first schema upgrades in place: every report kept, readable, charted."""

import json
from importlib import resources
from pathlib import Path
from typing import Any

from felhom_hub.history import Resolution
from felhom_hub.store import Database, fleet, reports, series
from felhom_hub.store.schema import from_micros
from tests.conftest import START, report_body


def first_schema(path: Path) -> Database:
    """A database as the first hub left it (migration 0001 only)."""
    db = Database(path)
    sql = (
        resources.files("felhom_hub.store") / "migrations" / "sqlite" / "0001_initial.sql"
    ).read_text()
    with db.write() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE schema_migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        for statement in sql.split(";"):
            body = "\n".join(x for x in statement.splitlines() if not x.strip().startswith("--"))
            if body.strip():
                conn.exec_driver_sql(body)
        conn.exec_driver_sql(
            "INSERT INTO schema_migrations VALUES (1, '0001_initial.sql', '2026-01-01')"
        )
    return db


def old_report(db: Database, customer_id: str, minutes: int, body: str, **cols: Any) -> None:
    at = f"2026-11-22T{12 + minutes // 60:02d}:{minutes % 60:02d}:00.000000Z"
    with db.write() as conn:
        conn.exec_driver_sql(
            "INSERT INTO reports (customer_id, received_at, controller_version, health, hostname,"
            " controller_url, monitoring_paused, body) VALUES (?, ?, '0.9', ?, ?, NULL, 0, ?)",
            (customer_id, at, cols.get("health", "ok"), cols.get("hostname", "h"), body),
        )


def test_old_reports_move_into_the_fleet_model_without_loss(tmp_path: Path) -> None:
    db = first_schema(tmp_path / "hub.db")
    with db.write() as conn:
        conn.exec_driver_sql(
            "INSERT INTO customer_configs VALUES ('pending-co', 'active', 'k', 'p', 'x', 'x')"
        )
    for minute, cpu in ((0, 10), (15, 20), (30, 60)):
        body = report_body("acme", system={"cpu_percent": cpu}, hostname=f"n{minute}")
        old_report(db, "acme", minute, json.dumps(body), hostname=f"n{minute}")
    # Bodies the first hub accepted and then could not serve back:
    old_report(db, "bom-co", 0, "\ufeff" + json.dumps(report_body("bom-co")))
    old_report(db, "surrogate-co", 0, json.dumps(report_body("surrogate-co", x="\ud800")))
    old_report(db, "nan-co", 0, '{"customer_id": "nan-co", "x": NaN}', hostname="nan-host")

    assert db.migrate() == [
        "0002_fleet_model.sql",
        "0003_move_reports.py",
        "0004_alerting.sql",
        "0005_fleet_dashboard.sql",
        "0006_controller_configs.sql",
        "0007_job_leases.sql",
    ]
    with db.read() as conn:
        tables = set(conn.exec_driver_sql("SELECT name FROM sqlite_master").scalars())
        listed = [r.customer_id for r in fleet.page(conn, after=None, limit=100)]
        latest = reports.latest(conn, customer_id="acme")
        raw, _ = reports.raw_page(
            conn, customer_id="acme", before_id=None, since=from_micros(0), limit=10
        )
        hourly = series.points(conn, customer_id="acme", resolution=Resolution.HOUR, since=START)
        others = {
            c: reports.latest(conn, customer_id=c) for c in ("bom-co", "surrogate-co", "nan-co")
        }
    assert "reports" not in tables
    assert listed == ["acme", "bom-co", "nan-co", "pending-co", "surrogate-co"]
    assert latest is not None and latest[1]["hostname"] == "n30"
    assert [r.report["hostname"] for r in raw] == ["n30", "n15", "n0"]
    assert [(p.reports, p.cpu_percent) for p in hourly] == [(3, 30.0)]
    assert others["bom-co"] is not None and others["bom-co"][1]["customer_id"] == "bom-co"
    assert others["surrogate-co"] is not None and others["surrogate-co"][1]["x"] == "\ufffd"
    nan = others["nan-co"]
    assert (
        nan is not None and nan[1]["hostname"] == "nan-host" and "NaN" in nan[1]["unreadable_body"]
    )
    db.dispose()


def test_upgraded_database_serves_every_customer_over_http(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from felhom_hub.app import create_app
    from tests.conftest import GLOBAL_AUTH, make_settings

    db = first_schema(tmp_path / "hub.db")
    old_report(db, "weird-co", 0, "\ufeff" + json.dumps(report_body("weird-co", x="\udfff")))
    db.dispose()
    app = create_app(make_settings(tmp_path), run_jobs=False)
    with TestClient(app) as client:
        for path in ("", "/history", "/reports"):
            response = client.get(f"/api/v1/customers/weird-co{path}", headers=GLOBAL_AUTH)
            assert response.status_code == 200, (path, response.text)
