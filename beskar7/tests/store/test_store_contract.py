"""What every Store backend must do (Kubernetes API semantics), run against each backend."""

import asyncio
import re

import pytest

from beskar7.api.errors import (
    AlreadyExistsError,
    ConflictError,
    InvalidError,
    NotFoundError,
)
from beskar7.api.kinds import PHYSICAL_HOST, SECRET
from beskar7.store.protocol import Store
from tests.fixtures.stores import (
    FINALIZER,
    RFC3339_UTC,
    assert_quiet,
    host,
    next_events,
    secret,
    summary,
    watching,
)

# -- create / get / list --------------------------------------------------------------------


async def test_create_stamps_server_fields(store: Store) -> None:
    created = await store.create(host("h1", metadata={"labels": {"zone": "a"}}))
    meta = created["metadata"]
    assert created["apiVersion"] == PHYSICAL_HOST.api_version
    assert created["kind"] == "PhysicalHost"
    assert meta["name"] == "h1" and meta["namespace"] == "default"
    assert meta["labels"] == {"zone": "a"}
    assert re.fullmatch(r"[0-9a-f-]{36}", meta["uid"])
    assert RFC3339_UTC.fullmatch(meta["creationTimestamp"])
    assert meta["generation"] == 1
    assert meta["resourceVersion"]
    assert "deletionTimestamp" not in meta
    assert await store.get(PHYSICAL_HOST, "default", "h1") == created


async def test_each_write_gets_a_new_resource_version_and_uids_differ(store: Store) -> None:
    a = await store.create(host("a"))
    b = await store.create(host("b"))
    a2 = await store.patch(PHYSICAL_HOST, "default", "a", {"metadata": {"labels": {"x": "1"}}})
    versions = {o["metadata"]["resourceVersion"] for o in (a, b, a2)}
    assert len(versions) == 3
    assert a["metadata"]["uid"] != b["metadata"]["uid"]
    assert a2["metadata"]["uid"] == a["metadata"]["uid"]


async def test_create_existing_name_is_refused(store: Store) -> None:
    await store.create(host("h1"))
    with pytest.raises(AlreadyExistsError):
        await store.create(host("h1"))
    await store.create(host("h1", namespace="other"))  # same name, other namespace: fine


async def test_missing_objects_are_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        await store.get(PHYSICAL_HOST, "default", "nope")
    with pytest.raises(NotFoundError):
        await store.patch(PHYSICAL_HOST, "default", "nope", {"spec": {}})
    with pytest.raises(NotFoundError):
        await store.patch_status(PHYSICAL_HOST, "default", "nope", {"status": {"ready": True}})
    with pytest.raises(NotFoundError):
        await store.delete(PHYSICAL_HOST, "default", "nope")
    missing = host("nope", metadata={"resourceVersion": "1"})
    with pytest.raises(NotFoundError):
        await store.update(missing)


async def test_returned_objects_are_fresh_copies(store: Store) -> None:
    created = await store.create(host("h1"))
    created["spec"]["redfishConnection"]["address"] = "changed"
    fetched = await store.get(PHYSICAL_HOST, "default", "h1")
    assert fetched["spec"]["redfishConnection"]["address"] == "https://h1.bmc"
    fetched["metadata"]["name"] = "mutated"
    listed = await store.list(PHYSICAL_HOST)
    assert [o["metadata"]["name"] for o in listed.items] == ["h1"]


