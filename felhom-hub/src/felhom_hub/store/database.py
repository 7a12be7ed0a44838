"""The SQLite engine: WAL, synchronous=NORMAL, busy timeout, foreign keys, explicit transactions.

``Database.write()`` opens ``BEGIN IMMEDIATE`` so a writer takes the lock up front (a deferred
transaction that later upgrades to a write can fail with SQLITE_BUSY without waiting);
``Database.read()`` opens a plain deferred transaction for a consistent snapshot. A write
context commits on a clean exit: when the caller's ``with`` block ends, the row is durable
against a crash of this process.
"""

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text

from felhom_hub.clock import utcnow
from felhom_hub.store.schema import to_text

BUSY_TIMEOUT_MS = 5000


class Database:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.engine: Engine = create_engine(f"sqlite:///{path}", pool_size=4, max_overflow=8)
        event.listen(self.engine, "connect", _on_connect)
        event.listen(self.engine, "begin", _on_begin)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction, committed when the block exits cleanly, rolled back otherwise."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def ping(self) -> bool:
        """True when the database file opens afresh and answers a query.

        A new connection (not a pooled one) is used, so a deleted, replaced or corrupted
        file is noticed even while pooled connections still hold the old one open.
        """
        uri = f"file:{self.path}?mode=rw"
        try:
            with closing(sqlite3.connect(uri, uri=True, timeout=2)) as conn:
                conn.execute("SELECT count(*) FROM schema_migrations").fetchone()
        except sqlite3.Error:
            return False
        return True

    def migrate(self) -> list[str]:
        """Apply the numbered migrations not yet applied; return their names."""
        applied: list[str] = []
        with self.write() as conn:
            conn.exec_driver_sql(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            done = set(conn.exec_driver_sql("SELECT version FROM schema_migrations").scalars())
            for version, name, sql in available_migrations():
                if version in done:
                    continue
                for statement in _statements(sql):
                    conn.exec_driver_sql(statement)
                conn.execute(
                    text("INSERT INTO schema_migrations VALUES (:v, :n, :t)"),
                    {"v": version, "n": name, "t": to_text(utcnow())},
                )
                applied.append(name)
        return applied

    def dispose(self) -> None:
        self.engine.dispose()


def available_migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every file in migrations/, ordered by version."""
    folder = resources.files("felhom_hub.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.name, entry.read_text()))
    return sorted(found)


def _statements(sql: str) -> list[str]:
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN itself instead of the driver's implicit one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _on_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    # Straight to the driver: this runs for every transaction, and BEGIN returns no rows.
    conn.connection.driver_connection.execute(f"BEGIN {mode}")  # type: ignore[union-attr]
