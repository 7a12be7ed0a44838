"""Group commit: writes queued in one loop turn share a transaction; a bad one fails alone;
with the write lock taken elsewhere they go to the writer thread; nothing is answered before
its commit."""

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Connection, event, text

from felhom_hub.store import Database
from tests.conftest import file_of


def _insert(value: str) -> Callable[[Connection], str]:
    def write(conn: Connection) -> str:
        conn.execute(text("INSERT INTO kv (v) VALUES (:v)"), {"v": value})
        return value

    return write


def _fail(conn: Connection) -> None:
    conn.exec_driver_sql("INSERT INTO kv (v) VALUES ('doomed')")
    raise ValueError("this write is refused")


@pytest.fixture
def kv(db: Database) -> Database:
    with db.write() as conn:
        conn.exec_driver_sql("CREATE TABLE kv (v TEXT NOT NULL)")
    return db


def stored(db: Database) -> list[str]:
    with db.read() as conn:
        return sorted(conn.exec_driver_sql("SELECT v FROM kv").scalars())


def count_commits(db: Database) -> list[int]:
    commits: list[int] = []
    event.listen(db.engine, "commit", lambda _conn: commits.append(1))
    return commits


def test_writes_of_one_loop_turn_share_one_commit(kv: Database) -> None:
    commits = count_commits(kv)

    async def main() -> list[str]:
        return await asyncio.gather(*(kv.writing(_insert(f"r{n}")) for n in range(20)))

    assert asyncio.run(main()) == [f"r{n}" for n in range(20)]
    assert len(commits) == 1
    assert stored(kv) == sorted(f"r{n}" for n in range(20))


def test_a_failing_write_fails_alone(kv: Database) -> None:
    async def main() -> Any:
        jobs = [kv.writing(_insert("a")), kv.writing(_fail), kv.writing(_insert("b"))]
        return await asyncio.gather(*jobs, return_exceptions=True)

    first, failed, last = asyncio.run(main())
    assert (first, last) == ("a", "b")
    assert isinstance(failed, ValueError)
    assert stored(kv) == ["a", "b"]  # the failed write's own row was rolled back


def test_writes_wait_for_the_lock_on_the_writer_thread_without_blocking_the_loop(
    kv: Database,
) -> None:
    release = threading.Event()

    def hold_the_lock() -> None:
        with kv.write():
            release.wait(10)

    holder = threading.Thread(target=hold_the_lock)
    holder.start()

    async def main() -> tuple[list[str], int]:
        writes = asyncio.gather(*(kv.writing(_insert(f"w{n}")) for n in range(5)))
        ticks = 0
        while ticks < 20:  # the loop keeps turning while the writes wait
            await asyncio.sleep(0.005)
            ticks += 1
        assert not writes.done()
        assert stored(kv) == []
        release.set()
        return await asyncio.wait_for(writes, 10), ticks

    done, ticks = asyncio.run(main())
    holder.join(10)
    assert done == [f"w{n}" for n in range(5)] and ticks == 20
    assert stored(kv) == [f"w{n}" for n in range(5)]
    kv.writer.stop()


@pytest.mark.sqlite_only  # the trigger is SQLite's
def test_a_database_error_in_one_write_fails_only_that_write(kv: Database) -> None:
    with kv.write() as conn:
        conn.exec_driver_sql(
            "CREATE TRIGGER no_x BEFORE INSERT ON kv WHEN new.v = 'x'"
            " BEGIN SELECT RAISE(ABORT, 'no x'); END"
        )

    async def main() -> Any:
        return await asyncio.gather(
            kv.writing(_insert("x")), kv.writing(_insert("y")), return_exceptions=True
        )

    refused, kept = asyncio.run(main())
    assert isinstance(refused, Exception) and kept == "y"
    assert stored(kv) == ["y"]


@pytest.mark.sqlite_only  # SQLite's database-wide write lock
def test_another_process_holding_the_lock_never_stalls_the_loop(kv: Database) -> None:
    other = sqlite3.connect(file_of(kv), isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # as a second process would (a prune from the CLI)

    async def main() -> tuple[list[str], int]:
        writes = asyncio.gather(*(kv.writing(_insert(f"p{n}")) for n in range(3)))
        ticks = 0
        while ticks < 20:  # no sleep in SQLite's busy handler on the loop: it keeps turning
            await asyncio.sleep(0.005)
            ticks += 1
        assert not writes.done()
        other.execute("COMMIT")
        return await asyncio.wait_for(writes, 10), ticks

    started = time.monotonic()
    done, ticks = asyncio.run(main())
    other.close()
    assert done == ["p0", "p1", "p2"] and ticks == 20
    assert time.monotonic() - started < 3  # the loop's 20 ticks did not wait out a busy timeout
    assert stored(kv) == ["p0", "p1", "p2"]
    kv.writer.stop()


def test_a_batch_runs_in_key_order_keeping_each_keys_own_order(kv: Database) -> None:
    """Replicas on PostgreSQL lock customers' rows in one global order: no deadlock."""
    ran: list[str] = []

    def tracked(value: str) -> Callable[[Connection], str]:
        def write(conn: Connection) -> str:
            ran.append(value)
            return _insert(value)(conn)

        return write

    async def main() -> list[str]:
        submitted = [("b", "b1"), ("a", "a1"), ("c", "c1"), ("b", "b2"), ("a", "a2")]
        return await asyncio.gather(*(kv.writing(tracked(v), key=k) for k, v in submitted))

    assert asyncio.run(main()) == ["b1", "a1", "c1", "b2", "a2"]  # each caller its own result
    assert ran == ["a1", "a2", "b1", "b2", "c1"]
