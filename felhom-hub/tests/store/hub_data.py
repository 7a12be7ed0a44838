"""A hub with data in every table, written the way the hub writes it (the API, the store)."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta

from fastapi.testclient import TestClient

from felhom_hub.app import create_app
from felhom_hub.config import Settings
from felhom_hub.configs import accounts
from felhom_hub.configs.vault import vault_for
from felhom_hub.store import (
    Database,
    job_runs,
    maintenance,
    notifications,
    operator,
    registry,
    templates,
)
from felhom_hub.store import copy as store_copy
from tests.api.test_ingest import backup_body
from tests.configs.helpers import managed
from tests.conftest import GLOBAL_AUTH, START, FakeClock, add_customer, report_body

CUSTOMERS = ("acme", "globex")


@contextmanager
def filled_sqlite(settings: Settings) -> Iterator[Database]:
    """A SQLite hub in ``settings``' data directory with rows in every table (``fill``)."""
    db = Database(settings.server.database_path)
    db.migrate()
    fill(db, settings)
    yield db
    db.dispose()


def table_sums(db: Database, *, batch_rows: int = 500) -> dict[str, store_copy.TableSum]:
    """Every copied table's row count and checksum, as migrate-data compares them."""
    with db.read() as conn:
        shapes = [store_copy.shape(conn, name) for name in store_copy.TABLES]
    return {s.name: store_copy.checksum(db, s, batch_rows=batch_rows) for s in shapes}


def fill(db: Database, settings: Settings, *, reports: int = 8) -> None:
    """``reports`` reports a customer 15 minutes apart, and a row or more in every table."""
    clock = FakeClock()
    add_customer(db, "globex")
    app = create_app(settings, db=db, clock=clock, run_jobs=False)
    with TestClient(app) as client:
        for n in range(reports):
            for customer in CUSTOMERS:
                body = report_body(customer, system={"cpu_percent": n, "load_average": [n, 0, 0]})
                assert client.post("/api/v1/report", json=body, headers=GLOBAL_AUTH).is_success
            clock.advance(minutes=15)
        _post(client, "/api/v1/infra-backup", backup_body())
        event = {"customer_id": "acme", "event_type": "backup_failed", "severity": "error"}
        _post(client, "/api/v1/event", {**event, "message": "restic exited 1 \u00e1rv\u00edz"})
        relay = {"customer_id": "acme", "subject": "Disk", "message": "91%"}
        _post(client, "/api/v1/notify", relay)
        prefs = {"customer_id": "acme", "email": "a@x.example", "enabled_events": ["backup_failed"]}
        _post(client, "/api/v1/preferences", prefs)
    with db.write() as conn:
        accounts.create(conn, vault_for(settings), managed(customer_id="initech"), now=START)
        job_runs.take(conn, job="prune", slot="2026-11-22", now=START)
        maintenance.add(
            conn,
            customer_id="acme",
            starts_at=START,
            ends_at=START + timedelta(hours=2),
            reason="disk swap",
            now=START,
        )
        entry = notifications.Entry("acme", "operator", "node_down", None, "op@x", "s", "m", "sent")
        notifications.record(conn, entry, now=START)
        registry.record(conn, image="ghcr.io/x/controller", newest="0.9.4", error=None, now=START)
        templates.record_good(
            conn, source="https://x", body="hub: {}\n", etag='"1"', last_modified=None, now=START
        )
        operator.save_upgrade(conn, configured="pw-hash", password_hash="argon", now=START)


def _post(client: TestClient, path: str, body: Mapping[str, object]) -> None:
    response = client.post(path, json=body, headers=GLOBAL_AUTH)
    assert response.is_success, response.text
