"""Informers: a list-then-watch cache of one kind that tells handlers about every change.

Each informer lists its kind (per watched namespace, or across all of them), then watches from
the list's resourceVersion. When the watch breaks or the store answers GoneError it lists again
and synthesizes the difference (adds, updates, and deletes of objects that vanished meanwhile),
so handlers see a consistent stream whatever the backend lost. One informer per kind is shared by
every controller (`InformerSet`).
"""

import asyncio
import copy
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from beskar7.api.errors import GoneError
from beskar7.api.kinds import Kind, Obj
from beskar7.runtime.aio import cancel_and_wait, wait_event
from beskar7.store.protocol import Store, WatchEvent, object_key

log = logging.getLogger(__name__)

Handler = Callable[[WatchEvent], None]
"""Called with ADDED/MODIFIED and the new object, or DELETED and the last known object."""

Key = tuple[str, str]


def _version(obj: Obj) -> object:
    return obj.get("metadata", {}).get("resourceVersion")


def _labels_match(obj: Obj, labels: Mapping[str, str] | None) -> bool:
    if not labels:
        return True
    have = obj.get("metadata", {}).get("labels") or {}
    return all(have.get(k) == v for k, v in labels.items())


class Informer:
    """A cache of one kind kept current from the store, with change handlers.

    Objects handed to handlers are the cache's own: read them, never modify them. `get` and
    `list` return copies.
    """

    def __init__(
        self,
        store: Store,
        kind: Kind,
        namespaces: Sequence[str] | None = None,
        *,
        retry_initial: float = 0.2,
        retry_max: float = 30.0,
    ) -> None:
        self.store = store
        self.kind = kind
        self.scopes: list[str | None] = (
            list(dict.fromkeys(namespaces)) if namespaces and kind.namespaced else [None]
        )
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self._objects: dict[Key, Obj] = {}
        self._handlers: list[Handler] = []
        self._synced_scopes: set[str | None] = set()
        self._synced = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    # -- reading ---------------------------------------------------------------------------

    def get(self, namespace: str, name: str) -> Obj | None:
        obj = self._objects.get((namespace, name))
        return copy.deepcopy(obj) if obj is not None else None

    def list(
        self, namespace: str | None = None, labels: Mapping[str, str] | None = None
    ) -> list[Obj]:
        """Cached objects, optionally of one namespace and with these label values."""
        return [
            copy.deepcopy(obj)
            for (ns, _), obj in sorted(self._objects.items())
            if (namespace is None or ns == namespace) and _labels_match(obj, labels)
        ]

    def __len__(self) -> int:
        return len(self._objects)

    @property
    def has_synced(self) -> bool:
        return self._synced.is_set()

    async def wait_synced(self, timeout: float | None = None) -> bool:
        return await wait_event(self._synced, timeout)

    # -- handlers --------------------------------------------------------------------------

    def add_handler(self, handler: Handler) -> None:
        """Register `handler`; it first hears ADDED for every object already cached."""
        self._handlers.append(handler)
        for obj in list(self._objects.values()):
            self._call(handler, WatchEvent("ADDED", obj))

    def _dispatch(self, event: WatchEvent) -> None:
        for handler in self._handlers:
            self._call(handler, event)

    def _call(self, handler: Handler, event: WatchEvent) -> None:
        try:
            handler(event)
        except Exception:
            log.exception("%s informer: handler failed on %s", self.kind, event.type)

    # -- running ---------------------------------------------------------------------------

    def start(self) -> None:
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._run(scope), name=f"informer {self.kind} {scope}")
                for scope in self.scopes
            ]

    async def stop(self) -> None:
        await cancel_and_wait(self._tasks)
        self._tasks = []

    async def _run(self, namespace: str | None) -> None:
        delay = self.retry_initial
        while True:
            try:
                await self._list_and_watch(namespace)
                delay = self.retry_initial
            except GoneError:
                log.info("%s informer: watch expired, listing again", self.kind)
                delay = self.retry_initial
            except Exception as exc:
                log.warning(
                    "%s informer (namespace %s): %s: %s; retrying in %.1fs",
                    self.kind,
                    namespace or "*",
                    type(exc).__name__,
                    exc,
                    delay,
                )
                log.debug("informer failure", exc_info=True)
                await asyncio.sleep(delay)
                delay = min(self.retry_max, delay * 2)

    async def _list_and_watch(self, namespace: str | None) -> None:
        listed = await self.store.list(self.kind, namespace)
        self._replace(namespace, listed.items)
        self._mark_synced(namespace)
        version = listed.resource_version
        while True:  # a watch that ends cleanly resumes where it stopped
            async for event in self.store.watch(self.kind, namespace, version):
                self._apply(event)
                version = str(_version(event.object) or version)

    def _mark_synced(self, namespace: str | None) -> None:
        self._synced_scopes.add(namespace)
        if len(self._synced_scopes) == len(self.scopes):
            self._synced.set()

    def _replace(self, namespace: str | None, items: Iterable[Obj]) -> None:
        """Make the cache (within `namespace`) equal `items`, telling handlers the difference."""
        fresh = {object_key(obj): obj for obj in items}
        vanished = [
            key
            for key in self._objects
            if (namespace is None or key[0] == namespace) and key not in fresh
        ]
        for key in vanished:
            self._dispatch(WatchEvent("DELETED", self._objects.pop(key)))
        for obj in fresh.values():
            self._apply(WatchEvent("MODIFIED", obj))

    def _apply(self, event: WatchEvent) -> None:
        key = object_key(event.object)
        if event.type == "DELETED":
            if self._objects.pop(key, None) is not None:
                self._dispatch(event)
            return
        old = self._objects.get(key)
        if old is not None and _version(old) == _version(event.object):
            return
        self._objects[key] = event.object
        self._dispatch(WatchEvent("ADDED" if old is None else "MODIFIED", event.object))


class InformerSet:
    """One shared informer per kind, all restricted to the same namespaces."""

    def __init__(self, store: Store, namespaces: Sequence[str] | None = None) -> None:
        self.store = store
        self.namespaces = list(namespaces) if namespaces else None
        self._informers: dict[Kind, Informer] = {}
        self._started = False

    def get(self, kind: Kind) -> Informer:
        informer = self._informers.get(kind)
        if informer is None:
            informer = self._informers[kind] = Informer(self.store, kind, self.namespaces)
            if self._started:
                informer.start()
        return informer

    def __iter__(self) -> Iterator[Informer]:
        return iter(list(self._informers.values()))

    @property
    def has_synced(self) -> bool:
        return self._started and all(i.has_synced for i in self._informers.values())

    def start(self) -> None:
        self._started = True
        for informer in self._informers.values():
            informer.start()

    async def wait_synced(self, timeout: float) -> bool:
        waits = [i.wait_synced(timeout) for i in self._informers.values()]
        return all(await asyncio.gather(*waits))

    async def stop(self) -> None:
        await asyncio.gather(*(i.stop() for i in self._informers.values()))
        self._started = False
