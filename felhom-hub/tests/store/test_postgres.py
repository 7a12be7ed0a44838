"""The PostgreSQL engine's own behaviour: a server that goes away and comes back, a refused
login, a missing database, the engine named by /healthz; on a server of the test's own (the
session's shared one must not be stopped)."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url

from felhom_hub.app import create_app
from felhom_hub.config import Settings
from felhom_hub.store import Database, events
from felhom_hub.store.faults import FaultKind, StorageFault
from tests import pg_server
from tests.conftest import GLOBAL_AUTH, FakeClock, postgres_database, report_body


@pytest.fixture
def own_server(postgres_server: pg_server.PostgresServer) -> Iterator[pg_server.PostgresServer]:
    server = pg_server.PostgresServer()  # postgres_server: skip or fail as the session does
    server.start()
    yield server
    server.stop()


def test_healthz_names_the_engine(db: Database, client: TestClient) -> None:
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json()["engine"] == db.kind


def test_a_server_that_goes_away_is_503_and_comes_back(
    own_server: pg_server.PostgresServer, settings: Settings
) -> None:
    db = postgres_database(own_server)
    clock = FakeClock()
    with TestClient(create_app(settings, db=db, clock=clock, run_jobs=False)) as client:
        sent = client.post("/api/v1/report", json=report_body("acme"), headers=GLOBAL_AUTH)
        assert sent.status_code == 201
        own_server.pg_ctl("stop", "-m", "fast")
        refused = client.post("/api/v1/report", json=report_body("acme"), headers=GLOBAL_AUTH)
        assert refused.status_code == 503
        assert FaultKind.UNAVAILABLE.value in refused.json()["detail"]
        assert db.ping() is not None
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["engine"] == "postgresql"
        assert health.json()["reason"] == FaultKind.UNAVAILABLE.value
        own_server.pg_ctl("start")
        assert db.ping() is None  # the probe clears the fault
        assert client.get("/healthz").status_code == 200
        again = client.post("/api/v1/report", json=report_body("acme"), headers=GLOBAL_AUTH)
        assert again.status_code == 201
        latest = client.get("/api/v1/customers/acme", headers=GLOBAL_AUTH)
        assert latest.status_code == 200


def test_connections_the_server_ends_are_replaced_without_a_500(
    own_server: pg_server.PostgresServer, settings: Settings
) -> None:
    """A restart or failover ends every connection the hub holds (its writer and its pooled
    readers): no request may fail with a 500 over it, and the hub carries on with new ones."""
    db = postgres_database(own_server)
    name = db.url.database if db.url is not None else ""
    with TestClient(create_app(settings, db=db, clock=FakeClock(), run_jobs=False)) as client:
        assert (
            client.post("/api/v1/report", json=report_body("acme"), headers=GLOBAL_AUTH).status_code
            == 201
        )
        assert db.ping() is None
        ended = own_server.psql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            f" WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        )
        assert int(ended) >= 2  # the writer and the probe's pooled connection
        db.ping()  # may find the ended connection once; must not raise
        sent = client.post("/api/v1/report", json=report_body("acme"), headers=GLOBAL_AUTH)
        assert sent.status_code in (201, 503), sent.text  # 503: the controller retries it
        read = client.get("/api/v1/customers/acme", headers=GLOBAL_AUTH)
        assert read.status_code == 200, read.text
        assert db.ping() is None
        assert client.get("/healthz").status_code == 200
        again = client.post("/api/v1/report", json=report_body("acme"), headers=GLOBAL_AUTH)
        assert again.status_code == 201, again.text


def test_a_wrong_password_is_a_fault_that_shows_no_password(
    postgres_server: pg_server.PostgresServer,
) -> None:
    url = make_url(postgres_server.url(postgres_server.new_database()))
    db = Database(url=url, password="not-the-password-1234")
    with pytest.raises(StorageFault) as raised:
        db.migrate()
    assert raised.value.kind is FaultKind.REFUSED
    assert "not-the-password-1234" not in str(raised.value)
    assert "not-the-password-1234" not in db.describe()
    db.dispose()


def test_a_missing_database_is_a_fault(postgres_server: pg_server.PostgresServer) -> None:
    db = Database(url=make_url(postgres_server.url("no_such_db")), password=pg_server.PASSWORD)
    fault = db.ping()
    assert fault is not None and fault.kind is FaultKind.UNREADABLE
    db.dispose()


def test_a_nul_in_controller_text_is_stored_not_a_500(db: Database, client: TestClient) -> None:
    body = report_body("acme", hostname="node\x00one")
    assert client.post("/api/v1/report", json=body, headers=GLOBAL_AUTH).status_code == 201
    event = {
        "customer_id": "acme",
        "event_type": "backup_failed",
        "severity": "error",
        "message": "disk\x00full",
    }
    sent = client.post("/api/v1/event", json=event, headers=GLOBAL_AUTH)
    assert sent.status_code == 201, sent.text
    with db.read() as conn:
        found = events.recent(conn, customer_id="acme", limit=5)
    # SQLite keeps the NUL; PostgreSQL's text cannot, and keeps U+FFFD in its place.
    assert [e.message for e in found] == [
        "disk\x00full" if db.kind == "sqlite" else "disk\ufffdfull"
    ]
