"""Group commit: the writes that arrive together share one transaction.

A handler's write is queued, and the queue is drained once per turn of the event loop, so the
writes of every request parsed in that turn commit together: BEGIN, COMMIT and the file checks
cost about as much as a report's own statements (a report's store time fell from ~220 to
~150 us in batches of four; ``bench/README.md``). A batch runs right on the loop when no other
write holds this process's write lock (a hop to a thread costs more than the batch), else it
goes to the writer thread, so the loop never waits for a lock. Callers get their results after
the commit: a result still means "durable". (On PostgreSQL, whose commit waits for the
server's disk, every batch goes to the thread.)

A batch runs in the order of its writes' keys (the customer each writes; stable, so one
customer's writes keep their order). On PostgreSQL several replicas commit batches at once, and
rows locked in one global order cannot deadlock; on SQLite the order changes nothing.

A batch runs without savepoints. If it fails it is rolled back and each of its writes runs
again alone, so a bad write fails only itself; a write function must therefore touch nothing
but the database.
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


class WriteBusyError(Exception):
    """Another process holds SQLite's write lock (raised only by a write that may not wait)."""


@dataclass(frozen=True, slots=True)
class _Job:
    fn: Callable[[Connection], Any]
    future: "asyncio.Future[Any]"
    loop: asyncio.AbstractEventLoop
    key: str


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
        self._queue: queue.SimpleQueue[list[_Job] | None] = queue.SimpleQueue()
        self._pending: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    async def submit(self, fn: Callable[[Connection], Any], key: str = "") -> Any:
        """Run ``fn`` in a write transaction; returns its result once committed."""
        loop = asyncio.get_running_loop()
        job = _Job(fn, loop.create_future(), loop, key)
        pending = self._pending.setdefault(loop, [])
        pending.append(job)
        if len(pending) == 1:
            loop.call_soon(self._flush, loop)
        return await job.future

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        """On the loop, after the handlers that ran this turn queued their writes."""
        batch = self._pending.pop(loop, [])
        if not batch:
            return
        if not self._db.inline_writes or not self._db.write_lock.acquire(blocking=False):
            self._hand_over(batch)
            return
        try:
            self._commit(batch, inline=True)
        except WriteBusyError:  # another process writes: wait for it on the thread instead
            self._hand_over(batch)
        finally:
            self._db.write_lock.release()

    def _hand_over(self, batch: list[_Job]) -> None:
        """Queue the batch for the writer thread, which may wait for the lock."""
        self._start()
        self._queue.put(batch)

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
            batch = list(first)
            while len(batch) < MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.extend(more)
            with self._db.write_lock:
                self._commit(batch, inline=False)

    def _commit(self, batch: list[_Job], *, inline: bool, retry: bool = False) -> None:
        """Run the batch in one transaction (the caller holds the write lock). On the loop
        (``inline``) it raises WriteBusyError, having run nothing, if it would have to wait
        for another process."""
        if len(batch) > 1:
            batch = sorted(batch, key=_by_key)
        try:
            with self._db.locked_write(wait=not inline or retry) as conn:
                results = [job.fn(conn) for job in batch]
        except WriteBusyError:
            raise
        except BaseException as exc:
            if len(batch) > 1:
                log.debug("write batch of %d rolled back (%s); each alone", len(batch), exc)
                for job in batch:  # these wait for the lock: some may commit before another
                    self._commit([job], inline=inline, retry=True)
                return
            _answer(batch[0], None, exc, inline)
            return
        for job, result in zip(batch, results, strict=True):
            _answer(job, result, None, inline)


def _by_key(job: _Job) -> str:
    return job.key


def _answer(job: _Job, result: Any, error: BaseException | None, inline: bool) -> None:
    if inline:  # on the job's own loop
        _settle(job.future, result, error)
    else:
        job.loop.call_soon_threadsafe(_settle, job.future, result, error)
