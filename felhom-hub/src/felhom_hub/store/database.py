"""The database: a SQLite file (the default) or a PostgreSQL server (``storage.url``).

The engine's own parts live beside it: ``store/sqlite.py`` (WAL, synchronous=NORMAL, busy
timeout, foreign keys, explicit transactions) and ``store/postgres.py``, each a ``Backend``.

``Database.write()`` opens ``BEGIN IMMEDIATE`` so a writer takes the lock up front (a deferred
transaction that later upgrades to a write can fail with SQLITE_BUSY without waiting);
``Database.read()`` opens a transaction that sees one snapshot (SQLite's deferred one; on
PostgreSQL with the backend's ``read_options``, REPEATABLE READ). A write
context commits on a clean exit: when the caller's ``with`` block ends, the row is durable
against a crash of this process — unless the file under it was deleted or replaced, which
``write()`` checks before and after the commit (see ``store/faults.py``).

The request handlers never wait for a lock on the event loop: ``reading`` runs a function on a
worker thread; ``writing`` queues it for the group commit (``store/writer.py``), which commits
the writes of one loop turn together, on the loop when this process holds no write, else on
its writer thread.

PostgreSQL (``store/postgres.py``) shares all of this but the file checks, the checkpointer
and the busy handling; its commits wait for the server's disk, so a batch never runs on the
loop there. Whatever the engine, a write returns only after its COMMIT succeeded.
"""

import asyncio
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Protocol, TypeVar

import anyio.to_thread
from sqlalchemy import URL, Connection, Engine, event
from sqlalchemy.exc import DBAPIError, OperationalError

from felhom_hub.store import reports
from felhom_hub.store.checkpointer import Checkpointer
from felhom_hub.store.faults import FaultKind, FileIdentity, StorageFault
from felhom_hub.store.migrate import apply_migrations
from felhom_hub.store.postgres import PostgresDatabase
from felhom_hub.store.sqlite import BUSY_TIMEOUT_MS, SqliteFile
from felhom_hub.store.writer import WriteBusyError, Writer

# Reads are Python work (building rows) holding the GIL: more threads than this add no
# throughput, and each one more competes with the event loop for the GIL (/healthz p99 while
# four clients poll 1,000-row pages: bench/README.md).
READ_THREADS = 2
T = TypeVar("T")
# Faults that a successful probe proves gone (the file opens again; the server answers again).
_PROBE_CLEARS = {FaultKind.UNREADABLE, FaultKind.UNAVAILABLE, FaultKind.REFUSED}


class Backend(Protocol):
    """What differs between the engines (``SqliteFile``, ``PostgresDatabase``)."""

    kind: str  # shown by /healthz
    inline_writes: bool
    read_options: Mapping[str, str]  # execution options of a read transaction

    def describe(self) -> str: ...
    def engine(self) -> Engine: ...
    def classify(self, error: BaseException | None) -> StorageFault | None: ...
    def probe(self, engine: Engine) -> StorageFault | None: ...
    def size_bytes(self) -> int: ...


