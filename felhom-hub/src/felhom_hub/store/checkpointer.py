"""WAL checkpoints on their own thread, off the event loop.

SQLite's automatic checkpoint runs inside the commit that pushes the WAL past 1,000 pages, so
every ~100th report's transaction also copied 4 MB into the database file and waited for its
fsync, on whatever thread committed (the event loop, for the group commit). Connections run
with ``wal_autocheckpoint=0`` instead, and this thread checkpoints every ``INTERVAL`` in
PASSIVE mode, which never waits for readers or writers. If it falls behind (a long read pins
old frames), the WAL grows until a pass completes; SQLite then reuses the file from the start.
A connection that closes last still checkpoints, as SQLite always does.
"""

import logging
import sqlite3
import threading
from contextlib import closing
from pathlib import Path

log = logging.getLogger(__name__)
INTERVAL = 1.0  # seconds between passes


class Checkpointer:
    def __init__(self, path: Path, busy_timeout_ms: int) -> None:
        self._path, self._busy_timeout_ms = path, busy_timeout_ms
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(
                    target=self._run, name="hub-checkpoint", daemon=True
                )
                self._thread.start()

    @property
    def running(self) -> bool:
        thread = self._thread
        return thread is not None and thread.is_alive()

    def stop(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join(timeout=30)

    def run_once(self, conn: sqlite3.Connection) -> tuple[int, int]:
        """One PASSIVE checkpoint: (frames in the WAL, frames copied to the database)."""
        _busy, in_wal, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(in_wal), int(copied)

    def _run(self) -> None:
        uri = f"file:{self._path}?mode=rw"
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=self._busy_timeout_ms / 1000)
        except sqlite3.Error as exc:  # the database is gone: the writes will say so
            log.warning("no checkpoints: %s", exc)
            return
        with closing(conn):
            while not self._stop.wait(INTERVAL):
                try:
                    self.run_once(conn)
                except sqlite3.Error as exc:  # a storage fault: the writes report it
                    log.debug("checkpoint failed: %s", exc)
