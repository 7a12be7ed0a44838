"""The Beskar7Cluster reconciler on an embedded store with CAPI Cluster and Machine objects."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from beskar7.api.capi import (
    CLUSTER_NAME_LABEL,
    CONTROL_PLANE_LABEL,
    MANAGED_BY_ANNOTATION,
    PAUSED_ANNOTATION,
    WATCH_FILTER_LABEL,
    ZONE_LABEL,
)
from beskar7.api.cluster import (
    EVENT_ENDPOINT_DISCOVERED,
    EVENT_FAILURE_DOMAINS_CHANGED,
    EVENT_READY,
    FINALIZER,
)
from beskar7.api.errors import NotFoundError
from beskar7.api.kinds import (
    BESKAR7_CLUSTER,
    BESKAR7_MACHINE,
    CLUSTER,
    EVENT,
    MACHINE,
    PHYSICAL_HOST,
    Kind,
    Obj,
)
from beskar7.api.validation import validate
from beskar7.controllers.cluster.reconciler import (
    NO_OWNER_REQUEUE,
    WAITING_REQUEUE,
    Beskar7ClusterReconciler,
)
from beskar7.controllers.metrics import KindMetrics
from beskar7.runtime.controller import Request, Result
from beskar7.runtime.events import EventRecorder
from beskar7.store.embedded.store import EmbeddedStore
from beskar7.store.protocol import Store

NS = "lab"
INFRA = "infrastructure.cluster.x-k8s.io/v1beta1"


def capi_cluster(name: str, *, paused: bool = False, infra: str | None = None) -> Obj:
    spec: dict[str, Any] = {"paused": paused} if paused else {}
    if infra is not None:
        spec["infrastructureRef"] = {"apiVersion": INFRA, "kind": "Beskar7Cluster", "name": infra}
    return {
        "apiVersion": CLUSTER.api_version,
        "kind": "Cluster",
        "metadata": {"name": name, "namespace": NS},
        "spec": spec,
    }


def beskar7_cluster(name: str, owner: Obj | None = None, **spec: Any) -> Obj:
    meta: dict[str, Any] = {"name": name, "namespace": NS}
    if owner is not None:
        ref = {"apiVersion": CLUSTER.api_version, "kind": "Cluster"}
        meta["ownerReferences"] = [{**ref, "name": owner["metadata"]["name"], "uid": "u-1"}]
    return {"apiVersion": INFRA, "kind": "Beskar7Cluster", "metadata": meta, "spec": spec}


def capi_machine(name: str, cluster: str, *, control_plane: bool = True, infra: str = "") -> Obj:
    labels = {CLUSTER_NAME_LABEL: cluster}
    if control_plane:
        labels[CONTROL_PLANE_LABEL] = ""
    spec: dict[str, Any] = {"clusterName": cluster, "bootstrap": {"dataSecretName": name}}
    if infra:
        spec["infrastructureRef"] = {"apiVersion": INFRA, "kind": "Beskar7Machine", "name": infra}
    return {
        "apiVersion": MACHINE.api_version,
        "kind": "Machine",
        "metadata": {"name": name, "namespace": NS, "labels": labels},
        "spec": spec,
    }


def beskar7_machine(name: str, cluster: str) -> Obj:
    return {
        "apiVersion": INFRA,
        "kind": "Beskar7Machine",
        "metadata": {"name": name, "namespace": NS, "labels": {CLUSTER_NAME_LABEL: cluster}},
        "spec": {
            "inspectionImage": "http://images.lab/inspect",
            "targetOSImage": "http://images.lab/os.raw",
        },
    }


def host(name: str, zone: str | None) -> Obj:
    labels = {ZONE_LABEL: zone} if zone else {}
    return {
        "apiVersion": INFRA,
        "kind": "PhysicalHost",
        "metadata": {"name": name, "namespace": NS, "labels": labels},
        "spec": {"redfishConnection": {"address": "https://bmc", "credentialsSecretRef": "s"}},
    }


def internal(address: str) -> dict[str, str]:
    return {"type": "InternalIP", "address": address}


def external(address: str) -> dict[str, str]:
    return {"type": "ExternalIP", "address": address}


def ready(*addresses: dict[str, str]) -> dict[str, Any]:
    """A Machine status saying its infrastructure is ready (the v1beta1 flag)."""
    return {"infrastructureReady": True, "addresses": list(addresses)}


def conditions_of(status: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {c["type"]: (c["status"], c.get("reason")) for c in status.get("conditions", [])}


class ClusterLab:
    """A store and a Beskar7Cluster reconciler called by hand."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.metrics = KindMetrics()
        self.reconciler = Beskar7ClusterReconciler(store, EventRecorder(store), self.metrics)

    async def create(self, obj: Obj, status: dict[str, Any] | None = None) -> Obj:
        created = await self.store.create(obj)
        if status is not None:
            kind = {"Machine": MACHINE, "Beskar7Machine": BESKAR7_MACHINE}[obj["kind"]]
            patch = {"status": status}
            created = await self.store.patch_status(kind, NS, obj["metadata"]["name"], patch)
        return created

    async def owned_cluster(self, name: str = "c", **spec: Any) -> Obj:
        owner = await self.create(capi_cluster(name, infra=name))
        return await self.create(beskar7_cluster(name, owner, **spec))

    async def settle(self, name: str = "c", rounds: int = 6) -> Result:
        """Reconcile as the manager would: again while the object changes (bounded)."""
        result = Result()
        for _ in range(rounds):
            before = await self.version(name)
            result = await self.reconciler.reconcile(Request(NS, name))
            if await self.version(name) == before:
                return result
        return result

    async def version(self, name: str) -> str | None:
        try:
            return str((await self.get(name))["metadata"]["resourceVersion"])
        except NotFoundError:
            return None

    async def get(self, name: str = "c", kind: Kind = BESKAR7_CLUSTER) -> Obj:
        return await self.store.get(kind, NS, name)

    async def events(self, name: str = "c") -> list[tuple[str, str]]:
        items = (await self.store.list(EVENT, NS)).items
        return [(e["reason"], e["message"]) for e in items if e["involvedObject"]["name"] == name]

    def gauge(self, metric: str, **labels: str) -> float | None:
        return self.metrics.registry.get_sample_value(f"beskar7_controller_{metric}", labels)


