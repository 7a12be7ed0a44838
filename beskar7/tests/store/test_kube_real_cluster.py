"""KubernetesStore's basic round trip against a real cluster ($KUBECONFIG or ~/.kube/config).

Skipped when no cluster answers within 2 s, so it never fails on a machine without one.
Objects are created in $BESKAR7_TEST_NAMESPACE (default "default") under unique names and
removed afterwards. The PhysicalHost test also needs the beskar7 CRDs installed.
"""

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import suppress
from pathlib import Path

import pytest

from beskar7.api.errors import NotFoundError, StoreError, UnavailableError
from beskar7.api.kinds import PHYSICAL_HOST, SECRET, Kind
from beskar7.store.kube.store import KubernetesStore, connect
from beskar7.store.protocol import WatchEvent
from tests.fixtures.stores import host, secret, watching

NAMESPACE = os.environ.get("BESKAR7_TEST_NAMESPACE", "default")
FINALIZER = "physicalhost.infrastructure.cluster.x-k8s.io"
UNREACHABLE = "no Kubernetes cluster reachable"


def kubeconfig_path() -> Path | None:
    for entry in os.environ.get("KUBECONFIG", "").split(os.pathsep):
        if entry and Path(entry).expanduser().is_file():
            return Path(entry).expanduser()
    default = Path.home() / ".kube" / "config"
    return default if default.is_file() else None


async def _probe(store: KubernetesStore, path: Path) -> str | None:
    """Why the cluster cannot be used, or None when it answered."""
    try:
        async with asyncio.timeout(2):
            await store.list(SECRET, NAMESPACE)
    except TimeoutError:
        return f"{UNREACHABLE}: no answer within 2 s ({path})"
    except UnavailableError as exc:
        return f"{UNREACHABLE}: {exc} ({path})"
    except StoreError as exc:
        return f"the Kubernetes cluster of {path} cannot be used here: {exc}"
    return None


@pytest.fixture
async def cluster() -> AsyncIterator[KubernetesStore]:
    path = kubeconfig_path()
    if path is None:
        pytest.skip(f"{UNREACHABLE}: no kubeconfig ($KUBECONFIG, ~/.kube/config)")
    try:
        store = await connect(path)
    except Exception as exc:  # any unreadable kubeconfig means: no cluster to test against
        pytest.skip(f"{UNREACHABLE}: {exc}")
    reason = await _probe(store, path)
    if reason is not None:
        await store.close()
        pytest.skip(reason)
    try:
        yield store
    finally:
        await store.close()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def events_of(watch: AsyncIterator[WatchEvent], name: str, count: int) -> list[str]:
    """The types of the next `count` events about `name` (others may share the namespace)."""
    seen: list[str] = []
    async with asyncio.timeout(10):
        while len(seen) < count:
            event = await anext(watch)
            if event.object["metadata"]["name"] == name:
                seen.append(event.type)
    return seen


async def remove(store: KubernetesStore, kind: Kind, name: str) -> None:
    with suppress(NotFoundError):
        await store.patch(kind, NAMESPACE, name, {"metadata": {"finalizers": None}})
        await store.delete(kind, NAMESPACE, name)


async def test_secret_round_trip(cluster: KubernetesStore) -> None:
    name = unique("beskar7-test")
    created = await cluster.create(secret(name, NAMESPACE, username="admin"))
    try:
        assert (await cluster.get(SECRET, NAMESPACE, name))["data"] == created["data"]
        start = created["metadata"]["resourceVersion"]
        async with watching(cluster, SECRET, NAMESPACE, start) as watch:
            labels = {"beskar7.test": "yes"}
            patched = await cluster.patch(SECRET, NAMESPACE, name, {"metadata": {"labels": labels}})
            assert patched["metadata"]["labels"] == labels
            listed = await cluster.list(SECRET, NAMESPACE, labels)
            assert name in [o["metadata"]["name"] for o in listed.items]
            assert await cluster.delete(SECRET, NAMESPACE, name) is None
            assert await events_of(watch, name, 2) == ["MODIFIED", "DELETED"]
        with pytest.raises(NotFoundError):
            await cluster.get(SECRET, NAMESPACE, name)
    finally:
        await remove(cluster, SECRET, name)


async def test_physical_host_round_trip(cluster: KubernetesStore) -> None:
    try:
        await cluster.list(PHYSICAL_HOST, NAMESPACE)
    except NotFoundError:
        pytest.skip("the beskar7 CRDs are not installed in this cluster")
    name = unique("beskar7-test")
    created = await cluster.create(host(name, NAMESPACE, metadata={"finalizers": [FINALIZER]}))
    try:
        start = created["metadata"]["resourceVersion"]
        async with watching(cluster, PHYSICAL_HOST, NAMESPACE, start) as watch:
            status = {"state": "Enrolling", "ready": False}
            written = await cluster.patch_status(PHYSICAL_HOST, NAMESPACE, name, {"status": status})
            assert written["status"] == status
            ignored = await cluster.patch(
                PHYSICAL_HOST, NAMESPACE, name, {"status": {"state": "Ready"}}
            )
            assert ignored["status"] == status  # status only through /status
            deleting = await cluster.delete(PHYSICAL_HOST, NAMESPACE, name)
            assert deleting is not None and deleting["metadata"]["deletionTimestamp"]
            await cluster.patch(PHYSICAL_HOST, NAMESPACE, name, {"metadata": {"finalizers": None}})
            assert await events_of(watch, name, 3) == ["MODIFIED", "MODIFIED", "DELETED"]
        with pytest.raises(NotFoundError):
            await cluster.get(PHYSICAL_HOST, NAMESPACE, name)
    finally:
        await remove(cluster, PHYSICAL_HOST, name)
