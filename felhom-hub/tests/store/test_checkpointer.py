"""WAL checkpoints run on the checkpointer's thread, not in the committing write."""

import time

from felhom_hub.store import Database


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
    while db.path.stat().st_size < 5 << 20 and time.monotonic() < deadline:
        time.sleep(0.1)
    # Without the thread the 6 MB would still be in the WAL: no commit checkpoints any more.
    assert db.path.stat().st_size >= 5 << 20


def test_dispose_stops_the_thread(db: Database) -> None:
    fill(db, 1)
    assert db.checkpointer.running
    db.dispose()
    assert not db.checkpointer.running