async def test_list_by_namespace_and_kind(store: Store) -> None:
    await store.create(host("a", "ns1"))
    await store.create(host("b", "ns1"))
    await store.create(host("c", "ns2"))
    await store.create(secret("a", "ns1", username="u"))
    in_ns1 = await store.list(PHYSICAL_HOST, "ns1")
    assert sorted(o["metadata"]["name"] for o in in_ns1.items) == ["a", "b"]
    everywhere = await store.list(PHYSICAL_HOST)
    assert sorted(o["metadata"]["name"] for o in everywhere.items) == ["a", "b", "c"]
    assert all(o["kind"] == "PhysicalHost" for o in everywhere.items)
    assert all(o["apiVersion"] == PHYSICAL_HOST.api_version for o in everywhere.items)
    assert (await store.list(PHYSICAL_HOST, "empty")).items == []
    secrets = await store.list(SECRET, "ns1")
    assert [o["metadata"]["name"] for o in secrets.items] == ["a"]
    assert secrets.items[0]["kind"] == "Secret"


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("zone=a", ["h1", "h2"]),
        ("zone==a,role=worker", ["h2"]),
        ("zone!=a", ["h3", "h4"]),
        ("role", ["h1", "h2", "h3"]),
        ("!role", ["h4"]),
        ("zone in (b, c)", ["h3"]),
        ("zone notin (a)", ["h3", "h4"]),
        ({"zone": "a", "role": "control-plane"}, ["h1"]),
        ("", ["h1", "h2", "h3", "h4"]),
        ({}, ["h1", "h2", "h3", "h4"]),
    ],
)
async def test_list_with_label_selector(
    store: Store, selector: str | dict[str, str], expected: list[str]
) -> None:
    labels = {
        "h1": {"zone": "a", "role": "control-plane"},
        "h2": {"zone": "a", "role": "worker"},
        "h3": {"zone": "b", "role": "worker"},
        "h4": {},
    }
    for name, host_labels in labels.items():
        await store.create(host(name, metadata={"labels": host_labels}))
    found = await store.list(PHYSICAL_HOST, "default", labels=selector)
    assert sorted(o["metadata"]["name"] for o in found.items) == expected


# -- update / patch -------------------------------------------------------------------------


async def test_update_needs_the_current_resource_version(store: Store) -> None:
    created = await store.create(host("h1"))
    changed = {**created, "spec": {**created["spec"], "bootMode": "UEFI"}}
    updated = await store.update(changed)
    assert updated["spec"]["bootMode"] == "UEFI"
    assert updated["metadata"]["generation"] == 2
    assert updated["metadata"]["resourceVersion"] != created["metadata"]["resourceVersion"]
    with pytest.raises(ConflictError):
        await store.update(changed)  # carries the old resourceVersion
    without_version = dict(updated, metadata=dict(updated["metadata"]))
    del without_version["metadata"]["resourceVersion"]
    with pytest.raises(ConflictError):
        await store.update(without_version)
    assert await store.get(PHYSICAL_HOST, "default", "h1") == updated


async def test_generation_counts_spec_changes_only(store: Store) -> None:
    created = await store.create(host("h1"))
    labelled = await store.patch(
        PHYSICAL_HOST, "default", "h1", {"metadata": {"labels": {"a": "b"}}}
    )
    assert labelled["metadata"]["generation"] == 1
    status = await store.patch_status(PHYSICAL_HOST, "default", "h1", {"status": {"ready": True}})
    assert status["metadata"]["generation"] == 1
    spec = await store.patch(PHYSICAL_HOST, "default", "h1", {"spec": {"bootMode": "Legacy"}})
    assert spec["metadata"]["generation"] == 2
    assert spec["metadata"]["creationTimestamp"] == created["metadata"]["creationTimestamp"]


async def test_patch_is_a_json_merge_patch(store: Store) -> None:
    await store.create(host("h1", metadata={"labels": {"keep": "1", "drop": "2"}}))
    patched = await store.patch(
        PHYSICAL_HOST,
        "default",
        "h1",
        {"metadata": {"labels": {"drop": None, "new": "3"}}, "spec": {"bootMode": "UEFI"}},
    )
    assert patched["metadata"]["labels"] == {"keep": "1", "new": "3"}
    assert patched["spec"]["bootMode"] == "UEFI"
    assert patched["spec"]["redfishConnection"]["address"] == "https://h1.bmc"
    assert await store.get(PHYSICAL_HOST, "default", "h1") == patched


async def test_patch_with_resource_version_is_a_precondition(store: Store) -> None:
    created = await store.create(host("h1"))
    version = created["metadata"]["resourceVersion"]
    ok = await store.patch(
        PHYSICAL_HOST,
        "default",
        "h1",
        {"metadata": {"resourceVersion": version}, "spec": {"bootMode": "UEFI"}},
    )
    with pytest.raises(ConflictError):
        await store.patch(
            PHYSICAL_HOST,
            "default",
            "h1",
            {"metadata": {"resourceVersion": version}, "spec": {"bootMode": "Legacy"}},
        )
    with pytest.raises(ConflictError):
        await store.patch_status(
            PHYSICAL_HOST,
            "default",
            "h1",
            {"metadata": {"resourceVersion": version}, "status": {"ready": True}},
        )
    assert await store.get(PHYSICAL_HOST, "default", "h1") == ok


