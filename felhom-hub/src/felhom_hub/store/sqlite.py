"""The SQLite file (the default engine): its connections, its probe and size, its errors.

Connections use WAL, synchronous=NORMAL (a commit does not wait for the disk; a crash of the
machine may lose the last commits, a crash of the hub loses none), a busy timeout, foreign keys,
and no automatic checkpoints (``store/checkpointer.py`` runs them). BEGIN is sent by the
``begin`` event so a writer can ask for ``BEGIN IMMEDIATE``.
"""

import sqlite3
from collections.abc import Mapping
from contextlib import closing, suppress
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event

from felhom_hub.store.faults import FaultKind, StorageFault, classify

BUSY_TIMEOUT_MS = 5000


class SqliteFile:
    """The engine behind ``Database(path)``."""

    kind = "sqlite"
    inline_writes = True  # see Database.inline_writes
    read_options: Mapping[str, str] = {}  # a read transaction is a snapshot already

    def __init__(self, path: Path) -> None:
        self.path = path

    def describe(self) -> str:
        return str(self.path)

    def engine(self) -> Engine:
        created = create_engine(f"sqlite:///{self.path}", pool_size=8, max_overflow=32)
        event.listen(created, "connect", _on_connect)
        event.listen(created, "begin", _on_begin)
        return created

    @staticmethod
    def classify(error: BaseException | None) -> StorageFault | None:
        return classify(error)

    def probe(self, _engine: Engine) -> StorageFault | None:
        """Open the file afresh (not a pooled connection, which may hold a deleted or replaced
        file open) and read the schema table: None when that works."""
        uri = f"file:{self.path}?mode=rw"
        try:
            with closing(sqlite3.connect(uri, uri=True, timeout=2)) as conn:
                conn.execute("SELECT count(*) FROM schema_migrations").fetchone()
        except sqlite3.Error as exc:
            return classify(exc) or StorageFault(FaultKind.UNREADABLE)
        return None

    def size_bytes(self) -> int:
        """The file and its WAL on disk."""
        total = 0
        for suffix in ("", "-wal"):
            with suppress(OSError):
                total += Path(f"{self.path}{suffix}").stat().st_size
        return total


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN itself instead of the driver's implicit one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA wal_autocheckpoint=0")  # store/checkpointer.py does it instead
    cursor.close()


def _on_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    # Straight to the driver: this runs for every transaction, and BEGIN returns no rows.
    conn.connection.driver_connection.execute(f"BEGIN {mode}")  # type: ignore[union-attr]
