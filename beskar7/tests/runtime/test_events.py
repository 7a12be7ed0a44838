"""Event recorder: core/v1 Events with the involved object, aggregation, never failing."""

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import pytest

from beskar7.api.kinds import CONFIG_MAP, EVENT, Obj
from beskar7.runtime.events import EventRecorder
from tests.fixtures.controller_runtime import StoreOpener, config_map_obj

MOMENT = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)


async def events_in(store: Any, namespace: str = "lab") -> list[Obj]:
    listed = await store.list(EVENT, namespace)
    return sorted(listed.items, key=lambda e: e["metadata"]["name"])


async def test_an_event_names_the_involved_object(open_store: StoreOpener) -> None:
    store = open_store()
    host = await store.create(config_map_obj("host-1", "lab"))
    recorder = EventRecorder(store, now=lambda: MOMENT)
    await recorder.event(host, "Normal", "Claimed", "claimed by machine m-1")
    [event] = await events_in(store)
    assert event["apiVersion"] == "v1" and event["kind"] == "Event"
    assert event["metadata"]["name"].startswith("host-1.")
    assert event["metadata"]["namespace"] == "lab"
    assert event["involvedObject"] == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": "host-1",
        "namespace": "lab",
        "uid": host["metadata"]["uid"],
        "resourceVersion": host["metadata"]["resourceVersion"],
    }
    assert (event["type"], event["reason"]) == ("Normal", "Claimed")
    assert event["message"] == "claimed by machine m-1"
    assert event["source"] == {"component": "beskar7-controller-manager"}
    assert event["firstTimestamp"] == event["lastTimestamp"] == "2025-03-04T05:06:07Z"
    assert event["count"] == 1


async def test_repeated_identical_events_are_aggregated(open_store: StoreOpener) -> None:
    store = open_store()
    host = await store.create(config_map_obj("host-1", "lab"))
    moments = iter([MOMENT.replace(second=s) for s in range(10)])
    recorder = EventRecorder(store, now=lambda: next(moments))
    for _ in range(3):
        await recorder.event(host, "Warning", "PowerFailed", "BMC refused power on")
    await recorder.event(host, "Warning", "PowerFailed", "BMC timed out")
    first, second = sorted(await events_in(store), key=lambda e: e["firstTimestamp"])
    assert first["count"] == 3 and first["message"] == "BMC refused power on"
    assert first["firstTimestamp"] == "2025-03-04T05:06:00Z"
    assert first["lastTimestamp"] == "2025-03-04T05:06:02Z"
    assert second["count"] == 1 and second["message"] == "BMC timed out"


async def test_events_outside_the_window_or_deleted_start_anew(open_store: StoreOpener) -> None:
    store = open_store()
    host = await store.create(config_map_obj("host-1", "lab"))
    recorder = EventRecorder(store, window=0.05)
    await recorder.event(host, "Normal", "Inspecting", "booting the inspection image")
    await asyncio.sleep(0.06)
    await recorder.event(host, "Normal", "Inspecting", "booting the inspection image")
    assert [e["count"] for e in await events_in(store)] == [1, 1]
    patient = EventRecorder(store)
    await patient.event(host, "Normal", "Ready", "host is ready")
    [ready] = [e for e in await events_in(store) if e["reason"] == "Ready"]
    await store.delete(EVENT, "lab", ready["metadata"]["name"])
    await patient.event(host, "Normal", "Ready", "host is ready")
    [again] = [e for e in await events_in(store) if e["reason"] == "Ready"]
    assert again["count"] == 1 and again["metadata"]["name"] != ready["metadata"]["name"]


async def test_a_failing_store_only_costs_a_log_line(
    open_store: StoreOpener, caplog: pytest.LogCaptureFixture
) -> None:
    store = open_store()
    host = await store.create(config_map_obj("host-1", "lab"))
    await store.close()
    with caplog.at_level(logging.WARNING, logger="beskar7.runtime.events"):
        await EventRecorder(store).event(host, "Warning", "Failed", "x")
    assert "could not record event Failed for lab/host-1" in caplog.text


class HangingStore:
    async def create(self, obj: Obj) -> Obj:
        await asyncio.sleep(3600)
        return obj


async def test_a_hanging_store_is_given_up_on_quickly() -> None:
    recorder = EventRecorder(HangingStore(), timeout=0.1)  # type: ignore[arg-type]
    obj = config_map_obj("host-1", "lab")
    await asyncio.wait_for(recorder.event(obj, "Normal", "Claimed", "x"), 2)


async def test_long_names_and_messages_are_trimmed(open_store: StoreOpener) -> None:
    store = open_store()
    long_name = "h" * 253
    obj = {
        "apiVersion": CONFIG_MAP.api_version,
        "kind": "ConfigMap",
        "metadata": {"name": long_name, "namespace": "lab"},
    }
    await EventRecorder(store).event(obj, "Normal", "Long", "m" * 5000)
    [event] = await events_in(store)
    assert len(event["metadata"]["name"]) <= 253
    assert len(event["message"]) == 1024
    assert event["involvedObject"]["name"] == long_name