async def test_status_subresource_is_ignored_by_main_writes(store: Store) -> None:
    created = await store.create(host("h1", status={"state": "Ready"}))
    assert "status" not in created
    with_status = await store.patch_status(
        PHYSICAL_HOST, "default", "h1", {"status": {"state": "Enrolling", "ready": False}}
    )
    assert with_status["status"] == {"state": "Enrolling", "ready": False}
    updated = await store.update({**with_status, "status": {"state": "Ready"}})
    assert updated["status"] == {"state": "Enrolling", "ready": False}
    patched = await store.patch(PHYSICAL_HOST, "default", "h1", {"status": {"ready": True}})
    assert patched["status"] == {"state": "Enrolling", "ready": False}


async def test_patch_status_writes_only_status(store: Store) -> None:
    await store.create(host("h1"))
    await store.patch_status(PHYSICAL_HOST, "default", "h1", {"status": {"a": 1, "b": {"c": 2}}})
    patched = await store.patch_status(
        PHYSICAL_HOST,
        "default",
        "h1",
        {"status": {"a": None, "b": {"d": 3}}, "spec": {"bootMode": "UEFI"}},
    )
    assert patched["status"] == {"b": {"c": 2, "d": 3}}
    assert "bootMode" not in patched["spec"]
    assert patched["metadata"]["generation"] == 1
    assert await store.get(PHYSICAL_HOST, "default", "h1") == patched


async def test_kind_without_status_subresource_stores_everything(store: Store) -> None:
    created = await store.create(secret("s", username="u"))
    assert created["data"] == {"username": "dQ=="}
    updated = await store.update({**created, "type": "kubernetes.io/basic-auth"})
    assert updated["type"] == "kubernetes.io/basic-auth"
    patched = await store.patch(SECRET, "default", "s", {"data": {"password": "cA=="}})
    assert patched["data"] == {"username": "dQ==", "password": "cA=="}


async def test_secret_string_data_is_folded_into_data(store: Store) -> None:
    obj = secret("s", username="u")
    obj["stringData"] = {"password": "p", "username": "v"}
    created = await store.create(obj)
    assert created["data"] == {"username": "dg==", "password": "cA=="}
    assert "stringData" not in created
    patched = await store.patch(SECRET, "default", "s", {"stringData": {"token": "t"}})
    assert patched["data"] == {"username": "dg==", "password": "cA==", "token": "dA=="}
    assert "stringData" not in await store.get(SECRET, "default", "s")


# -- deletion and finalizers ----------------------------------------------------------------


async def test_delete_without_finalizers_removes_the_object(store: Store) -> None:
    await store.create(host("h1"))
    assert await store.delete(PHYSICAL_HOST, "default", "h1") is None
    with pytest.raises(NotFoundError):
        await store.get(PHYSICAL_HOST, "default", "h1")
    await store.create(host("h1"))  # the name is free again


async def test_finalizers_hold_a_deleted_object_until_removed(store: Store) -> None:
    await store.create(host("h1", metadata={"finalizers": [FINALIZER, "other/f"]}))
    deleting = await store.delete(PHYSICAL_HOST, "default", "h1")
    assert deleting is not None
    stamp = deleting["metadata"]["deletionTimestamp"]
    assert RFC3339_UTC.fullmatch(stamp)
    assert await store.get(PHYSICAL_HOST, "default", "h1") == deleting
    again = await store.delete(PHYSICAL_HOST, "default", "h1")
    assert again is not None and again["metadata"]["deletionTimestamp"] == stamp
    await store.patch(PHYSICAL_HOST, "default", "h1", {"metadata": {"finalizers": ["other/f"]}})
    still = await store.get(PHYSICAL_HOST, "default", "h1")
    assert still["metadata"]["deletionTimestamp"] == stamp
    current = await store.get(PHYSICAL_HOST, "default", "h1")
    current["metadata"]["finalizers"] = []
    await store.update(current)
    with pytest.raises(NotFoundError):
        await store.get(PHYSICAL_HOST, "default", "h1")


async def test_no_finalizer_can_be_added_once_deleting(store: Store) -> None:
    await store.create(host("h1", metadata={"finalizers": [FINALIZER]}))
    await store.delete(PHYSICAL_HOST, "default", "h1")
    with pytest.raises(InvalidError):
        await store.patch(
            PHYSICAL_HOST, "default", "h1", {"metadata": {"finalizers": [FINALIZER, "new/f"]}}
        )
    current = await store.get(PHYSICAL_HOST, "default", "h1")
    assert current["metadata"]["finalizers"] == [FINALIZER]
    # other changes to a deleting object are still allowed
    patched = await store.patch_status(PHYSICAL_HOST, "default", "h1", {"status": {"x": 1}})
    assert patched["status"] == {"x": 1}


