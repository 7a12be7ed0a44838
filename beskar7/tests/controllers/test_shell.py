"""The reconcilers' shared shell against both stores: finalizers, status writes only when
something changed, conditional writes that lose to a concurrent writer, reading into models."""

import logging
from pathlib import Path

import pytest

from beskar7.api.errors import ConflictError
from beskar7.api.kinds import PHYSICAL_HOST
from beskar7.api.physicalhost import HostState, PhysicalHost, PhysicalHostStatus
from beskar7.controllers import shell
from beskar7.runtime.controller import Result
from beskar7.store.embedded.store import EmbeddedStore
from beskar7.store.protocol import Store
from tests.fixtures.stores import FINALIZER, host

NS = "default"


async def stored(store: Store, name: str = "h") -> PhysicalHost:
    return PhysicalHost.from_obj(await store.get(PHYSICAL_HOST, NS, name))


def test_the_named_outcomes() -> None:
    assert Result() == shell.DONE
    assert shell.CONFLICT.requeue_after == 1.0 and not shell.CONFLICT.backoff
    assert shell.BACK_OFF.backoff and shell.BACK_OFF.requeue_after is None


async def test_a_finalizer_is_added_once_and_removed(store: Store) -> None:
    await store.create(host("h"))
    first = await stored(store)
    assert await shell.add_finalizer(store, PHYSICAL_HOST, first.metadata, FINALIZER)
    second = await stored(store)
    assert second.metadata.finalizers == [FINALIZER]
    assert not await shell.add_finalizer(store, PHYSICAL_HOST, second.metadata, FINALIZER)
    assert (await stored(store)).metadata.resource_version == second.metadata.resource_version
    await shell.remove_finalizer(store, PHYSICAL_HOST, second.metadata, FINALIZER)
    third = await stored(store)
    assert third.metadata.finalizers == []
    await shell.remove_finalizer(store, PHYSICAL_HOST, third.metadata, FINALIZER)  # absent: no-op
    assert (await stored(store)).metadata.resource_version == third.metadata.resource_version


async def test_a_finalizer_write_loses_to_a_concurrent_writer(store: Store) -> None:
    await store.create(host("h"))
    stale = await stored(store)
    patch = {"metadata": {"labels": {"x": "y"}}}
    await store.patch(PHYSICAL_HOST, NS, "h", patch)
    with pytest.raises(ConflictError):
        await shell.add_finalizer(store, PHYSICAL_HOST, stale.metadata, FINALIZER)
    assert (await stored(store)).metadata.finalizers == []


async def test_the_status_is_written_only_when_it_changed(store: Store) -> None:
    await store.create(host("h"))
    before = await stored(store)
    same = before.status.model_copy(deep=True)
    version = await shell.write_status(store, PHYSICAL_HOST, before.metadata, before.status, same)
    assert version == before.metadata.resource_version
    assert (await stored(store)).metadata.resource_version == version
    changed = PhysicalHostStatus(state=HostState.AVAILABLE, ready=True)
    version = await shell.write_status(
        store, PHYSICAL_HOST, before.metadata, before.status, changed
    )
    after = await stored(store)
    assert version == after.metadata.resource_version != before.metadata.resource_version
    assert after.status == changed


async def test_read_model_answers_none_for_absent_and_unparsable_objects(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = EmbeddedStore(tmp_path / "b7.db")  # no validation: it keeps what a model refuses
    try:
        assert await shell.read_model(store, PHYSICAL_HOST, NS, "h", PhysicalHost) is None
        broken = host("h")
        del broken["spec"]
        await store.create(broken)
        with caplog.at_level(logging.WARNING, logger="beskar7.controllers.shell"):
            assert await shell.read_model(store, PHYSICAL_HOST, NS, "h", PhysicalHost) is None
        assert "PhysicalHost default/h does not parse" in caplog.text
        await store.create(host("good"))
        good = await shell.read_model(store, PHYSICAL_HOST, NS, "good", PhysicalHost)
        assert good is not None and good.metadata.name == "good"
    finally:
        await store.close()
