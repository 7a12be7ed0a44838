from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from felhom_hub.store import Database
from felhom_hub.store.faults import FaultKind
from felhom_hub.store.migrate import available_migrations
from felhom_hub.store.schema import metadata
from tests.conftest import add_customer


@pytest.mark.sqlite_only
def test_connections_use_wal_normal_sync_busy_timeout_and_foreign_keys(db: Database) -> None:
    with db.read() as conn:
        pragma = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar_one()
            for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
        }
    assert pragma == {
        "journal_mode": "wal",
        "synchronous": 1,
        "busy_timeout": 5000,
        "foreign_keys": 1,
    }


def test_migrations_apply_once_in_order(tmp_path: Path) -> None:
    db = Database(tmp_path / "fresh.db")
    names = [name for _, name, _ in available_migrations()]
    assert db.migrate() == names
    assert db.migrate() == []
    db.dispose()


def test_migrated_schema_matches_the_query_tables(db: Database) -> None:
    inspector = inspect(db.engine)
    for table in metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert columns == set(table.columns.keys()), table.name


def test_a_failed_write_rolls_back(db: Database) -> None:
    with pytest.raises(RuntimeError), db.write() as conn:
        conn.exec_driver_sql(
            "INSERT INTO events (customer_id, event_type, severity, message, source, received_at)"
            " VALUES ('a', 'x', 'info', 'm', 'hub', 't')"
        )
        raise RuntimeError("boom")
    with db.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM events").scalar_one() == 0


def test_ping_fails_when_the_file_is_gone(tmp_path: Path) -> None:
    db = Database(tmp_path / "sub" / "hub.db")
    assert db.ping() is not None  # no schema yet
    db.migrate()
    assert db.ping() is None
    db.dispose()
    for leftover in (tmp_path / "sub").iterdir():
        leftover.unlink()
    fault = db.ping()
    assert fault is not None and fault.kind is FaultKind.MISSING


def test_a_read_transaction_sees_one_snapshot(db: Database) -> None:
    """A page read in several statements must not see a write that committed between them
    (SQLite's read transactions are snapshots; PostgreSQL's reads are made so)."""
    count = text("SELECT count(*) FROM customer_configs")
    with db.read() as conn:
        before = conn.execute(count).scalar_one()
        add_customer(db, "arrived-meanwhile")
        assert conn.execute(count).scalar_one() == before
    with db.read() as conn:
        assert conn.execute(count).scalar_one() == before + 1
