"""What enqueues a Beskar7Cluster: the watch mappers on real informers, and the whole controller
under a manager on an embedded store."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from beskar7.api.capi import ZONE_LABEL
from beskar7.api.kinds import BESKAR7_CLUSTER, CLUSTER, MACHINE, PHYSICAL_HOST, Obj
from beskar7.api.validation import validate
from beskar7.controllers.cluster import reconciler as cluster
from beskar7.controllers.metrics import KindMetrics
from beskar7.runtime.controller import Request
from beskar7.runtime.informer import Informer
from beskar7.runtime.manager import Manager
from beskar7.store.embedded.store import EmbeddedStore
from tests.controllers.cluster.test_reconciler import (
    NS,
    beskar7_cluster,
    beskar7_machine,
    capi_cluster,
    capi_machine,
    host,
    internal,
)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[EmbeddedStore]:
    opened = EmbeddedStore(tmp_path / "beskar7.db", validate=validate, poll_interval=0.02)
    try:
        yield opened
    finally:
        await opened.close()


async def synced(store: EmbeddedStore) -> list[Informer]:
    """Started and synced caches of Beskar7Clusters and CAPI Clusters."""
    informers = [Informer(store, kind) for kind in (BESKAR7_CLUSTER, CLUSTER)]
    for informer in informers:
        informer.start()
        assert await informer.wait_synced(5.0)
    return informers


async def test_a_host_concerns_every_cluster_of_its_namespace(store: EmbeddedStore) -> None:
    for name in ("a", "b"):
        await store.create(beskar7_cluster(name))
    elsewhere = beskar7_cluster("x")
    elsewhere["metadata"]["namespace"] = "other"
    await store.create(elsewhere)
    clusters, capi = await synced(store)
    try:
        mapped = cluster.clusters_in_namespace(clusters)(host("h0", "rack-a"))
        assert sorted(mapped, key=str) == [Request(NS, "a"), Request(NS, "b")]
    finally:
        await clusters.stop()
        await capi.stop()


async def test_a_machine_concerns_its_clusters_beskar7_cluster(store: EmbeddedStore) -> None:
    await store.create(capi_cluster("c1", infra="infra-of-c1"))
    owner = await store.create(capi_cluster("c2"))  # no infrastructureRef yet
    await store.create(beskar7_cluster("owned-by-c2", owner))
    await store.create(beskar7_cluster("unrelated"))
    clusters, capi = await synced(store)
    try:
        by_label = cluster.clusters_of_labelled(clusters, capi)
        assert list(by_label(capi_machine("m1", "c1"))) == [Request(NS, "infra-of-c1")]
        assert list(by_label(capi_machine("m2", "c2"))) == [Request(NS, "owned-by-c2")]
        assert list(by_label(beskar7_machine("b7m", "c2"))) == [Request(NS, "owned-by-c2")]
        unlabelled = capi_machine("m3", "c1")
        del unlabelled["metadata"]["labels"]
        assert list(by_label(unlabelled)) == []
        assert list(by_label(capi_machine("m4", "no-such-cluster"))) == []
    finally:
        await clusters.stop()
        await capi.stop()


async def test_a_cluster_concerns_its_own_beskar7_cluster(store: EmbeddedStore) -> None:
    owner = await store.create(capi_cluster("c2"))
    await store.create(beskar7_cluster("owned-by-c2", owner))
    clusters, capi = await synced(store)
    try:
        by_owner = cluster.clusters_of_owner(clusters, capi)
        assert list(by_owner(owner)) == [Request(NS, "owned-by-c2")]
        fresh = capi_cluster("c3", infra="infra-of-c3")  # not in the cache yet
        assert list(by_owner(fresh)) == [Request(NS, "infra-of-c3")]
        foreign: Obj = capi_cluster("c4")
        foreign["spec"]["infrastructureRef"] = {
            "apiVersion": "infrastructure.cluster.x-k8s.io/v1beta1",
            "kind": "Metal3Cluster",
            "name": "m3",
        }
        assert list(by_owner(foreign)) == []
    finally:
        await clusters.stop()
        await capi.stop()


def names(domains: list[dict[str, Any]]) -> list[str]:
    return [d["name"] for d in domains]


async def cluster_where(
    store: EmbeddedStore, predicate: Callable[[Obj], bool], what: str, timeout: float = 5.0
) -> Obj:
    """The Beskar7Cluster "c" once `predicate` holds for it (bounded wait)."""
    deadline = time.monotonic() + timeout
    while True:
        obj = await store.get(BESKAR7_CLUSTER, NS, "c")
        if predicate(obj):
            return obj
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}: {obj}")
        await asyncio.sleep(0.02)


def status_of(obj: Obj) -> dict[str, Any]:
    status: dict[str, Any] = obj.get("status", {})
    return status


async def test_under_a_manager_the_cluster_follows_its_machines_and_hosts(
    store: EmbeddedStore,
) -> None:
    manager = Manager(store, health_probe_address="0", metrics_address="0")
    reconciler = cluster.Beskar7ClusterReconciler(
        store,
        manager.recorder,
        KindMetrics(manager.metrics.registry),
        hosts=manager.cache(PHYSICAL_HOST),
        machines=manager.cache(MACHINE),
    )
    spec = cluster.controller(reconciler, manager.cache(BESKAR7_CLUSTER), manager.cache(CLUSTER))
    manager.add(spec)
    stop = asyncio.Event()
    task = asyncio.create_task(manager.run(stop))
    try:
        owner = await store.create(capi_cluster("c", infra="c"))
        await store.create(beskar7_cluster("c", owner))
        await store.create(host("h0", "rack-a"))
        await cluster_where(
            store, lambda o: "rack-a" in names(status_of(o).get("failureDomains", [])), "a zone"
        )

        await store.create(capi_machine("cp-0", "c"))
        patch = {"status": {"infrastructureReady": True, "addresses": [internal("10.0.0.7")]}}
        await store.patch_status(MACHINE, NS, "cp-0", patch)
        obj = await cluster_where(store, lambda o: status_of(o).get("ready") is True, "ready")
        assert obj["spec"]["controlPlaneEndpoint"] == {"host": "10.0.0.7", "port": 6443}

        await store.patch(PHYSICAL_HOST, NS, "h0", {"metadata": {"labels": {ZONE_LABEL: "b"}}})
        await cluster_where(
            store, lambda o: names(status_of(o)["failureDomains"]) == ["b"], "the new zone"
        )
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
