"""The manager end to end on embedded stores: reconciling, mapped watches, probes, leadership."""

import asyncio
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from beskar7.api.kinds import CONFIG_MAP, LEASE, SECRET, Kind, Obj
from beskar7.runtime.controller import ControllerSpec, Request, Result, Watch
from beskar7.runtime.leader import LeaderElectionConfig, micro_time
from beskar7.runtime.manager import Manager
from beskar7.store.embedded.store import EmbeddedStore
from beskar7.store.protocol import LabelSelector, ObjectList, Store
from tests.fixtures.controller_runtime import StoreOpener, config_map_obj, eventually


class Recorder:
    """A reconciler that notes every request (with the manager that ran it)."""

    def __init__(self, log: list[tuple[str, Request]], who: str = "m") -> None:
        self.log = log
        self.who = who

    async def reconcile(self, request: Request) -> Result:
        self.log.append((self.who, request))
        return Result()


def secret_obj(name: str, namespace: str = "default") -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace},
        "data": {"username": "YWRtaW4="},
    }


def manager_for(store: Store, log: list[tuple[str, Request]], who: str = "m", **kw: Any) -> Manager:
    kw.setdefault("health_probe_address", "0")
    kw.setdefault("metrics_address", "0")
    manager = Manager(store, **kw)
    manager.add(ControllerSpec("hosts", CONFIG_MAP, Recorder(log, who)))
    return manager


@asynccontextmanager
async def running(manager: Manager) -> AsyncIterator[asyncio.Event]:
    stop = asyncio.Event()
    task = asyncio.create_task(manager.run(stop))
    try:
        yield stop
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


def requests(log: list[tuple[str, Request]], who: str | None = None) -> set[str]:
    return {r.name for w, r in log if who is None or w == who}


async def test_existing_and_new_objects_are_reconciled(open_store: StoreOpener) -> None:
    ours, theirs = open_store(), open_store()
    for name in ("a", "b"):
        await ours.create(config_map_obj(name))
    log: list[tuple[str, Request]] = []
    async with running(manager_for(ours, log)):
        await eventually(lambda: requests(log) == {"a", "b"}, what="existing objects")
        await theirs.create(config_map_obj("c", "other"))
        await eventually(lambda: ("m", Request("other", "c")) in log, what="the new object")
    assert len([r for _, r in log if r.name == "a"]) == 1, "each existing object once"


def hosts_using(manager: Manager) -> Any:
    """Map a Secret to the hosts (ConfigMaps here) whose data.secret names it."""

    def mapper(secret: Obj) -> Iterable[Request]:
        namespace = secret["metadata"]["namespace"]
        for host in manager.cache(CONFIG_MAP).list(namespace):
            if host.get("data", {}).get("secret") == secret["metadata"]["name"]:
                yield Request(namespace, host["metadata"]["name"])

    return mapper


async def test_related_kind_changes_enqueue_the_mapped_keys(open_store: StoreOpener) -> None:
    store, writer = open_store(), open_store()
    await store.create(config_map_obj("uses-bmc", secret="bmc"))
    await store.create(config_map_obj("unrelated", secret="other"))
    log: list[tuple[str, Request]] = []
    manager = Manager(store, health_probe_address="0", metrics_address="0")
    spec = ControllerSpec("hosts", CONFIG_MAP, Recorder(log))
    spec.watches.append(Watch(SECRET, hosts_using(manager)))
    manager.add(spec)
    async with running(manager):
        await eventually(lambda: len(log) == 2, what="initial reconciles")
        await writer.create(secret_obj("bmc"))
        await eventually(lambda: len(log) == 3, what="the secret's host")
        await writer.delete(SECRET, "default", "bmc")
        await eventually(lambda: len(log) == 4, what="the deleted secret's host")
        await asyncio.sleep(0.1)
    assert [r.name for _, r in log[2:]] == ["uses-bmc", "uses-bmc"]


class SlowListing:
    """A store whose first list waits until `release` is set (to watch /readyz flip)."""

    def __init__(self, inner: EmbeddedStore) -> None:
        self.inner = inner
        self.release = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def list(
        self, kind: Kind, namespace: str | None = None, labels: LabelSelector = None
    ) -> ObjectList:
        await self.release.wait()
        return await self.inner.list(kind, namespace, labels)


