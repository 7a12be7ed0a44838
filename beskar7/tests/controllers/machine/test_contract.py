"""The Beskar7Machine reconciler and the Cluster API infrastructure-machine contract: owner,
Cluster, pause, finalizer, bootstrap data, providerID; and the watches that wake it. Hosts
enroll against a scripted BMC (the machine controller itself never talks Redfish)."""

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any

import pytest

from beskar7.api import capi
from beskar7.api.kinds import BESKAR7_MACHINE, CLUSTER, MACHINE, PHYSICAL_HOST, SECRET, Kind, Obj
from beskar7.api.machine import FINALIZER
from beskar7.controllers.host.reconciler import hosts_of_cluster
from beskar7.controllers.machine.reconciler import (
    NO_OWNER_REQUEUE,
    controller,
    machine_of_host,
    machines_in_cluster,
    machines_owned_by,
    machines_using_secret,
)
from beskar7.runtime.controller import Request
from beskar7.runtime.informer import Informer
from beskar7_testing.redfish_stub import RedfishStub
from tests.fixtures.hosts import NAMESPACE, physical_host
from tests.fixtures.machines import CLUSTER_NAME, MachineLab, bootstrap_secret_obj


def conditions(status: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {c["type"]: (c["status"], c.get("reason")) for c in status.get("conditions", [])}


async def untouched(lab: MachineLab, name: str) -> None:
    machine = await lab.machine(name)
    assert "finalizers" not in machine["metadata"] and "status" not in machine


async def test_a_machine_without_an_owner_machine_waits(machine_lab: MachineLab) -> None:
    await machine_lab.add_machine("orphan", owned=False)

    result = await machine_lab.reconcile("orphan")

    assert result.requeue_after == NO_OWNER_REQUEUE
    await untouched(machine_lab, "orphan")


async def test_a_machine_whose_cluster_is_missing_waits(machine_lab: MachineLab) -> None:
    await machine_lab.add_machine("m")
    await machine_lab.store.delete(CLUSTER, NAMESPACE, CLUSTER_NAME)

    assert (await machine_lab.reconcile("m")).requeue_after == NO_OWNER_REQUEUE
    await untouched(machine_lab, "m")


@pytest.mark.parametrize("how", ["annotation", "cluster"])
async def test_inframachine_rule_paused_a_paused_machine_only_gets_the_paused_condition(
    machine_lab: MachineLab, redfish_stub: RedfishStub, how: str
) -> None:
    lab = machine_lab
    await lab.add_host("h", redfish_stub.url)
    paused = {capi.PAUSED_ANNOTATION: "true"} if how == "annotation" else None
    await lab.add_machine("m", annotations=paused)
    if how == "cluster":
        await lab.store.patch(CLUSTER, NAMESPACE, CLUSTER_NAME, {"spec": {"paused": True}})

    await lab.settle("m")

    machine = await lab.machine("m")
    assert "finalizers" not in machine["metadata"]
    assert conditions(machine["status"]) == {"Paused": ("True", "Paused")}
    assert "consumerRef" not in (await lab.hosts.host("h"))["spec"]

    await lab.store.delete(BESKAR7_MACHINE, NAMESPACE, "m")  # no finalizer: simply gone
    assert await lab.gone("m")


async def test_bootstrap_data_is_waited_for_before_a_host_is_claimed(
    machine_lab: MachineLab, redfish_stub: RedfishStub
) -> None:
    lab = machine_lab
    await lab.add_host("h", redfish_stub.url)
    await lab.add_machine("m", bootstrap=False)

    result = await lab.reconcile("m")  # finalizer
    assert (await lab.machine("m"))["metadata"]["finalizers"] == [FINALIZER]
    result = await lab.reconcile("m")
    assert result.requeue_after == 30.0
    status = await lab.machine_status("m")
    assert status["phase"] == "Pending"
    assert conditions(status)["BootstrapDataReady"] == ("False", "WaitingForBootstrapData")
    assert conditions(status)["InfrastructureReady"] == ("False", "WaitingForBootstrapData")

    spec = {"bootstrap": {"dataSecretName": "m-data"}}
    await lab.store.patch(MACHINE, NAMESPACE, "m", {"spec": spec})
    await lab.settle("m")
    assert "consumerRef" not in (await lab.hosts.host("h"))["spec"]  # the Secret is missing

    await lab.store.create(bootstrap_secret_obj("m-data"))
    await lab.settle("m")
    assert (await lab.hosts.host("h"))["spec"]["consumerRef"]["name"] == "m"
    assert (await lab.machine_status("m"))["phase"] == "Inspecting"


async def test_without_an_available_host_the_machine_waits_for_one(
    machine_lab: MachineLab, redfish_stub: RedfishStub
) -> None:
    lab = machine_lab
    await lab.add_machine("m")
    await lab.settle("m")
    status = await lab.machine_status("m")
    assert status["phase"] == "Pending"
    assert conditions(status)["PhysicalHostAssociated"] == ("False", "WaitingForPhysicalHost")

    await lab.add_host("late", redfish_stub.url)
    await lab.settle("m")
    assert (await lab.hosts.host("late"))["spec"]["consumerRef"]["name"] == "m"


async def test_spec_provider_id_names_the_host_to_claim(
    machine_lab: MachineLab, redfish_stub: RedfishStub
) -> None:
    lab = machine_lab
    for name in ("a", "b"):
        await lab.add_host(name, redfish_stub.url)
    await lab.add_machine("m")
    spec = {"providerID": "b7://lab/b"}
    await lab.store.patch(BESKAR7_MACHINE, NAMESPACE, "m", {"spec": spec})

    await lab.settle("m")

    assert "consumerRef" not in (await lab.hosts.host("a"))["spec"]
    assert (await lab.hosts.host("b"))["spec"]["consumerRef"]["name"] == "m"


async def test_hosts_are_claimed_in_name_order(
    machine_lab: MachineLab, redfish_stub: RedfishStub
) -> None:
    lab = machine_lab
    for name in ("h-b", "h-a", "h-c"):
        await lab.add_host(name, redfish_stub.url)
    await lab.add_machine("m")
    await lab.settle("m")
    assert (await lab.hosts.host("h-a"))["spec"]["consumerRef"]["name"] == "m"


async def test_deleting_a_machine_that_never_got_a_host_drops_the_finalizer(
    machine_lab: MachineLab,
) -> None:
    await machine_lab.add_machine("m")
    await machine_lab.settle("m")
    await machine_lab.store.delete(BESKAR7_MACHINE, NAMESPACE, "m")

    await machine_lab.reconcile("m")

    assert await machine_lab.gone("m")


# -- watches -----------------------------------------------------------------------------------


@pytest.fixture
async def caches(machine_lab: MachineLab) -> AsyncIterator[Callable[[Kind], Informer]]:
    started: list[Informer] = []

    def cache(kind: Kind) -> Informer:
        informer = Informer(machine_lab.store, kind)
        informer.start()
        started.append(informer)
        return informer

    yield cache
    for informer in started:
        await informer.stop()


async def synced(*informers: Informer) -> None:
    for informer in informers:
        assert await informer.wait_synced(5.0)
    await asyncio.sleep(0.3)  # let the watches catch up with the last writes


def keys(requests: Iterable[Request]) -> set[str]:
    return {r.name for r in requests}


def host_obj(name: str, consumer: str | None = None, state: str | None = None) -> Obj:
    obj: Obj = {"metadata": {"name": name, "namespace": NAMESPACE}, "spec": {}, "status": {}}
    if consumer:
        obj["spec"]["consumerRef"] = {"kind": "Beskar7Machine", "name": consumer}
    if state:
        obj["status"]["state"] = state
    return obj


async def test_watch_mappers_find_the_machines_a_change_concerns(
    machine_lab: MachineLab, caches: Callable[[Kind], Informer]
) -> None:
    lab = machine_lab
    await lab.add_machine("waiting")
    await lab.add_machine("working")
    await lab.store.patch_status(
        BESKAR7_MACHINE, NAMESPACE, "working", {"status": {"phase": "Inspecting"}}
    )
    machines, capi_machines = caches(BESKAR7_MACHINE), caches(MACHINE)
    await synced(machines, capi_machines)

    by_host = machine_of_host(machines)
    assert keys(by_host(host_obj("h", consumer="working", state="Inspecting"))) == {"working"}
    assert keys(by_host(host_obj("h", state="Available"))) == {"waiting"}
    assert keys(by_host(host_obj("h", state="Enrolling"))) == set()

    capi_machine = await lab.store.get(MACHINE, NAMESPACE, "working")
    assert keys(machines_owned_by(machines)(capi_machine)) == {"working"}
    secret = await lab.store.get(SECRET, NAMESPACE, "working-bootstrap")
    assert keys(machines_using_secret(machines, capi_machines)(secret)) == {"working"}
    cluster = await lab.store.get(CLUSTER, NAMESPACE, CLUSTER_NAME)
    assert keys(machines_in_cluster(machines)(cluster)) == {"waiting", "working"}

    spec = controller(lab.reconciler, machines, capi_machines, concurrency=3)
    assert (spec.kind, spec.concurrency) == (BESKAR7_MACHINE, 3)
    assert {w.kind for w in spec.watches} == {PHYSICAL_HOST, MACHINE, SECRET, CLUSTER}


async def test_a_claim_labels_the_host_with_its_cluster_so_a_pause_reaches_it(
    machine_lab: MachineLab, redfish_stub: RedfishStub, caches: Callable[[Kind], Informer]
) -> None:
    lab = machine_lab
    await lab.add_host("h", redfish_stub.url)
    await lab.add_host("other", redfish_stub.url)
    await lab.add_machine("m")
    await lab.reconcile("m")  # finalizer
    await lab.reconcile("m")  # claim
    labels = (await lab.hosts.host("h"))["metadata"]["labels"]
    assert labels[capi.CLUSTER_NAME_LABEL] == CLUSTER_NAME
    hosts = caches(PHYSICAL_HOST)
    await synced(hosts)
    cluster = await lab.store.get(CLUSTER, NAMESPACE, CLUSTER_NAME)
    assert keys(hosts_of_cluster(hosts)(cluster)) == {"h"}


async def test_inframachine_rule_deletion_keeps_ready_until_the_finalizers_are_gone(
    machine_lab: MachineLab, redfish_stub: RedfishStub
) -> None:
    lab = machine_lab
    await lab.add_host("h", redfish_stub.url)
    await lab.add_machine("m")
    await lab.settle("m")
    await lab.store.patch_status(
        BESKAR7_MACHINE, NAMESPACE, "m", {"status": {"ready": True, "phase": "Provisioned"}}
    )
    finalizers = {"metadata": {"finalizers": [FINALIZER, "test/hold"]}}
    await lab.store.patch(BESKAR7_MACHINE, NAMESPACE, "m", finalizers)
    await lab.store.delete(BESKAR7_MACHINE, NAMESPACE, "m")

    await lab.reconcile("m")

    machine = await lab.machine("m")
    assert machine["metadata"]["finalizers"] == ["test/hold"]
    assert machine["status"]["ready"] is True, "Ready is not taken back while deleting"


async def test_watch_filter_only_labelled_machines_and_hosts_are_reconciled(
    machine_lab: MachineLab, redfish_stub: RedfishStub
) -> None:
    lab = machine_lab
    lab.settings.watch_filter = "blue"
    lab.hosts.reconciler.settings.watch_filter = "blue"
    await lab.hosts.put_secret("bmc", "u", "p")
    await lab.store.create(physical_host("h", redfish_stub.url))
    await lab.add_machine("m")
    await lab.settle("m")
    await untouched(lab, "m")
    assert "status" not in await lab.hosts.host("h")

    labels = {"metadata": {"labels": {capi.WATCH_FILTER_LABEL: "blue"}}}
    await lab.store.patch(BESKAR7_MACHINE, NAMESPACE, "m", labels)
    await lab.store.patch(PHYSICAL_HOST, NAMESPACE, "h", labels)
    await lab.settle("m")
    assert (await lab.machine("m"))["metadata"]["finalizers"] == [FINALIZER]
    assert (await lab.hosts.host("h"))["status"]["state"]