@pytest.fixture
async def lab(tmp_path: Path) -> AsyncIterator[ClusterLab]:
    store = EmbeddedStore(tmp_path / "beskar7.db", validate=validate)
    try:
        yield ClusterLab(store)
    finally:
        await store.close()


def conditions(obj: Obj) -> dict[str, tuple[str, str | None]]:
    """The conditions but `Paused` (tested on its own)."""
    found = conditions_of(obj["status"])
    found.pop("Paused", None)
    return found


async def test_discovery_writes_the_spec_and_the_status(lab: ClusterLab) -> None:
    await lab.owned_cluster()
    status = ready(external("203.0.113.7"), internal("10.0.0.7"))
    await lab.create(capi_machine("cp-0", "c"), status)

    result = await lab.settle()

    obj = await lab.get()
    assert obj["metadata"]["finalizers"] == [FINALIZER]
    assert obj["spec"]["controlPlaneEndpoint"] == {"host": "10.0.0.7", "port": 6443}
    assert obj["metadata"]["generation"] == 2, "the endpoint is a spec change"
    status = obj["status"]
    assert status["controlPlaneEndpoint"] == {"host": "10.0.0.7", "port": 6443}
    assert (status["ready"], status["initialization"]) == (True, {"provisioned": True})
    assert conditions(obj) == {"Ready": ("True", None), "ControlPlaneEndpointReady": ("True", None)}
    assert result == Result()
    reasons = dict(await lab.events())
    assert reasons[EVENT_ENDPOINT_DISCOVERED] == "10.0.0.7:6443 from Machine cp-0"
    assert reasons[EVENT_READY] == "control-plane endpoint 10.0.0.7:6443"
    assert lab.gauge("beskar7cluster_states_total", ready="true", namespace=NS) == 1


