"""The PostgreSQL engine (psycopg 3): connections, the health probe, and its errors as faults.

Transactions are READ COMMITTED (PostgreSQL's default). Writes that read before they write
lock what they read (``store/ingest.py``), and state changes are compare-and-set, so several
replicas writing at once keep the guarantees the single SQLite writer gave. The password never
appears in the URL the hub logs or shows: it is passed to the driver separately.
"""

from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg.types.string import StrBinaryDumper, StrDumperUnknown
from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError

from felhom_hub.store.faults import FaultKind, StorageFault

CONNECT_TIMEOUT_S = 5
# A read transaction sees one snapshot, as SQLite's does: READ COMMITTED would give each
# statement its own, and a page read in several statements (the status counts, then each
# status's rows) could show a customer twice or not at all. Read-only, it never fails to
# serialize; writes stay READ COMMITTED.
READ_OPTIONS: dict[str, str] = {"isolation_level": "REPEATABLE READ"}
# Writes go through one connection per process (store/database.py); reads through the rest.
POOL_SIZE = 8
POOL_OVERFLOW = 8


class PostgresDatabase:
    """The engine behind ``Database(url=…, password=…)``."""

    kind = "postgresql"
    inline_writes = False  # a commit waits for the server's disk (see Database.inline_writes)
    read_options: Mapping[str, str] = READ_OPTIONS

    def __init__(self, url: URL, password: str | None) -> None:
        self.url = url
        self._password = password
        self._bytes = 0  # the database's size, as the last probe found it

    def describe(self) -> str:
        return self.url.render_as_string(hide_password=True)

    def engine(self) -> Engine:
        return engine(self.url, self._password)

    @staticmethod
    def classify(error: BaseException | None) -> StorageFault | None:
        return classify(error)

    def probe(self, engine: Engine) -> StorageFault | None:
        fault, self._bytes = probe(engine)
        return fault

    def size_bytes(self) -> int:
        return self._bytes


def engine(url: URL, password: str | None) -> Engine:
    created = create_engine(
        url.set(drivername="postgresql+psycopg"),
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
        pool_recycle=3600,
        connect_args=_connect_args(password),
        hide_parameters=True,  # bound values (report bodies, hashes) stay out of errors
        # An INSERT's rowcount ("did ON CONFLICT DO NOTHING insert?") is read after psycopg's
        # cursor closed, which loses it unless SQLAlchemy keeps it.
        execution_options={"preserve_rowcount": True},
    )
    event.listen(created, "connect", _on_connect)
    return created


# PostgreSQL's text cannot hold NUL, which SQLite stores and the hub accepts in a controller's
# strings (a hostname, an event message). Stored as U+FFFD instead, they never fail a write;
# the report itself is kept byte for byte (bodies are bytea).
_NUL, _REPLACEMENT = "\x00", "\ufffd"


class _NulSafeText(StrDumperUnknown):
    def dump(self, obj: str) -> Any:
        return super().dump(obj.replace(_NUL, _REPLACEMENT))


class _NulSafeBinary(StrBinaryDumper):
    def dump(self, obj: str) -> Any:
        return super().dump(obj.replace(_NUL, _REPLACEMENT))


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.adapters.register_dumper(str, _NulSafeText)
    dbapi_connection.adapters.register_dumper(str, _NulSafeBinary)


def _connect_args(password: str | None) -> dict[str, object]:
    args: dict[str, object] = {
        "connect_timeout": CONNECT_TIMEOUT_S,
        "application_name": "felhom-hub",
    }
    if password is not None:
        args["password"] = password
    return args


def probe(engine: Engine) -> tuple[StorageFault | None, int]:
    """Read the schema table on a pooled connection (a lost server fails it, and the pool
    then connects afresh): (None, database bytes) when that works."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM schema_migrations").scalar_one()
            size = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar()
    except DBAPIError as exc:
        return classify(exc.orig) or StorageFault(FaultKind.UNAVAILABLE), 0
    return None, int(size or 0)


# SQLSTATE classes and codes that are the database's condition, not the caller's bug.
_STATES = {
    "53100": FaultKind.FULL,  # disk_full
    "53200": FaultKind.FULL,  # out_of_memory
    "25006": FaultKind.READ_ONLY,  # read_only_sql_transaction (a hot standby)
    "XX001": FaultKind.CORRUPT,  # data_corrupted
    "XX002": FaultKind.CORRUPT,  # index_corrupted
    "40001": FaultKind.BUSY,  # serialization_failure
    "40P01": FaultKind.BUSY,  # deadlock_detected
    "55P03": FaultKind.BUSY,  # lock_not_available
    "3D000": FaultKind.UNREADABLE,  # invalid_catalog_name: no such database
}
_CLASSES = {
    "08": FaultKind.UNAVAILABLE,  # connection exception
    "57": FaultKind.UNAVAILABLE,  # operator intervention (shutdown, cannot connect now)
    "53": FaultKind.FULL,  # insufficient resources
    "58": FaultKind.IO,  # system error (I/O)
    "28": FaultKind.REFUSED,  # invalid authorization (wrong password, no such role)
}


def classify(error: BaseException | None) -> StorageFault | None:
    """The fault behind a psycopg error, or None for errors that are the caller's bug."""
    if not isinstance(error, psycopg.Error):
        return None
    state = error.sqlstate
    if state is None:  # a failed connection: libpq gives only the server's words
        if not isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
            return None
        text = str(error)
        said = (k for words, k in _CONNECT_FAILURES if words in text)
        return StorageFault(next(said, FaultKind.UNAVAILABLE))
    found = _STATES.get(state) or _CLASSES.get(state[:2])
    return None if found is None else StorageFault(found)


# What a refused connection says (the server's English messages; anything else, or another
# language, is UNAVAILABLE: the server did not let the hub in).
_CONNECT_FAILURES = (
    ("password authentication failed", FaultKind.REFUSED),
    ("no pg_hba.conf entry", FaultKind.REFUSED),
    ('role "', FaultKind.REFUSED),  # role "x" does not exist
    ('database "', FaultKind.UNREADABLE),  # database "x" does not exist
)
