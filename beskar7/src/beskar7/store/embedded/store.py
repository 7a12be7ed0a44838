"""The embedded object store: the Store protocol on one SQLite file, no cluster needed.

Several processes may share the file (see embedded/schema.py for locking, ordering and
durability). Each store runs every sqlite call on its own worker thread, one at a time and in
submission order, so the async API never blocks the event loop. Watchers poll the change log
(for other processes' writes) and are woken at once by writes made through the same store.
"""

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from typing import TypeVar

from beskar7.api.errors import (
    AlreadyExistsError,
    FieldIssue,
    InvalidError,
    UnavailableError,
)
from beskar7.api.kinds import ALL_KINDS, Kind, Obj
from beskar7.store import selectors
from beskar7.store.embedded import rules
from beskar7.store.embedded import schema as db
from beskar7.store.merge_patch import merge_patch
from beskar7.store.protocol import EventType, LabelSelector, ObjectList, WatchEvent

T = TypeVar("T")
Validator = Callable[[Kind, Obj], Obj]
_Bodies = list[str]  # aliases: inside the class `list` is the method
_Changes = list[db.Change]

_WATCH_BATCH = 500


class EmbeddedStore:
    """The Store protocol (see store/protocol.py) on a SQLite file at `path`.

    `validate(kind, obj)` sees every object about to be written and returns it normalized or
    raises InvalidError, in which case nothing is written. `retention` is how many change-log
    entries are kept for watchers; older resourceVersions raise GoneError. `poll_interval` is
    how often watchers look for other processes' writes; `busy_timeout` how long a write waits
    for another process's transaction; `kinds` are the kinds `create`/`update` recognize by
    apiVersion and kind. Parent directories of `path` are created. Use `close()` (or
    `async with`) to release the file.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        validate: Validator | None = None,
        retention: int = 10_000,
        poll_interval: float = 0.1,
        busy_timeout: float = 30.0,
        kinds: Iterable[Kind] = ALL_KINDS,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._validate = validate
        self._retention = max(1, retention)
        self._poll_interval = poll_interval
        self._kinds = tuple(kinds)
        self._closed = False
        self._wakers: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"store:{self.path.name}")
        self._conn_future = self._executor.submit(db.connect, self.path, busy_timeout)

    # -- plumbing --------------------------------------------------------------------------

    @property
    def _conn(self) -> sqlite3.Connection:
        """The connection; only used on the worker thread, where it is ready (or failed)."""
        return self._conn_future.result()

    async def _call(self, fn: Callable[..., T], *args: object) -> T:
        if self._closed:
            raise UnavailableError(f"store {self.path} is closed")
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, fn, *args)
        except sqlite3.Error as e:
            raise UnavailableError(f"store {self.path}: {e}") from e

    def _wake(self) -> None:
        """Tell this store's watchers there is news (from whichever loop or thread)."""
        for loop, event in list(self._wakers):
            with suppress(RuntimeError):  # that loop has been closed
                loop.call_soon_threadsafe(event.set)

    def _kind_of(self, obj: Obj) -> Kind:
        api_version, name = obj.get("apiVersion"), obj.get("kind")
        for k in self._kinds:
            if k.kind == name and k.api_version == api_version:
                return k
        raise InvalidError(
            f"object {obj.get('metadata', {}).get('name')!r}",
            [FieldIssue("kind", f"unknown kind {api_version}/{name}")],
        )

    def _checked(self, kind: Kind, candidate: Obj) -> Obj:
        """The validator's normalized object, server-managed metadata kept as the store set it."""
        if self._validate is None:
            return candidate
        kept = dict(candidate["metadata"])  # the validator may hand back `candidate` itself
        result = self._validate(kind, candidate)
        meta = result.setdefault("metadata", {})
        for key in ("name", "namespace", *rules.SERVER_FIELDS):
            meta.pop(key, None)
            if key in kept:
                meta[key] = kept[key]
        result["apiVersion"], result["kind"] = kind.api_version, kind.kind
        return result

    # -- reads -----------------------------------------------------------------------------

    async def get(self, kind: Kind, namespace: str, name: str) -> Obj:
        return await self._call(self._get_sync, kind.key, namespace, name)

    def _get_sync(self, kind: str, namespace: str, name: str) -> Obj:
        return db.load(self._conn, kind, namespace, name)

    async def list(
        self, kind: Kind, namespace: str | None = None, labels: LabelSelector = None
    ) -> ObjectList:
        selector = selectors.parse(labels)
        bodies, version = await self._call(self._list_sync, kind.key, namespace)
        items = [json.loads(b) for b in bodies]
        return ObjectList(
            items=[o for o in items if selector.matches(o["metadata"].get("labels") or {})],
            resource_version=str(version),
        )

    def _list_sync(self, kind: str, namespace: str | None) -> tuple[_Bodies, int]:
        conn = self._conn
        return db.read_transaction(
            conn, lambda: (db.list_bodies(conn, kind, namespace), db.current_version(conn))
        )

    # -- writes ----------------------------------------------------------------------------

    async def create(self, obj: Obj) -> Obj:
        kind = self._kind_of(obj)
        result = await self._call(self._create_sync, kind, obj)
        self._wake()
        return result

    def _create_sync(self, kind: Kind, obj: Obj) -> Obj:
        new = self._checked(kind, rules.prepare_create(kind, obj))
        meta = new["metadata"]
        namespace, name = meta.get("namespace", ""), meta["name"]
        with db.write_transaction(self._conn):
            if db.exists(self._conn, kind.key, namespace, name):
                raise AlreadyExistsError(f"{kind.kind} {namespace}/{name} already exists")
            return db.record(self._conn, kind.key, "ADDED", new, retention=self._retention)

    async def update(self, obj: Obj) -> Obj:
        kind = self._kind_of(obj)
        meta = obj.get("metadata") or {}
        namespace = meta.get("namespace") or ("default" if kind.namespaced else "")
        wanted = meta.get("resourceVersion")

        def change(old: Obj) -> Obj:
            rules.check_version(kind, old, wanted, required=True)
            return rules.prepare_update(kind, old, obj)

        return await self._modify(kind, namespace, str(meta.get("name", "")), change)

    async def patch(self, kind: Kind, namespace: str, name: str, patch: Obj) -> Obj:
        def change(old: Obj) -> Obj:
            rules.check_version(kind, old, _precondition(patch), required=False)
            return rules.prepare_update(kind, old, merge_patch(old, patch))

        return await self._modify(kind, namespace, name, change)

    async def patch_status(self, kind: Kind, namespace: str, name: str, patch: Obj) -> Obj:
        def change(old: Obj) -> Obj:
            rules.check_version(kind, old, _precondition(patch), required=False)
            status_patch = {"status": patch["status"]} if "status" in patch else {}
            return rules.prepare_status(old, merge_patch(old, status_patch))

        return await self._modify(kind, namespace, name, change)

    async def _modify(
        self, kind: Kind, namespace: str, name: str, change: Callable[[Obj], Obj]
    ) -> Obj:
        result, written = await self._call(self._modify_sync, kind, namespace, name, change)
        if written:
            self._wake()
        return result

    def _modify_sync(
        self, kind: Kind, namespace: str, name: str, change: Callable[[Obj], Obj]
    ) -> tuple[Obj, bool]:
        conn = self._conn
        with db.write_transaction(conn):
            old = db.load(conn, kind.key, namespace, name)
            new = self._checked(kind, change(old))
            new["metadata"]["generation"] = rules.next_generation(old, new)
            if new == old:
                return new, False  # nothing changed: no new resourceVersion, no event
            event: EventType = "DELETED" if rules.is_finished(new) else "MODIFIED"
            return db.record(conn, kind.key, event, new, retention=self._retention), True

    async def delete(self, kind: Kind, namespace: str, name: str) -> Obj | None:
        result, written = await self._call(self._delete_sync, kind, namespace, name)
        if written:
            self._wake()
        return result

    def _delete_sync(self, kind: Kind, namespace: str, name: str) -> tuple[Obj | None, bool]:
        conn = self._conn
        with db.write_transaction(conn):
            old = db.load(conn, kind.key, namespace, name)
            if not rules.finalizers(old):
                db.record(conn, kind.key, "DELETED", old, retention=self._retention)
                return None, True
            if old["metadata"].get("deletionTimestamp"):
                return old, False
            new = rules.mark_deleting(old)
            return db.record(conn, kind.key, "MODIFIED", new, retention=self._retention), True

    # -- watch -----------------------------------------------------------------------------

    def watch(
        self, kind: Kind, namespace: str | None = None, resource_version: str | None = None
    ) -> AsyncIterator[WatchEvent]:
        """Every change of `kind` after `resource_version` (from now when None), in order.

        "Now" is fixed when watch() is called: the query is queued on the worker thread
        ahead of any write this process submits afterwards. GoneError (a compacted version)
        is raised by the first step of the iteration.
        """
        if self._closed:
            raise UnavailableError(f"store {self.path} is closed")
        loop = asyncio.get_running_loop()
        start: asyncio.Future[int]
        if resource_version is None:
            start = loop.run_in_executor(self._executor, self._version_sync)
        else:
            start = loop.create_future()
            start.set_result(_parse_version(resource_version))
        return self._follow(kind, namespace, start)

    def _version_sync(self) -> int:
        return db.current_version(self._conn)

    async def _follow(
        self, kind: Kind, namespace: str | None, start: "asyncio.Future[int]"
    ) -> AsyncIterator[WatchEvent]:
        loop = asyncio.get_running_loop()
        waker = (loop, asyncio.Event())
        self._wakers.add(waker)
        try:
            last = await start
            while not self._closed:
                waker[1].clear()
                try:
                    batch = await self._call(self._changes_sync, kind.key, namespace, last)
                except UnavailableError:
                    if self.closed:
                        return
                    raise
                for change in batch:
                    last = change.id
                    yield WatchEvent(change.type, json.loads(change.body))
                if len(batch) < _WATCH_BATCH:
                    # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
                    with suppress(TimeoutError):
                        async with asyncio.timeout(self._poll_interval):
                            await waker[1].wait()
        finally:
            self._wakers.discard(waker)

    def _changes_sync(self, kind: str, namespace: str | None, after: int) -> _Changes:
        return db.changes_after(self._conn, kind, namespace, after, _WATCH_BATCH)

    # -- lifetime --------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    async def __aenter__(self) -> "EmbeddedStore":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Release the file; watchers end, later calls raise UnavailableError."""
        if self._closed:
            return
        self._closed = True
        self._wake()
        loop = asyncio.get_running_loop()
        with suppress(Exception):
            await loop.run_in_executor(self._executor, self._close_sync)
        self._executor.shutdown(wait=False)

    def _close_sync(self) -> None:
        self._conn.close()


def _precondition(patch: Obj) -> object:
    meta = patch.get("metadata")
    return meta.get("resourceVersion") if isinstance(meta, dict) else None


def _parse_version(value: str) -> int:
    try:
        version = int(value or "0")
    except ValueError:
        raise InvalidError(
            "watch", [FieldIssue("resourceVersion", f"not a resourceVersion: {value!r}")]
        ) from None
    return max(version, 0)
