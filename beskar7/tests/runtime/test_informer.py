"""Informers: the cache follows another writer; re-lists after GoneError synthesize deletes."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from beskar7.api.errors import GoneError
from beskar7.api.kinds import CONFIG_MAP, SECRET, Kind, Obj
from beskar7.runtime.informer import Informer, InformerSet
from beskar7.store.embedded.store import EmbeddedStore
from beskar7.store.protocol import ObjectList, WatchEvent
from tests.fixtures.controller_runtime import StoreOpener, config_map_obj, eventually


def names(events: list[WatchEvent]) -> list[tuple[str, str]]:
    return [(e.type, e.object["metadata"]["name"]) for e in events]


async def test_cache_follows_creates_updates_and_deletes_of_another_store(
    open_store: StoreOpener,
) -> None:
    ours, theirs = open_store(), open_store()
    await theirs.create(config_map_obj("before", colour="red"))
    informer = Informer(ours, CONFIG_MAP)
    seen: list[WatchEvent] = []
    informer.add_handler(seen.append)
    assert not informer.has_synced
    informer.start()
    try:
        assert await informer.wait_synced(5)
        assert informer.get("default", "before") is not None
        await theirs.create(config_map_obj("new", colour="blue"))
        await theirs.patch(CONFIG_MAP, "default", "before", {"data": {"colour": "green"}})
        await theirs.delete(CONFIG_MAP, "default", "new")
        await eventually(lambda: len(seen) == 4, what="four events")
    finally:
        await informer.stop()
    assert names(seen) == [
        ("ADDED", "before"),
        ("ADDED", "new"),
        ("MODIFIED", "before"),
        ("DELETED", "new"),
    ]
    assert seen[3].object["data"] == {"colour": "blue"}, "deletes carry the last known object"
    cached = informer.get("default", "before")
    assert cached is not None and cached["data"] == {"colour": "green"}
    assert informer.get("default", "new") is None


async def test_cache_lists_by_namespace_and_labels_and_hands_out_copies(
    open_store: StoreOpener,
) -> None:
    store = open_store()
    for name, ns, role in [("a", "x", "bmc"), ("b", "x", "other"), ("c", "y", "bmc")]:
        obj = config_map_obj(name, ns)
        obj["metadata"]["labels"] = {"role": role}
        await store.create(obj)
    informer = Informer(store, CONFIG_MAP)
    informer.start()
    try:
        assert await informer.wait_synced(5)
    finally:
        await informer.stop()
    assert [o["metadata"]["name"] for o in informer.list()] == ["a", "b", "c"]
    assert [o["metadata"]["name"] for o in informer.list("x")] == ["a", "b"]
    assert [o["metadata"]["name"] for o in informer.list(labels={"role": "bmc"})] == ["a", "c"]
    assert [o["metadata"]["name"] for o in informer.list("y", {"role": "bmc"})] == ["c"]
    copy = informer.get("x", "a")
    assert copy is not None
    copy["data"]["mutated"] = "yes"
    again = informer.get("x", "a")
    assert again is not None and "mutated" not in again["data"]


async def test_namespace_restriction_hides_other_namespaces(open_store: StoreOpener) -> None:
    store = open_store()
    informer = Informer(store, CONFIG_MAP, ["watched", "also"])
    informer.start()
    try:
        assert await informer.wait_synced(5)
        await store.create(config_map_obj("hidden", "elsewhere"))
        await store.create(config_map_obj("shown", "also"))
        await eventually(lambda: len(informer) == 1, what="the watched object")
        await asyncio.sleep(0.1)
    finally:
        await informer.stop()
    assert [o["metadata"]["name"] for o in informer.list()] == ["shown"]


class PausableStore:
    """Delegates to an EmbeddedStore; `pause()` ends the current watch cleanly and holds
    the next one until `resume()`, so the writer can outrun the change log meanwhile."""

    def __init__(self, inner: EmbeddedStore) -> None:
        self.inner = inner
        self.lists = 0
        self.gone = 0
        self._running = asyncio.Event()
        self._running.set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def list(
        self, kind: Kind, namespace: str | None = None, labels: Any = None
    ) -> ObjectList:
        self.lists += 1
        return await self.inner.list(kind, namespace, labels)

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    async def watch(
        self, kind: Kind, namespace: str | None = None, resource_version: str | None = None
    ) -> AsyncIterator[WatchEvent]:
        await self._running.wait()
        try:
            async for event in self.inner.watch(kind, namespace, resource_version):
                yield event
                if not self._running.is_set():
                    return
        except GoneError:
            self.gone += 1
            raise


async def test_relist_after_gone_synthesizes_deletes_and_updates(
    open_store: StoreOpener,
) -> None:
    writer = open_store(retention=3)
    reader = PausableStore(open_store())
    for name in ("keep", "drop", "change"):
        await writer.create(config_map_obj(name))
    informer = Informer(reader, CONFIG_MAP)
    seen: list[WatchEvent] = []
    informer.add_handler(seen.append)
    informer.start()
    try:
        assert await informer.wait_synced(5)
        reader.pause()
        await writer.create(config_map_obj("trigger"))  # ends the paused watch cleanly
        await eventually(lambda: len(seen) == 4, what="the trigger")
        await writer.delete(CONFIG_MAP, "default", "drop")
        await writer.patch(CONFIG_MAP, "default", "change", {"data": {"v": "2"}})
        for i in range(5):  # push the informer's resourceVersion out of the change log
            await writer.create(config_map_obj(f"filler-{i}"))
            await writer.delete(CONFIG_MAP, "default", f"filler-{i}")
        reader.resume()
        await eventually(lambda: reader.gone == 1 and reader.lists == 2, what="GoneError, re-list")
        await eventually(lambda: len(informer) == 3, what="the re-listed cache")
    finally:
        await informer.stop()
    after = names(seen[4:])
    assert ("DELETED", "drop") in after
    assert ("MODIFIED", "change") in after
    assert not any(name.startswith("filler") for _, name in after), "never saw the fillers"
    assert sorted(o["metadata"]["name"] for o in informer.list()) == ["change", "keep", "trigger"]


async def test_informer_set_shares_one_informer_per_kind(open_store: StoreOpener) -> None:
    store = open_store()
    informers = InformerSet(store, ["default"])
    assert informers.get(CONFIG_MAP) is informers.get(CONFIG_MAP)
    assert not informers.has_synced
    informers.start()
    try:
        late = informers.get(SECRET)  # started on creation once the set runs
        assert await informers.wait_synced(5)
        assert late.has_synced and informers.has_synced
    finally:
        await informers.stop()


async def test_a_failing_handler_does_not_stop_the_others(open_store: StoreOpener) -> None:
    store = open_store()
    await store.create(config_map_obj("one"))
    informer = Informer(store, CONFIG_MAP)
    informer.start()
    seen: list[Obj] = []
    try:
        assert await informer.wait_synced(5)

        def broken(event: WatchEvent) -> None:
            raise RuntimeError("mapper bug")

        informer.add_handler(broken)
        informer.add_handler(lambda e: seen.append(e.object))  # replays the cached object
        await store.create(config_map_obj("two"))
        await eventually(lambda: len(seen) == 2, what="both objects")
    finally:
        await informer.stop()
