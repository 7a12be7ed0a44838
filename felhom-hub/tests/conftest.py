"""The shared cast: acme (a customer with its own key), globex (another customer), an outsider.

Every test gets a fresh database and a clock it can move. A test that uses ``db`` runs once per
engine: on a SQLite file, and on a database of its own in a real PostgreSQL server started for
the session (``pg_server.py``); ``@pytest.mark.sqlite_only`` keeps a test of SQLite's own
behaviour (its file, its locks) to that engine.
"""

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import make_url

from felhom_hub.accounts import create_customer
from felhom_hub.app import create_app
from felhom_hub.config import Settings
from felhom_hub.store import Database, reports
from tests import pg_server

GLOBAL_KEY = "global-key-0123456789abcdef"
START = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


class FakeClock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass(frozen=True)
class Customer:
    customer_id: str
    api_key: str
    retrieval_password: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


GLOBAL_AUTH = {"Authorization": f"Bearer {GLOBAL_KEY}"}


def make_settings(data_dir: Path, **sections: dict[str, Any]) -> Settings:
    data: dict[str, Any] = {"api": {"report_api_key": GLOBAL_KEY}, "server": {"data_dir": data_dir}}
    for name, values in sections.items():
        data[name] = {**data.get(name, {}), **values}
    return Settings.model_validate(data)


def add_customer(db: Database, customer_id: str, now: datetime = START) -> Customer:
    created = create_customer(db, customer_id, now=now)
    return Customer(customer_id, created.api_key, created.retrieval_password)


def store_report(db: Database, customer_id: str, at: datetime, health: str = "ok") -> int:
    """Put a minimal report straight into the store, received at ``at``."""
    summary = reports.ReportSummary(customer_id, 0, at, "1", health, "h", None, False)
    with db.write() as conn:
        return reports.add(conn, summary, b'{"customer_id":"%s"}' % customer_id.encode())


def report_body(customer_id: str = "acme", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer_id": customer_id,
        "hostname": f"{customer_id}-node-1",
        "controller_version": "0.9.3",
        "controller_url": f"http://{customer_id}.example:8080",
        "health": "ok",
        "timestamp": "2026-11-22T11:59:00Z",
        "system": {"cpu_percent": 12.5, "load_average": [0.3, 0.2, 0.1], "uptime_seconds": 3600},
        "storage": [{"mount_point": "/", "total_bytes": 100, "used_bytes": 40}],
        "containers": [{"name": "nextcloud", "state": "running", "health": "healthy"}],
        "backups": [{"kind": "restic", "target": "hdd1", "status": "ok"}],
        "apps": [{"name": "nextcloud", "version": "29.0"}],
    }
    body.update(overrides)
    return body


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


ENGINES = ("sqlite", "postgresql")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run a ``sqlite_only`` test on SQLite alone."""
    items[:] = [
        item
        for item in items
        if not (
            item.get_closest_marker("sqlite_only")
            and getattr(getattr(item, "callspec", None), "params", {}).get("db") == "postgresql"
        )
    ]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[pg_server.PostgresServer]:
    if not pg_server.available():
        if os.environ.get("METALFLEET_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL 15 is required but not found in {pg_server.BIN}")
        pytest.skip(f"no PostgreSQL server binaries in {pg_server.BIN}")
    server = pg_server.PostgresServer()
    server.start()
    yield server
    server.stop()


def postgres_database(server: pg_server.PostgresServer) -> Database:
    """A migrated hub database in a fresh PostgreSQL database."""
    url = make_url(server.url(server.new_database()))
    database = Database(url=url, password=pg_server.PASSWORD)
    database.migrate()
    return database


def file_of(db: Database) -> Path:
    """The SQLite file under ``db`` (for a ``sqlite_only`` test)."""
    assert db.path is not None, "a SQLite database"
    return db.path


def sibling(db: Database) -> Database:
    """Another process's view of the same database (a second hub on it)."""
    if db.path is not None:
        return Database(db.path)
    assert db.url is not None
    return Database(url=db.url, password=pg_server.PASSWORD)


@pytest.fixture(params=ENGINES)
def db(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Database]:
    if request.param == "postgresql":
        database = postgres_database(request.getfixturevalue("postgres_server"))
    else:
        database = Database(settings.server.database_path)
        database.migrate()
    yield database
    database.dispose()


@pytest.fixture
def acme(db: Database) -> Customer:
    return add_customer(db, "acme")


@pytest.fixture
def globex(db: Database) -> Customer:
    return add_customer(db, "globex")


@pytest.fixture
def client(settings: Settings, db: Database, clock: FakeClock) -> Iterator[TestClient]:
    app = create_app(settings, db=db, clock=clock, run_jobs=False)
    with TestClient(app) as test_client:
        yield test_client
