"""A hub's database copied between SQLite and a real PostgreSQL, both ways: every row, the
same checksums, a copy that works as a hub, a resume after an interruption, and a difference
that the comparison finds."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, make_url

from felhom_hub import migrate_data
from felhom_hub.config import Settings
from felhom_hub.migrate_data import Comparison, CopyRefusedError
from felhom_hub.store import Database, events, reports
from felhom_hub.store import copy as store_copy
from tests import pg_server
from tests.conftest import START, postgres_database, store_report
from tests.store.hub_data import filled_sqlite, table_sums
from tests.store.test_migrations import first_schema


@pytest.fixture
def hub(settings: Settings) -> Iterator[Database]:
    with filled_sqlite(settings) as db:
        yield db


@pytest.fixture
def pg(postgres_server: pg_server.PostgresServer) -> Iterator[Database]:
    """An empty PostgreSQL database (not migrated: the copy does that)."""
    name = postgres_server.new_database()
    db = Database(url=make_url(postgres_server.url(name)), password=pg_server.PASSWORD)
    yield db
    db.dispose()


def copied(source: Database, target: Database, *, force: bool = False) -> list[Comparison]:
    shapes = migrate_data.prepare(source, target, force=force)
    return migrate_data.copy(source, target, shapes, force=force, say=lambda _line: None)


def sums(db: Database) -> dict[str, store_copy.TableSum]:
    return table_sums(db, batch_rows=7)  # small batches: the checksum's paging is exercised


def test_it_copies_sqlite_to_postgresql_and_back_with_equal_checksums(
    hub: Database, pg: Database, tmp_path: Path
) -> None:
    original = sums(hub)
    assert all(s.rows > 0 for s in original.values()), "every table holds rows"
    there = copied(hub, pg)
    back = Database(tmp_path / "back" / "hub.db")
    again = copied(pg, back)
    for found in (there, again):
        assert [c.table for c in found] == list(store_copy.TABLES)
        assert all(c.equal for c in found)
    assert sums(pg) == original == sums(back)
    marks = [_high_water(db) for db in (hub, pg, back)]
    assert marks[0] == marks[1] == marks[2]
    back.dispose()


def _high_water(db: Database) -> dict[str, int]:
    with db.read() as conn:
        return {name: store_copy.high_water(conn, name) for name in store_copy.IDENTITY}


def test_the_copy_works_as_a_hub_and_hands_out_new_ids(hub: Database, pg: Database) -> None:
    with hub.write() as conn:  # the newest event gone: its id must not be handed out again
        newest = max(e.id for e in events.recent(conn, customer_id="acme", limit=9))
        conn.exec_driver_sql("DELETE FROM events WHERE id = ?", (newest,))
    copied(hub, pg)
    with hub.read() as conn:
        expected = reports.latest(conn, customer_id="acme")
        newest_report = store_copy.high_water(conn, "raw_reports")
        report_count = reports.count(conn)
    with pg.read() as conn:
        assert reports.latest(conn, customer_id="acme") == expected
    report_id = store_report(pg, "acme", START.replace(hour=23))
    with pg.write() as conn:
        event_id = events.add(
            conn,
            customer_id="acme",
            event_type="backup_failed",
            severity="error",
            message="after the move",
            details_json="{}",
            source="controller",
            occurred_at=None,
            received_at=START,
        )
    assert event_id > newest
    with pg.read() as conn:
        assert reports.count(conn) == report_count + 1
        [summary, _report] = reports.latest(conn, customer_id="acme") or (None, None)
    assert summary is not None and summary.report_id == report_id > newest_report


def test_a_non_empty_target_is_refused_and_left_unchanged(hub: Database, pg: Database) -> None:
    copied(hub, pg)
    before = sums(pg)
    with pytest.raises(CopyRefusedError, match="not empty"):
        migrate_data.prepare(hub, pg, force=False)
    assert sums(pg) == before


class CopyKilledError(Exception):
    pass


def test_an_interrupted_copy_resumes_with_force_without_duplicates(
    hub: Database, pg: Database
) -> None:
    shapes = migrate_data.prepare(hub, pg, force=False)
    raw = next(s for s in shapes if s.name == "raw_reports")
    series = next(s for s in shapes if s.name == "metric_series")

    def stop_after_first(_table: str, _rows: int) -> None:
        raise CopyKilledError  # after the first page's commit, as a kill there would

    for shape in (raw, series):
        with pytest.raises(CopyKilledError):
            store_copy.copy_table(hub, pg, shape, batch_rows=5, progress=stop_after_first)
    with pg.read() as conn:
        assert store_copy.count(conn, "raw_reports") == 5
        assert store_copy.count(conn, "metric_series") == 5  # a composite key, resumed too
    with pytest.raises(CopyRefusedError):
        migrate_data.prepare(hub, pg, force=False)
    found = copied(hub, pg, force=True)
    assert all(c.equal for c in found)
    assert sums(pg) == sums(hub)


def test_a_changed_row_is_found_and_force_copies_that_table_again(
    hub: Database, pg: Database
) -> None:
    copied(hub, pg)
    with pg.write() as conn:
        conn.exec_driver_sql("UPDATE events SET message = 'tampered' WHERE id = 1")
    with hub.read() as conn:
        shapes = [store_copy.shape(conn, name) for name in store_copy.TABLES]
    found = migrate_data.compare(hub, pg, shapes, batch_rows=100)
    assert [c.table for c in found if not c.equal] == ["events"]
    [events_sums] = [c for c in found if c.table == "events"]
    assert events_sums.source.rows == events_sums.target.rows  # same count, other content
    assert all(c.equal for c in copied(hub, pg, force=True))


def test_a_source_at_an_older_migration_is_refused(tmp_path: Path, pg: Database) -> None:
    old = first_schema(tmp_path / "old.db")
    with pytest.raises(CopyRefusedError, match="run 'felhom-hub migrate'"):
        migrate_data.prepare(old, pg, force=False)
    with pg.read() as conn:  # the target was not touched (not even migrated)
        assert store_copy.tables(conn) == set()
        assert "schema_migrations" not in inspect(conn).get_table_names()
    old.dispose()


def test_a_target_newer_than_this_hub_is_refused(hub: Database, pg: Database) -> None:
    pg.migrate()
    with pg.write() as conn:
        conn.exec_driver_sql("INSERT INTO schema_migrations VALUES (9999, 'future', 'x')")
    with pytest.raises(CopyRefusedError, match="newer than this felhom-hub"):
        migrate_data.prepare(hub, pg, force=True)


def test_a_table_the_copy_does_not_know_is_refused(hub: Database, pg: Database) -> None:
    with hub.write() as conn:
        conn.exec_driver_sql("CREATE TABLE surprise (id INTEGER PRIMARY KEY)")
    with pytest.raises(CopyRefusedError, match="surprise"):
        migrate_data.prepare(hub, pg, force=False)


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_the_copy_knows_every_table_the_migrations_create(
    engine: str, settings: Settings, request: pytest.FixtureRequest
) -> None:
    if engine == "postgresql":
        db = postgres_database(request.getfixturevalue("postgres_server"))
    else:
        db = Database(settings.server.database_path)
        db.migrate()
    with db.read() as conn:
        assert store_copy.tables(conn) == set(store_copy.TABLES)
        assert {
            name for name in store_copy.TABLES if "id" in store_copy.shape(conn, name).key
        } >= set(store_copy.IDENTITY)
    db.dispose()


def test_pages_of_big_rows_stay_near_the_byte_bound(
    hub: Database, pg: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = "x" * 200_000
    with hub.write() as conn:  # infrastructure backups near the body limit, scaled down
        for _ in range(30):
            conn.exec_driver_sql(
                "INSERT INTO infra_backups (customer_id, received_at, body) VALUES ('acme', ?, ?)",
                (START.isoformat(), big),
            )
    monkeypatch.setattr(store_copy, "PAGE_BYTES", 1_000_000)
    with hub.read() as conn:
        shape = store_copy.shape(conn, "infra_backups")
    sizes = [len(p) for p in store_copy.pages(hub, shape, None, batch_rows=5000)]
    assert sum(sizes) == 31 and sizes[0] == store_copy.FIRST_PAGE
    assert max(sizes[1:]) == 1_000_000 // 200_000
    assert all(c.equal for c in copied(hub, pg))


def test_text_with_nul_hashes_as_postgresql_stores_it(hub: Database, pg: Database) -> None:
    with hub.write() as conn:
        conn.exec_driver_sql("UPDATE events SET message = 'a' || char(0) || 'b' WHERE id = 1")
    assert all(c.equal for c in copied(hub, pg))
    with pg.read() as conn:
        [[message]] = conn.exec_driver_sql("SELECT message FROM events WHERE id = 1")
    assert message == "a\ufffdb"