async def test_it_waits_for_a_ready_control_plane_machine(lab: ClusterLab) -> None:
    await lab.owned_cluster()
    await lab.create(capi_machine("cp-0", "c"), {"addresses": [internal("10.0.0.7")]})
    worker = capi_machine("worker-0", "c", control_plane=False)
    await lab.create(worker, ready(internal("10.0.0.9")))
    await lab.create(capi_machine("cp-other", "other"), ready(internal("10.0.0.8")))

    result = await lab.settle()

    obj = await lab.get()
    assert result == Result(requeue_after=WAITING_REQUEUE)
    assert "controlPlaneEndpoint" not in obj.get("spec", {})
    assert obj["status"]["ready"] is False
    assert "controlPlaneEndpoint" not in obj["status"]
    assert conditions(obj)["ControlPlaneEndpointReady"] == ("False", "ControlPlaneEndpointNotSet")
    assert conditions(obj)["Ready"] == ("False", "ControlPlaneEndpointNotSet")
    assert lab.gauge("beskar7cluster_states_total", ready="false", namespace=NS) == 1

    version = await lab.version("c")
    assert await lab.settle() == Result(requeue_after=WAITING_REQUEUE)
    assert await lab.version("c") == version, "nothing changed, nothing written"


async def test_the_beskar7_machine_tells_readiness_when_the_machine_does_not(
    lab: ClusterLab,
) -> None:
    await lab.owned_cluster()
    infra_status = {"ready": True, "addresses": [internal("10.0.0.21")]}
    await lab.create(beskar7_machine("b7m-0", "c"), infra_status)
    await lab.create(capi_machine("cp-0", "c", infra="b7m-0"), {})

    await lab.settle()

    assert (await lab.get())["spec"]["controlPlaneEndpoint"]["host"] == "10.0.0.21"


async def test_the_users_endpoint_is_mirrored_and_never_replaced(lab: ClusterLab) -> None:
    await lab.owned_cluster(controlPlaneEndpoint={"host": "api.lab.example", "port": 443})
    await lab.create(capi_machine("cp-0", "c"), ready(internal("10.0.0.7")))

    await lab.settle()

    obj = await lab.get()
    assert obj["spec"]["controlPlaneEndpoint"] == {"host": "api.lab.example", "port": 443}
    assert obj["metadata"]["generation"] == 1
    assert obj["status"]["controlPlaneEndpoint"] == {"host": "api.lab.example", "port": 443}
    assert obj["status"]["ready"] is True
    assert EVENT_ENDPOINT_DISCOVERED not in dict(await lab.events())


async def test_the_spec_port_is_kept_for_a_discovered_host(lab: ClusterLab) -> None:
    await lab.owned_cluster(controlPlaneEndpoint={"port": 7443})
    condition = {"type": "InfrastructureReady", "status": "True"}
    status = {"conditions": [condition], "addresses": [external("203.0.113.7")]}
    await lab.create(capi_machine("cp-0", "c"), status)

    await lab.settle()

    assert (await lab.get())["spec"]["controlPlaneEndpoint"] == {
        "host": "203.0.113.7",
        "port": 7443,
    }


async def test_failure_domains_come_from_the_hosts_zones(lab: ClusterLab) -> None:
    for name, zone in (("h0", "rack-a"), ("h1", "rack-b"), ("h2", "rack-a"), ("h3", None)):
        await lab.store.create(host(name, zone))
    await lab.owned_cluster()

    await lab.settle()

    domains = (await lab.get())["status"]["failureDomains"]
    assert domains == [
        {"name": "rack-a", "controlPlane": True},
        {"name": "rack-b", "controlPlane": True},
    ]
    assert lab.gauge("beskar7cluster_failure_domains_total", cluster="c", namespace=NS) == 2
    discovered = lab.gauge(
        "beskar7cluster_failure_domain_discovery_total", outcome="success", namespace=NS
    )
    assert discovered is not None and discovered >= 1
    assert (EVENT_FAILURE_DOMAINS_CHANGED, "rack-a, rack-b") in await lab.events()

    await lab.store.delete(PHYSICAL_HOST, NS, "h1")
    await lab.settle()
    domains = (await lab.get())["status"]["failureDomains"]
    assert domains == [{"name": "rack-a", "controlPlane": True}], "a zone without hosts goes"