async def test_deletion_timestamp_cannot_be_set_or_cleared_by_writes(store: Store) -> None:
    created = await store.create(host("h1", metadata={"finalizers": [FINALIZER]}))
    forged = dict(
        created, metadata=dict(created["metadata"], deletionTimestamp="2020-01-01T00:00:00Z")
    )
    updated = await store.update(forged)
    assert "deletionTimestamp" not in updated["metadata"]
    deleting = await store.delete(PHYSICAL_HOST, "default", "h1")
    assert deleting is not None
    patched = await store.patch(
        PHYSICAL_HOST, "default", "h1", {"metadata": {"labels": {"a": "b"}}}
    )
    assert patched["metadata"]["deletionTimestamp"] == deleting["metadata"]["deletionTimestamp"]


# -- watch ----------------------------------------------------------------------------------


async def test_watch_from_a_version_sees_exactly_the_later_changes(store: Store) -> None:
    await store.create(host("before"))
    listed = await store.list(PHYSICAL_HOST)
    async with watching(store, PHYSICAL_HOST, resource_version=listed.resource_version) as watch:
        await store.create(host("h1", metadata={"finalizers": [FINALIZER]}))
        await store.create(secret("s1"))  # another kind: not seen
        await store.patch_status(PHYSICAL_HOST, "default", "h1", {"status": {"ready": True}})
        await store.delete(PHYSICAL_HOST, "default", "h1")
        await store.patch(PHYSICAL_HOST, "default", "h1", {"metadata": {"finalizers": None}})
        await store.delete(PHYSICAL_HOST, "default", "before")
        events = await next_events(watch, 5)
        assert summary(events) == [
            ("ADDED", "h1"),
            ("MODIFIED", "h1"),
            ("MODIFIED", "h1"),
            ("DELETED", "h1"),
            ("DELETED", "before"),
        ]
        assert events[1].object["status"] == {"ready": True}
        assert events[2].object["metadata"]["deletionTimestamp"]
        assert all(e.object["kind"] == "PhysicalHost" for e in events)
        await assert_quiet(watch)


async def test_watch_event_objects_match_what_the_writes_returned(store: Store) -> None:
    start = (await store.list(PHYSICAL_HOST)).resource_version
    async with watching(store, PHYSICAL_HOST, resource_version=start) as watch:
        created = await store.create(host("h1"))
        patched = await store.patch(PHYSICAL_HOST, "default", "h1", {"spec": {"bootMode": "UEFI"}})
        events = await next_events(watch, 2)
        assert [e.object for e in events] == [created, patched]


async def test_watch_from_now_skips_the_past(store: Store) -> None:
    await store.create(host("old"))
    async with watching(store, PHYSICAL_HOST) as watch:
        await store.create(host("new"))
        assert summary(await next_events(watch, 1)) == [("ADDED", "new")]


async def test_watch_filters_by_namespace(store: Store) -> None:
    start = (await store.list(PHYSICAL_HOST)).resource_version
    async with watching(store, PHYSICAL_HOST, "ns1", resource_version=start) as watch:
        for name, namespace in [("a", "ns2"), ("b", "ns1"), ("c", "ns2"), ("d", "ns1")]:
            await store.create(host(name, namespace))
        events = await next_events(watch, 2)
        assert summary(events) == [("ADDED", "b"), ("ADDED", "d")]
        assert {e.object["metadata"]["namespace"] for e in events} == {"ns1"}
        await assert_quiet(watch)


async def test_two_watchers_see_the_same_sequence(store: Store) -> None:
    start = (await store.list(PHYSICAL_HOST)).resource_version
    async with (
        watching(store, PHYSICAL_HOST, resource_version=start) as first,
        watching(store, PHYSICAL_HOST, resource_version=start) as second,
    ):
        for i in range(5):
            await store.create(host(f"h{i}"))
        a, b = await asyncio.gather(next_events(first, 5), next_events(second, 5))
        assert summary(a) == summary(b) == [("ADDED", f"h{i}") for i in range(5)]
