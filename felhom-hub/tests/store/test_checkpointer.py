"""WAL checkpoints run on the checkpointer's thread, not in the committing write."""

import time

import pytest

from felhom_hub.store import Database
from felhom_hub.store.checkpointer import Checkpointer
from tests.conftest import file_of

pytestmark = pytest.mark.sqlite_only  # SQLite's WAL


def checkpointer(db: Database) -> Checkpointer:
    assert db.checkpointer is not None
    return db.checkpointer


def fill(db: Database, megabytes: int) -> None:
    with db.write() as conn:
        conn.exec_driver_sql("CREATE TABLE blob (b BLOB)")
    for _ in range(megabytes):
        with db.write() as conn:
            for _ in range(16):
                conn.exec_driver_sql("INSERT INTO blob VALUES (randomblob(65536))")


def test_commits_leave_the_copy_to_the_thread(db: Database) -> None:
    with db.read() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == 0
    fill(db, 6)
    deadline = time.monotonic() + 10
    while file_of(db).stat().st_size < 5 << 20 and time.monotonic() < deadline:
        time.sleep(0.1)
    # Without the thread the 6 MB would still be in the WAL: no commit checkpoints any more.
    assert file_of(db).stat().st_size >= 5 << 20


def test_dispose_stops_the_thread(db: Database) -> None:
    fill(db, 1)
    assert checkpointer(db).running
    db.dispose()
    assert not checkpointer(db).running