async def test_without_an_owner_it_waits_and_adds_nothing(lab: ClusterLab) -> None:
    await lab.create(beskar7_cluster("c"))

    result = await lab.reconciler.reconcile(Request(NS, "c"))

    assert result == Result(requeue_after=NO_OWNER_REQUEUE)
    obj = await lab.get()
    assert "finalizers" not in obj["metadata"] and "status" not in obj


async def test_an_owner_that_is_gone_is_waited_for(lab: ClusterLab) -> None:
    owner = await lab.create(capi_cluster("c"))
    await lab.create(beskar7_cluster("c", owner))
    await lab.store.delete(CLUSTER, NS, "c")

    assert await lab.settle() == Result(requeue_after=NO_OWNER_REQUEUE)


@pytest.mark.parametrize("where", ["annotation", "cluster"])
async def test_infracluster_rule_paused_a_paused_cluster_only_gets_the_paused_condition(
    lab: ClusterLab, where: str
) -> None:
    owner = await lab.create(capi_cluster("c", paused=where == "cluster"))
    obj = beskar7_cluster("c", owner)
    if where == "annotation":
        obj["metadata"]["annotations"] = {PAUSED_ANNOTATION: "true"}
    created = await lab.create(obj)
    await lab.create(capi_machine("cp-0", "c"), ready(internal("10.0.0.7")))

    assert await lab.settle() == Result()

    after = await lab.get()
    assert after["metadata"].get("finalizers") == created["metadata"].get("finalizers")
    assert after.get("spec") == created.get("spec")
    paused = {(c["type"], c["status"], c["reason"]) for c in after["status"]["conditions"]}
    assert paused == {("Paused", "True", "Paused")}

    if where == "cluster":
        await lab.store.patch(CLUSTER, NS, "c", {"spec": {"paused": False}})
    else:
        patch = {"metadata": {"annotations": {PAUSED_ANNOTATION: None}}}
        await lab.store.patch(BESKAR7_CLUSTER, NS, "c", patch)
    await lab.settle()
    status = (await lab.get())["status"]
    assert conditions_of(status)["Paused"] == ("False", "NotPaused")
    assert status["ready"] is True


async def test_infracluster_rule_managed_by_an_externally_managed_cluster_is_skipped(
    lab: ClusterLab,
) -> None:
    owner = await lab.create(capi_cluster("c"))
    obj = beskar7_cluster("c", owner)
    obj["metadata"]["annotations"] = {MANAGED_BY_ANNOTATION: "someone-else"}
    created = await lab.create(obj)
    await lab.create(capi_machine("cp-0", "c"), ready(internal("10.0.0.7")))

    assert await lab.settle() == Result()
    assert await lab.get() == created


async def test_watch_filter_a_cluster_without_the_label_is_another_managers(
    lab: ClusterLab,
) -> None:
    lab.reconciler.watch_filter = "team-a"
    created = await lab.owned_cluster()
    assert await lab.settle() == Result()
    assert await lab.get() == created
    labels = {WATCH_FILTER_LABEL: "team-a"}
    await lab.store.patch(BESKAR7_CLUSTER, NS, "c", {"metadata": {"labels": labels}})
    await lab.settle()
    assert (await lab.get())["metadata"]["finalizers"] == [FINALIZER]