async def test_probes_and_metrics_follow_the_manager(open_store: StoreOpener) -> None:
    store = SlowListing(open_store())
    await store.inner.create(config_map_obj("a"))
    log: list[tuple[str, Request]] = []
    manager = manager_for(
        store, log, health_probe_address="127.0.0.1:0", metrics_address="127.0.0.1:0"
    )
    async with running(manager):
        await eventually(lambda: manager.metrics_server.port is not None, what="servers")
        health = f"http://127.0.0.1:{manager.health_server.port}"
        async with httpx.AsyncClient(base_url=health, timeout=5) as client:
            assert (await client.get("/healthz")).status_code == 200
            assert (await client.get("/readyz")).status_code == 503
            store.release.set()
            await eventually(lambda: bool(log), what="a reconcile")
            assert (await client.get("/readyz")).status_code == 200
        metrics = f"http://127.0.0.1:{manager.metrics_server.port}/metrics"
        async with httpx.AsyncClient(timeout=5) as client:
            text = (await client.get(metrics)).text
    assert (
        'beskar7_controller_reconciliation_total{controller="hosts",namespace="default",'
        'outcome="success"} 1.0' in text
    )
    assert 'beskar7_controller_workqueue_depth{controller="hosts"} 0.0' in text
    assert manager.health_server.port is None, "servers stop with the manager"


async def test_watch_namespaces_limit_what_is_reconciled(open_store: StoreOpener) -> None:
    store = open_store()
    await store.create(config_map_obj("mine", "team-a"))
    await store.create(config_map_obj("theirs", "team-b"))
    log: list[tuple[str, Request]] = []
    async with running(manager_for(store, log, namespaces=["team-a"])):
        await eventually(lambda: bool(log), what="a reconcile")
        await asyncio.sleep(0.2)
    assert requests(log) == {"mine"}


def elected(store: Store, log: list[tuple[str, Request]], who: str, lease: float = 1.0) -> Manager:
    config = LeaderElectionConfig(lease_duration=lease, renew_deadline=0.6, retry_period=0.1)
    return manager_for(store, log, who, leader_election=True, identity=who, leader_config=config)


async def test_only_the_leader_reconciles_and_a_graceful_stop_hands_over(
    open_store: StoreOpener,
) -> None:
    store_a, store_b, writer = open_store(), open_store(), open_store()
    await writer.create(config_map_obj("host"))
    log: list[tuple[str, Request]] = []
    a, b = elected(store_a, log, "a"), elected(store_b, log, "b")
    async with running(a) as stop_a:
        await eventually(lambda: a.is_leader and bool(log), what="a leads")
        async with running(b):
            await writer.create(config_map_obj("second"))
            await eventually(lambda: requests(log, "a") == {"host", "second"}, what="a works")
            await asyncio.sleep(0.3)
            assert requests(log, "b") == set(), "the standby reconciles nothing"
            assert b.ready, "a standby keeps its caches synced"
            stop_a.set()
            await eventually(lambda: b.is_leader, timeout=3, what="b takes over")
            await eventually(lambda: requests(log, "b") == {"host", "second"}, what="b works")
    assert not a.leadership_lost


async def test_a_killed_leader_is_replaced_once_its_lease_expires(
    open_store: StoreOpener,
) -> None:
    store_a, store_b = open_store(), open_store()
    await store_a.create(config_map_obj("host"))
    log: list[tuple[str, Request]] = []
    a, b = elected(store_a, log, "a", lease=2.0), elected(store_b, log, "b")
    task_a = asyncio.create_task(a.run(asyncio.Event()))
    await eventually(lambda: bool(log), what="a leads")
    async with running(b):
        await store_a.close()  # the process dies: no renewal, no release
        task_a.cancel()
        await asyncio.gather(task_a, return_exceptions=True)
        await asyncio.sleep(0.5)
        assert not b.is_leader, "the dead leader's lease has not run out yet"
        await eventually(lambda: b.is_leader, timeout=5, what="b takes over")
        await eventually(lambda: requests(log, "b") == {"host"}, what="b works")


async def test_losing_the_lease_stops_the_manager(open_store: StoreOpener) -> None:
    store = open_store()
    log: list[tuple[str, Request]] = []
    manager = elected(store, log, "a")
    task = asyncio.create_task(manager.run(asyncio.Event()))
    await eventually(lambda: manager.is_leader, what="leadership")
    [lease] = (await store.list(LEASE, "beskar7-system")).items
    future = datetime.now(UTC) + timedelta(seconds=30)
    lease["spec"].update(holderIdentity="usurper", renewTime=micro_time(future))
    await store.update(lease)
    await asyncio.wait_for(task, 5)
    assert manager.leadership_lost
    assert all(c.queue.shutting_down for c in manager.controllers)
    [lease] = (await store.list(LEASE, "beskar7-system")).items
    assert lease["spec"]["holderIdentity"] == "usurper", "a lost lease is not released"
