"""What only the embedded store does: the validate hook, the file, compaction, close."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from beskar7.api.errors import (
    FieldIssue,
    GoneError,
    InvalidError,
    UnavailableError,
)
from beskar7.api.kinds import CONFIG_MAP, PHYSICAL_HOST, Kind, Obj
from beskar7.store.embedded.store import EmbeddedStore
from tests.fixtures.stores import assert_quiet, host, next_events, summary, watching
from tests.store.embedded_worker import config_map


def require_address(kind: Kind, obj: Obj) -> Obj:
    """A small validator: PhysicalHosts need an address; a default boot mode is filled in;
    it also tries (in vain) to overwrite server-managed metadata."""
    if kind == PHYSICAL_HOST:
        spec = obj.get("spec", {})
        if not spec.get("redfishConnection", {}).get("address"):
            raise InvalidError(
                f"PhysicalHost {obj['metadata']['name']!r}",
                [FieldIssue("spec.redfishConnection.address", "required")],
            )
        spec.setdefault("bootMode", "UEFI")
        state = obj.get("status", {}).get("state", "Available")
        if state not in ("Available", "Ready"):
            raise InvalidError("PhysicalHost", [FieldIssue("status.state", f"unknown {state}")])
    result = dict(obj)
    result["metadata"] = {**obj["metadata"], "uid": "forged", "generation": 99}
    return result


@pytest.fixture
async def validated(tmp_path: Path) -> AsyncIterator[EmbeddedStore]:
    store = EmbeddedStore(tmp_path / "v.db", validate=require_address, poll_interval=0.05)
    yield store
    await store.close()


@pytest.fixture
async def plain(tmp_path: Path) -> AsyncIterator[EmbeddedStore]:
    store = EmbeddedStore(tmp_path / "nested" / "dirs" / "p.db", poll_interval=0.05)
    yield store
    await store.close()


def without_address(name: str) -> Obj:
    obj = host(name)
    del obj["spec"]["redfishConnection"]["address"]
    return obj


async def test_validator_normalizes_but_cannot_touch_server_fields(
    validated: EmbeddedStore,
) -> None:
    created = await validated.create(host("h1"))
    assert created["spec"]["bootMode"] == "UEFI"
    assert created["metadata"]["uid"] != "forged"
    assert created["metadata"]["generation"] == 1
    assert await validated.get(PHYSICAL_HOST, "default", "h1") == created


async def test_a_validator_may_return_the_object_it_was_given(tmp_path: Path) -> None:
    def in_place(kind: Kind, obj: Obj) -> Obj:
        obj["metadata"].pop("name", None)  # a sloppy validator editing its argument
        return obj

    store = EmbeddedStore(tmp_path / "same.db", validate=in_place)
    try:
        created = await store.create(host("h-same"))
    finally:
        await store.close()
    assert created["metadata"]["name"] == "h-same"


async def test_invalid_objects_are_not_written(validated: EmbeddedStore) -> None:
    good = await validated.create(host("good"))
    start = (await validated.list(PHYSICAL_HOST)).resource_version
    async with watching(validated, PHYSICAL_HOST, resource_version=start) as watch:
        with pytest.raises(InvalidError) as caught:
            await validated.create(without_address("bad"))
        assert caught.value.issues == [FieldIssue("spec.redfishConnection.address", "required")]
        spoil = {"spec": {"redfishConnection": {"address": None}}}
        with pytest.raises(InvalidError):
            await validated.patch(PHYSICAL_HOST, "default", "good", spoil)
        with pytest.raises(InvalidError):
            await validated.update({**good, "spec": {}})
        with pytest.raises(InvalidError):
            await validated.patch_status(
                PHYSICAL_HOST, "default", "good", {"status": {"state": "Exploded"}}
            )
        await assert_quiet(watch)  # no change-log entry either
    listed = await validated.list(PHYSICAL_HOST)
    assert listed.resource_version == start
    assert listed.items == [good]


async def test_identity_is_immutable(plain: EmbeddedStore) -> None:
    created = await plain.create(host("h1"))
    for change in ({"uid": "other"}, {"name": "h2"}, {"namespace": "elsewhere"}):
        with pytest.raises(InvalidError):
            await plain.patch(PHYSICAL_HOST, "default", "h1", {"metadata": change})
    with pytest.raises(InvalidError):
        await plain.update(dict(created, metadata={**created["metadata"], "uid": "x"}))
    kept = await plain.patch(
        PHYSICAL_HOST, "default", "h1", {"metadata": {"creationTimestamp": "2000-01-01T00:00:00Z"}}
    )
    assert kept == created  # silently kept, and nothing was written


async def test_create_refuses_unknown_kinds_and_resource_versions(plain: EmbeddedStore) -> None:
    with pytest.raises(InvalidError):
        await plain.create({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}})
    with pytest.raises(InvalidError):
        await plain.create(host("h1", metadata={"resourceVersion": "3"}))
    with pytest.raises(InvalidError):
        await plain.create(host(""))


async def test_generate_name_and_default_namespace(plain: EmbeddedStore) -> None:
    obj = config_map("")
    obj["metadata"] = {"generateName": "inspect-"}
    created = await plain.create(obj)
    assert created["metadata"]["name"].startswith("inspect-")
    assert len(created["metadata"]["name"]) == len("inspect-") + 5
    assert created["metadata"]["namespace"] == "default"


async def test_unchanged_writes_keep_the_version(plain: EmbeddedStore) -> None:
    await plain.create(host("h1"))
    first = await plain.patch_status(PHYSICAL_HOST, "default", "h1", {"status": {"ready": True}})
    again = await plain.patch_status(PHYSICAL_HOST, "default", "h1", {"status": {"ready": True}})
    assert again == first
    assert (await plain.list(PHYSICAL_HOST)).resource_version == first["metadata"][
        "resourceVersion"
    ]


async def test_delete_bumps_generation_and_deleted_event_has_new_version(
    plain: EmbeddedStore,
) -> None:
    await plain.create(host("h1", metadata={"finalizers": ["f/f"]}))
    deleting = await plain.delete(PHYSICAL_HOST, "default", "h1")
    assert deleting is not None and deleting["metadata"]["generation"] == 2
    start = deleting["metadata"]["resourceVersion"]
    async with watching(plain, PHYSICAL_HOST, resource_version=start) as watch:
        gone = await plain.patch(PHYSICAL_HOST, "default", "h1", {"metadata": {"finalizers": []}})
        (event,) = await next_events(watch, 1)
    assert event.type == "DELETED" and event.object == gone
    assert int(gone["metadata"]["resourceVersion"]) == int(start) + 1


async def test_objects_and_versions_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "reopen.db"
    first = EmbeddedStore(path)
    created = await first.create(host("h1"))
    await first.close()
    second = EmbeddedStore(path)
    try:
        assert await second.get(PHYSICAL_HOST, "default", "h1") == created
        later = await second.create(host("h2"))
        assert int(later["metadata"]["resourceVersion"]) > int(
            created["metadata"]["resourceVersion"]
        )
    finally:
        await second.close()


async def test_compacted_versions_are_gone(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "c.db", retention=5, poll_interval=0.05)
    try:
        first = await store.create(config_map("cm-0"))
        for i in range(1, 20):
            await store.create(config_map(f"cm-{i}"))
        async with watching(store, CONFIG_MAP, resource_version="1") as watch:
            with pytest.raises(GoneError):
                await anext(watch)
        before = first["metadata"]["resourceVersion"]
        async with watching(store, CONFIG_MAP, resource_version=before) as watch:
            with pytest.raises(GoneError):
                await anext(watch)
        recent = str(int((await store.list(CONFIG_MAP)).resource_version) - 3)
        async with watching(store, CONFIG_MAP, resource_version=recent) as watch:
            assert summary(await next_events(watch, 3)) == [
                ("ADDED", f"cm-{i}") for i in (17, 18, 19)
            ]
    finally:
        await store.close()


async def test_a_watcher_left_behind_by_compaction_is_gone(tmp_path: Path) -> None:
    async with EmbeddedStore(tmp_path / "lag.db", retention=5) as store:
        await store.create(config_map("first"))
        async with watching(store, CONFIG_MAP) as watch:
            for i in range(20):
                await store.create(config_map(f"cm-{i}"))
            with pytest.raises(GoneError):
                await anext(watch)


async def test_bad_resource_version_is_invalid(plain: EmbeddedStore) -> None:
    with pytest.raises(InvalidError):
        plain.watch(PHYSICAL_HOST, resource_version="abc")


async def test_close_ends_watchers_and_refuses_calls(plain: EmbeddedStore) -> None:
    seen: list[str] = []
    watch = plain.watch(PHYSICAL_HOST)

    async def consume() -> None:
        async for event in watch:
            seen.append(event.object["metadata"]["name"])

    task = asyncio.create_task(consume())
    await plain.create(host("h1"))
    async with asyncio.timeout(5):
        while not seen:
            await asyncio.sleep(0.01)
    await plain.close()
    async with asyncio.timeout(5):
        await task  # ends by itself, without an error
    assert seen == ["h1"]
    with pytest.raises(UnavailableError):
        await plain.get(PHYSICAL_HOST, "default", "h1")
    with pytest.raises(UnavailableError):
        plain.watch(PHYSICAL_HOST)
    await plain.close()  # twice is fine


async def test_stopped_consumer_unregisters(plain: EmbeddedStore) -> None:
    async with watching(plain, PHYSICAL_HOST) as watch:
        await plain.create(host("h1"))
        await next_events(watch, 1)
    assert not plain._wakers