async def test_endpoint_a_vip_set_on_the_cluster_makes_the_infrastructure_ready_at_once(
    lab: ClusterLab,
) -> None:
    """With KubeadmControlPlane no Machine exists before the infrastructure is provisioned:
    the user's endpoint (a kube-vip VIP) on the Cluster is the path that works."""
    cluster = capi_cluster("c", infra="c")
    cluster["spec"]["controlPlaneRef"] = {
        "apiVersion": "controlplane.cluster.x-k8s.io/v1beta1",
        "kind": "KubeadmControlPlane",
        "name": "c-cp",
    }
    owner = await lab.create(cluster)
    await lab.create(beskar7_cluster("c", owner))
    await lab.settle()
    status = (await lab.get())["status"]
    assert conditions_of(status)["ControlPlaneEndpointReady"] == (
        "False",
        "ControlPlaneEndpointRequired",
    )

    vip = {"host": "192.0.2.100", "port": 6443}
    await lab.store.patch(CLUSTER, NS, "c", {"spec": {"controlPlaneEndpoint": vip}})
    await lab.settle()
    obj = await lab.get()
    assert obj["spec"]["controlPlaneEndpoint"] == vip
    assert obj["status"]["ready"] is True
    assert obj["status"]["initialization"] == {"provisioned": True}


async def test_infracluster_rule_deletion_keeps_ready_while_the_finalizer_holds(
    lab: ClusterLab,
) -> None:
    await lab.owned_cluster(controlPlaneEndpoint={"host": "10.0.0.9", "port": 6443})
    await lab.settle()
    await lab.store.patch(
        BESKAR7_CLUSTER, NS, "c", {"metadata": {"finalizers": [FINALIZER, "test/hold"]}}
    )
    await lab.store.delete(BESKAR7_CLUSTER, NS, "c")
    await lab.reconciler.reconcile(Request(NS, "c"))
    obj = await lab.get()
    assert obj["metadata"]["finalizers"] == ["test/hold"]
    assert obj["status"]["ready"] is True
    assert conditions_of(obj["status"])["Ready"][0] == "True"


async def test_deletion_drops_the_finalizer(lab: ClusterLab) -> None:
    await lab.owned_cluster()
    await lab.settle()
    assert (await lab.get())["metadata"]["finalizers"] == [FINALIZER]

    left = await lab.store.delete(BESKAR7_CLUSTER, NS, "c")
    assert left is not None, "the finalizer holds the object"
    assert await lab.reconciler.reconcile(Request(NS, "c")) == Result()

    with pytest.raises(NotFoundError):
        await lab.get()
    assert await lab.reconciler.reconcile(Request(NS, "c")) == Result(), "gone is fine"
    assert lab.gauge("beskar7cluster_states_total", ready="false", namespace=NS) == 0


async def test_deletion_proceeds_when_the_owner_is_already_gone(lab: ClusterLab) -> None:
    await lab.owned_cluster()
    await lab.settle()
    await lab.store.delete(CLUSTER, NS, "c")
    await lab.store.delete(BESKAR7_CLUSTER, NS, "c")

    await lab.reconciler.reconcile(Request(NS, "c"))

    with pytest.raises(NotFoundError):
        await lab.get()


async def test_a_stale_read_is_retried_not_an_error(lab: ClusterLab) -> None:
    """Someone writes between our read and our spec patch: the precondition catches it."""
    await lab.owned_cluster()
    await lab.settle()
    await lab.create(capi_machine("cp-0", "c"), ready(internal("10.0.0.7")))
    store = lab.store
    real_get = store.get

    async def get_then_interfere(kind: Kind, namespace: str, name: str) -> Obj:
        obj = await real_get(kind, namespace, name)
        if kind == BESKAR7_CLUSTER:
            patch = {"metadata": {"labels": {"touched": "yes"}}}
            await store.patch(BESKAR7_CLUSTER, namespace, name, patch)
        return obj

    store.get = get_then_interfere  # type: ignore[method-assign]
    try:
        result = await lab.reconciler.reconcile(Request(NS, "c"))
    finally:
        store.get = real_get  # type: ignore[method-assign]

    assert result == Result(requeue_after=1.0)
    assert "controlPlaneEndpoint" not in (await lab.get()).get("spec", {})
    await lab.settle()
    assert (await lab.get())["spec"]["controlPlaneEndpoint"]["host"] == "10.0.0.7"
