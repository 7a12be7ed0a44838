"""Group commit: one writer thread runs queued write functions, many per transaction.

Handlers must not write on the event loop (a write can wait for SQLite's lock), and a worker
thread per write spends more time handing the GIL back and forth than writing (measured: ~500
writes/s against ~1,500 inline). So writes go to one thread that drains its queue and runs what
it found in one ``BEGIN IMMEDIATE`` transaction, each function in its own savepoint (one that
fails rolls back alone), then answers every caller after the commit: a result still means
"durable", and a commit that fails fails every write in the batch.
"""

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

if TYPE_CHECKING:
    from felhom_hub.store.database import Database

log = logging.getLogger(__name__)
MAX_BATCH = 256


@dataclass(frozen=True, slots=True)
class _Job:
    fn: Callable[[Connection], Any]
    future: "asyncio.Future[Any]"
    loop: asyncio.AbstractEventLoop


def _settle(future: "asyncio.Future[Any]", result: Any, error: BaseException | None) -> None:
    if future.done():  # the caller went away (its request was cancelled)
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class Writer:
    def __init__(self, db: "Database") -> None:
        self._db = db
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    async def submit(self, fn: Callable[[Connection], Any]) -> Any:
        """Run ``fn`` in a write transaction; returns its result once committed."""
        self._start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._queue.put(_Job(fn, future, loop))
        return await future

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="hub-writer", daemon=True)
                self._thread.start()

    def stop(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.append(job)
            self._commit(batch)

    def _commit(self, batch: list[_Job]) -> None:
        outcomes: list[tuple[Any, BaseException | None]] = []
        try:
            with self._db.write() as conn:
                for job in batch:
                    outcomes.append(_one(conn, job, alone=len(batch) == 1))
        except BaseException as exc:  # the commit failed: nothing in the batch is durable
            log.debug("write batch of %d failed: %s", len(batch), exc)
            outcomes = [(None, exc)] * len(batch)
        for job, (result, error) in zip(batch, outcomes, strict=True):
            job.loop.call_soon_threadsafe(_settle, job.future, result, error)


def _one(conn: Connection, job: _Job, alone: bool) -> tuple[Any, BaseException | None]:
    if alone:  # no savepoint: the transaction is this job's, and an error rolls it back
        return job.fn(conn), None
    savepoint = conn.begin_nested()
    try:
        result = job.fn(conn)
    except Exception as exc:
        savepoint.rollback()
        return None, exc
    savepoint.commit()
    return result, None