class Database:
    """``Database(path)`` for a SQLite file; ``Database(url=…, password=…)`` for PostgreSQL
    (a ``sqlite:///…`` URL is a file too)."""

    def __init__(
        self, path: Path | None = None, *, url: URL | None = None, password: str | None = None
    ) -> None:
        if url is not None and url.get_backend_name() == "sqlite":
            path, url = Path(url.database or ""), None
        self.url, self.path = url, path
        self.backend: Backend
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.backend = SqliteFile(path)
        elif url is not None:
            self.backend = PostgresDatabase(url, password)
        else:
            raise ValueError("a database needs a path or a URL")
        self.engine: Engine = self._engine()
        self.identity: FileIdentity | None = None
        self.fault: StorageFault | None = None
        self.write_lock = threading.Lock()
        self._writer_conn: Connection | None = None  # used only under write_lock
        self._read_limiters: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, anyio.CapacityLimiter
        ] = weakref.WeakKeyDictionary()
        self.writer = Writer(self)
        self.checkpointer = None if path is None else Checkpointer(path, BUSY_TIMEOUT_MS)

    @property
    def kind(self) -> str:
        """The engine: ``sqlite`` or ``postgresql`` (shown by /healthz)."""
        return self.backend.kind

    @property
    def inline_writes(self) -> bool:
        """Whether a write batch may commit on the event loop (SQLite's commit does not wait
        for the disk with synchronous=NORMAL; PostgreSQL's waits for the server's)."""
        return self.backend.inline_writes

    def describe(self) -> str:
        """Where the data lives, safe to print (a URL without its password)."""
        return self.backend.describe()

    def _engine(self) -> Engine:
        engine = self.backend.engine()
        for undone in ("rollback", "rollback_savepoint"):
            event.listen(engine, undone, reports.forget_dictionaries)
        return engine

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction, committed when the block exits cleanly, rolled back otherwise.

        Raises StorageFault when the database cannot take the write durably.
        """
        # One writer at a time in this process: waiting on a Python lock wakes at once, while
        # threads racing for SQLite's lock sleep in its busy handler's growing steps.
        with self.write_lock, self.locked_write() as conn:
            yield conn

    @contextmanager
    def locked_write(self, *, wait: bool = True) -> Iterator[Connection]:
        """``write()`` for a caller that already holds ``write_lock`` (the group commit).

        ``wait=False``: raise WriteBusyError at once, before anything runs, when another
        process holds SQLite's write lock (the event loop must not sleep in the busy handler).
        """
        self.check_file()
        with self._faults():
            conn = self._writing_connection()
            try:
                with self._begin(conn, wait):
                    yield conn
            except WriteBusyError:
                raise  # nothing began: the connection is fine
            except BaseException:
                self._drop_writing_connection()  # a failed transaction may have spoilt it
                raise
        # The commit went to the file we opened; make sure that file is still the database.
        self.check_file()
        if self.fault is not None and self.fault.clears_on_write:
            self.fault = None

    @staticmethod
    def _begin(conn: Connection, wait: bool) -> Any:
        if wait or conn.dialect.name != "sqlite":
            return conn.begin()
        driver = conn.connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        driver.execute("PRAGMA busy_timeout=0")
        try:
            return conn.begin()
        except (OperationalError, sqlite3.OperationalError) as exc:
            # BEGIN runs on the driver (``_on_begin``), so its error may come unwrapped.
            if "locked" in str(getattr(exc, "orig", exc)):
                raise WriteBusyError from None
            raise
        finally:
            driver.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")

    def _writing_connection(self) -> Connection:
        """One connection kept for all writes (they take turns under ``write_lock``): a
        checkout from the pool for every report cost more than its statements."""
        conn = self._writer_conn
        if conn is not None and conn.engine is self.engine:
            return conn
        self._drop_writing_connection()  # the engine was replaced (a restored file)
        conn = self.engine.connect()
        if self.checkpointer is not None:
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            self.checkpointer.start()
        self._writer_conn = conn
        return conn

    def _drop_writing_connection(self) -> None:
        conn, self._writer_conn = self._writer_conn, None
        if conn is not None:
            with suppress(Exception):
                reports.forget_dictionaries(conn)
                conn.close()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read transaction: its statements all see the data as it was at its first."""
        with self._faults(), self.engine.connect() as pooled:
            conn = pooled.execution_options(**self.backend.read_options)
            with conn.begin():
                yield conn

    async def reading(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` in a read transaction on a worker thread (``READ_THREADS`` at most)."""
        loop = asyncio.get_running_loop()
        limiter = self._read_limiters.get(loop)
        if limiter is None:
            limiter = self._read_limiters[loop] = anyio.CapacityLimiter(READ_THREADS)
        return await anyio.to_thread.run_sync(self._call_read, fn, limiter=limiter)

    async def writing(self, fn: Callable[[Connection], T], *, key: str = "") -> T:
        """Run ``fn`` in a write transaction, with the other writes queued in the same turn
        of the event loop (``store/writer.py``); returns after the commit. ``fn`` may run
        twice (alone, after its batch failed), so it must touch only the database. ``key``:
        the customer whose rows it writes (a batch runs in key order: see the writer)."""
        result: T = await self.writer.submit(fn, key)
        return result

    def _call_read(self, fn: Callable[[Connection], T]) -> T:
        with self.read() as conn:
            return fn(conn)

    @contextmanager
    def _faults(self) -> Iterator[None]:
        """Turn the engine's storage errors into a recorded StorageFault."""
        try:
            yield
        except (DBAPIError, sqlite3.Error) as exc:
            error = exc.orig if isinstance(exc, DBAPIError) else exc
            fault = self.backend.classify(error)
            if fault is None:
                raise
            self.fault = fault
            raise fault from None

    def check_file(self) -> None:
        """Raise StorageFault when the path no longer names the file this engine opened.

        A file restored in its place (a new, readable database) is adopted: the pool is
        dropped and the fault cleared. (A PostgreSQL server has no file to check.)
        """
        if self.path is None:
            return
        current = FileIdentity.of(self.path)
        if self.identity is None:
            self.identity = current
            return
        if current == self.identity:
            return
        if current is not None and self._probe() is None:
            if self.checkpointer is not None:  # it holds the old file; the next write restarts it
                self.checkpointer.stop()
            self.engine.dispose()
            self.engine = self._engine()
            self.identity, self.fault = current, None
            return
        kind = FaultKind.MISSING if current is None else FaultKind.REPLACED
        self.fault = StorageFault(kind)
        raise self.fault

    def _probe(self) -> StorageFault | None:
        """Open the file (or query the server) afresh and read the schema table: None when
        that works."""
        return self.backend.probe(self.engine)

    def ping(self) -> StorageFault | None:
        """None when the database is usable; else what is wrong (also remembered in ``fault``).

        A new connection (not a pooled one) is used, so a deleted, replaced or corrupted
        file is noticed even while pooled connections still hold the old one open.
        """
        try:
            self.check_file()
        except StorageFault as fault:
            return fault
        found = self._probe()
        if found is not None:
            self.fault = found
        elif self.fault is not None and self.fault.kind in _PROBE_CLEARS:
            self.fault = None
        return self.fault

    def migrate(self) -> list[str]:
        """Apply the numbered migrations not yet applied; return their names."""
        with self.write() as conn:
            return apply_migrations(conn)

    def size_bytes(self) -> int:
        """The database and its WAL on disk (PostgreSQL's: as the last probe found it)."""
        return self.backend.size_bytes()

    def dispose(self) -> None:
        self.writer.stop()
        if self.checkpointer is not None:
            self.checkpointer.stop()
        with self.write_lock:
            self._drop_writing_connection()
        self.engine.dispose()
