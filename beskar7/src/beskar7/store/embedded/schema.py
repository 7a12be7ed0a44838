"""The embedded store's SQLite file: schema, connection settings and the row-level operations.

Everything here is synchronous and runs on the store's one worker thread.

Two tables: `objects` holds the current state (one row per kind/namespace/name) and `changes` is
the change log watchers read. Every write happens in one `BEGIN IMMEDIATE` transaction that
takes the next resourceVersion from the `meta` counter, appends the change row under that id and
updates the object row. `BEGIN IMMEDIATE` takes the database's single write lock before reading,
so writers (threads or processes) are serialized and commit in resourceVersion order: once a
reader sees change N, every change below N is already committed. A watcher that reads
`id > last` therefore never skips an entry that commits later.

Durability: WAL with `synchronous=NORMAL` hands every committed transaction to the operating
system before COMMIT returns, so acknowledged writes survive the process being killed
(SIGKILL included); only a power loss or kernel crash can lose the last few commits.
"""

import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from beskar7.api.errors import GoneError, NotFoundError
from beskar7.api.kinds import Obj
from beskar7.store.protocol import EventType

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (key, value) VALUES ('resource_version', 0), ('compacted', 0);
CREATE TABLE IF NOT EXISTS objects (
    kind TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, namespace, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    kind TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_by_kind ON changes (kind, id);
"""


@dataclass(frozen=True)
class Change:
    id: int
    type: EventType
    body: str


def connect(path: Path, busy_timeout: float) -> sqlite3.Connection:
    """Open (and create when new) the store file with the settings every process must share."""
    conn = sqlite3.connect(
        path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
    )
    conn.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
    _enable_wal(conn, busy_timeout)
    conn.execute("PRAGMA synchronous=NORMAL")
    with write_transaction(conn):
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                conn.execute(statement)
    return conn


def _enable_wal(conn: sqlite3.Connection, busy_timeout: float) -> None:
    """Switch a new file to WAL. Several processes opening a brand-new file at once race for
    this, and SQLite answers "database is locked" without waiting, so retry (bounded)."""
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One serialized write: takes the write lock first, rolls back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def read_transaction(conn: sqlite3.Connection, fn: Callable[[], T]) -> T:
    """Run several reads on one snapshot of the file."""
    conn.execute("BEGIN")
    try:
        return fn()
    finally:
        conn.execute("COMMIT")


def dumps(obj: Obj) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def load(conn: sqlite3.Connection, kind: str, namespace: str, name: str) -> Obj:
    row = conn.execute(
        "SELECT body FROM objects WHERE kind = ? AND namespace = ? AND name = ?",
        (kind, namespace, name),
    ).fetchone()
    if row is None:
        raise NotFoundError(f"{kind} {namespace}/{name} not found".replace(" /", " "))
    body: Obj = json.loads(row[0])
    return body


def exists(conn: sqlite3.Connection, kind: str, namespace: str, name: str) -> bool:
    row = conn.execute(
        "SELECT 1 FROM objects WHERE kind = ? AND namespace = ? AND name = ?",
        (kind, namespace, name),
    ).fetchone()
    return row is not None


def current_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'resource_version'").fetchone()
    return int(row[0])


def list_bodies(conn: sqlite3.Connection, kind: str, namespace: str | None) -> list[str]:
    if namespace is None:
        rows = conn.execute(
            "SELECT body FROM objects WHERE kind = ? ORDER BY namespace, name", (kind,)
        )
    else:
        rows = conn.execute(
            "SELECT body FROM objects WHERE kind = ? AND namespace = ? ORDER BY name",
            (kind, namespace),
        )
    return [body for (body,) in rows]


def record(
    conn: sqlite3.Connection, kind: str, event: EventType, obj: Obj, *, retention: int
) -> Obj:
    """Inside a write transaction: stamp the next resourceVersion on `obj`, log the change and
    store (or, for DELETED, remove) the object row. Returns `obj`."""
    (version,) = conn.execute(
        "UPDATE meta SET value = value + 1 WHERE key = 'resource_version' RETURNING value"
    ).fetchone()
    meta = obj["metadata"]
    meta["resourceVersion"] = str(version)
    namespace, name = meta.get("namespace", ""), meta["name"]
    body = dumps(obj)
    conn.execute(
        "INSERT INTO changes (id, type, kind, namespace, name, body) VALUES (?, ?, ?, ?, ?, ?)",
        (version, event, kind, namespace, name, body),
    )
    if event == "DELETED":
        conn.execute(
            "DELETE FROM objects WHERE kind = ? AND namespace = ? AND name = ?",
            (kind, namespace, name),
        )
    else:
        conn.execute(
            "INSERT INTO objects (kind, namespace, name, body) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (kind, namespace, name) DO UPDATE SET body = excluded.body",
            (kind, namespace, name, body),
        )
    if version % _compaction_period(retention) == 0:
        _compact(conn, version - retention)
    return obj


def _compaction_period(retention: int) -> int:
    """How often to trim the log: often enough that it never holds much over `retention`."""
    return max(1, min(1000, retention // 10))


def _compact(conn: sqlite3.Connection, through: int) -> None:
    if through <= 0:
        return
    conn.execute("DELETE FROM changes WHERE id <= ?", (through,))
    conn.execute("UPDATE meta SET value = max(value, ?) WHERE key = 'compacted'", (through,))


def changes_after(
    conn: sqlite3.Connection, kind: str, namespace: str | None, after: int, limit: int
) -> list[Change]:
    """The next changes of a kind after resourceVersion `after`, oldest first; GoneError when
    the log no longer holds all of them."""

    def read() -> list[Change]:
        (compacted,) = conn.execute("SELECT value FROM meta WHERE key = 'compacted'").fetchone()
        if after < compacted:
            raise GoneError(f"resourceVersion {after} is older than the oldest kept ({compacted})")
        sql = "SELECT id, type, body FROM changes WHERE kind = ? AND id > ?"
        args: tuple[object, ...] = (kind, after)
        if namespace is not None:
            sql += " AND namespace = ?"
            args += (namespace,)
        rows = conn.execute(sql + " ORDER BY id LIMIT ?", (*args, limit))
        return [Change(id, type_, body) for id, type_, body in rows]

    return read_transaction(conn, read)
