"""A Cluster API-shaped end to end over the Kubernetes backend: the API emulator
(beskar7_testing.kube_emulator) serves the objects, a real `beskar7 manager --kubeconfig`
reconciles them, sushy-tools and simulated servers running the real inspector are the hardware,
and this test writes the CAPI objects the way CAPI core would: the Cluster (paused first) and the
Beskar7Cluster it owns; Beskar7Machines owned by a MachineSet, then by their Machine (with
failureDomain, bootstrap.dataSecretName and infrastructureRef); the Cluster's infrastructure
marked provisioned once the Beskar7Cluster is; a replacement for a failed Machine; deletion.
Each assertion names the contract rule it checks."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from beskar7.api.capi import CLUSTER_NAME_LABEL, ZONE_LABEL
from beskar7.api.errors import NotFoundError
from beskar7.api.kinds import BESKAR7_CLUSTER, BESKAR7_MACHINE, CLUSTER, MACHINE, PHYSICAL_HOST, Obj
from beskar7.api.validation import validate
from beskar7.store.kube.store import connect
from beskar7_testing import objects
from beskar7_testing.hardware import Hardware
from beskar7_testing.kube_emulator import KubeEmulator
from beskar7_testing.lab import ProvisioningLab

pytestmark = pytest.mark.slow

NAME = "capi"
VIP = {"host": "192.0.2.100", "port": 6443}
SMALL = 1  # the system whose 2 GB fails the machines' 4 GB requirement
ZONES = ("rack-a", "rack-b", "rack-b")


class KubeLab(ProvisioningLab):
    """The lab on the Kubernetes backend: the manager and this test both go through the API
    emulator's HTTP API (`--kubeconfig`), never the store file."""

    def __init__(self, workdir: Path, **kwargs: Any) -> None:
        self.kubeconfig = workdir.resolve() / "kubeconfig"
        args = ("--kubeconfig", str(self.kubeconfig), "--leader-elect=false")
        super().__init__(workdir, manager_args=args, **kwargs)
        self.api = KubeEmulator(self.workdir / "api.db", validate=validate)

    async def start(self) -> "KubeLab":
        self.workdir.mkdir(parents=True, exist_ok=True)
        await self.store.close()  # the embedded store of the base lab: unused here
        await asyncio.to_thread(self.api.start)
        self.store = await connect(self.api.write_kubeconfig(self.kubeconfig))
        await super().start()
        return self

    async def stop(self) -> None:
        await super().stop()
        await asyncio.to_thread(self.api.stop)


@pytest.fixture
async def lab(tmp_path: Path) -> AsyncIterator[KubeLab]:
    memory = {SMALL: 2048}
    kube_lab = KubeLab(
        tmp_path / "lab", systems=3, hardware=lambda i: Hardware(memory_mib=memory.get(i, 8192))
    )
    await kube_lab.start()
    try:
        yield kube_lab
    finally:
        await kube_lab.stop()


def meta(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": "default", **extra}


def owner(obj: Obj, *, api_version: str | None = None, kind: str | None = None) -> dict[str, Any]:
    return {
        "apiVersion": api_version or obj["apiVersion"],
        "kind": kind or obj["kind"],
        "name": obj["metadata"]["name"],
        "uid": obj["metadata"]["uid"],
        "controller": True,
    }


def conditions(obj: Obj) -> dict[str, dict[str, Any]]:
    return {c["type"]: c for c in obj.get("status", {}).get("conditions", [])}


class Capi:
    """What CAPI core writes, through the API."""

    def __init__(self, lab: KubeLab) -> None:
        self.lab, self.store = lab, lab.store
        self.machine_set: Obj = {  # only its identity is used: an owner reference
            "apiVersion": "cluster.x-k8s.io/v1beta1", "kind": "MachineSet",
            "metadata": {**meta(f"{NAME}-md-0-abcde"), "uid": "0b3c5a52-ms"},
        }  # fmt: skip

    async def cluster(self) -> Obj:
        spec = {
            "paused": True,
            "controlPlaneEndpoint": VIP,
            "infrastructureRef": {"apiVersion": BESKAR7_CLUSTER.api_version,
                                  "kind": BESKAR7_CLUSTER.kind, "name": NAME},
        }  # fmt: skip
        obj = {"apiVersion": CLUSTER.api_version, "kind": CLUSTER.kind, "metadata": meta(NAME)}
        return await self.store.create({**obj, "spec": spec})

    async def beskar7_cluster(self, cluster: Obj) -> Obj:
        obj = {"apiVersion": BESKAR7_CLUSTER.api_version, "kind": BESKAR7_CLUSTER.kind,
               "metadata": meta(NAME, ownerReferences=[owner(cluster)]), "spec": {}}  # fmt: skip
        return await self.store.create(obj)

    async def infra_machine(self, name: str) -> Obj:
        """As a MachineSet creates it from its template: owned by the MachineSet."""
        labels = {CLUSTER_NAME_LABEL: NAME}
        spec = {
            "inspectionImage": self.lab.fleet.image_url,
            "targetOSImage": self.lab.fleet.target_url,
            "hardwareRequirements": {"minMemoryGB": 4},
        }
        refs = [owner(self.machine_set)]
        identity = meta(name, labels=labels, ownerReferences=refs)
        obj = {"apiVersion": BESKAR7_MACHINE.api_version, "kind": BESKAR7_MACHINE.kind}
        return await self.store.create({**obj, "metadata": identity, "spec": spec})

    async def machine(self, name: str, zone: str) -> Obj:
        data = f"{name}-bootstrap"
        user_data = {"value": f"#cloud-config\nhostname: {name}\n", "format": "cloud-config"}
        await self.store.create(objects.secret(data, "default", user_data))
        spec = {
            "clusterName": NAME,
            "failureDomain": zone,
            "bootstrap": {"dataSecretName": data},
            "infrastructureRef": {"apiVersion": BESKAR7_MACHINE.api_version,
                                  "kind": BESKAR7_MACHINE.kind, "name": name},
        }  # fmt: skip
        obj = {"apiVersion": MACHINE.api_version, "kind": MACHINE.kind,
               "metadata": meta(name, labels={CLUSTER_NAME_LABEL: NAME})}  # fmt: skip
        machine = await self.store.create({**obj, "spec": spec})
        # the Machine controller takes the infrastructure machine over (ownerReferences)
        patch = {"metadata": {"ownerReferences": [owner(machine)]}}
        await self.store.patch(BESKAR7_MACHINE, "default", name, patch)
        return machine

    async def replica(self, name: str, zone: str) -> None:
        await self.infra_machine(name)
        await self.machine(name, zone)


async def until(lab: KubeLab, what: str, check: Any, timeout: float = 90) -> None:
    async def ok() -> bool:
        try:
            return bool(await check())
        except NotFoundError:
            return False

    await lab.wait(ok, timeout, what)


async def get(lab: KubeLab, kind: Any, name: str) -> Obj:
    return await lab.store.get(kind, "default", name)


async def test_capi_shaped_cluster_over_the_kubernetes_api(lab: KubeLab) -> None:
    capi = Capi(lab)
    hosts = await lab.add_hosts(range(3))
    for host, zone in zip(hosts, ZONES, strict=True):
        labels = {"metadata": {"labels": {ZONE_LABEL: zone}}}
        await lab.store.patch(PHYSICAL_HOST, "default", host, labels)
    await cluster_paused_then_provisioned(lab, capi)
    await machines_claim_in_their_failure_domain(lab, capi, hosts)
    await a_replacement_skips_the_host_that_failed(lab, capi, hosts)
    await deletion(lab, hosts)


async def phase_is(lab: KubeLab, name: str, wanted: str) -> bool:
    found: str | None = (await get(lab, BESKAR7_MACHINE, name)).get("status", {}).get("phase")
    return found == wanted


async def gone(lab: KubeLab, kind: Any, name: str) -> bool:
    try:
        await get(lab, kind, name)
    except NotFoundError:
        return True
    return False


async def cluster_paused_then_provisioned(lab: KubeLab, capi: Capi) -> None:
    cluster = await capi.cluster()
    await capi.beskar7_cluster(cluster)

    async def paused_condition() -> bool:
        found = conditions(await get(lab, BESKAR7_CLUSTER, NAME)).get("Paused", {})
        return found.get("status") == "True"

    await until(lab, "InfraCluster contract: Paused condition True", paused_condition)
    b7c = await get(lab, BESKAR7_CLUSTER, NAME)
    assert "finalizers" not in b7c["metadata"], "paused: nothing but the condition"

    await lab.store.patch(CLUSTER, "default", NAME, {"spec": {"paused": False}})

    async def provisioned() -> bool:
        return (await get(lab, BESKAR7_CLUSTER, NAME)).get("status", {}).get("ready") is True

    await until(lab, "InfraCluster contract: provisioned from the user's VIP", provisioned)
    b7c = await get(lab, BESKAR7_CLUSTER, NAME)
    assert b7c["spec"]["controlPlaneEndpoint"] == VIP
    assert b7c["status"]["initialization"] == {"provisioned": True}
    assert b7c["status"]["failureDomains"] == [
        {"name": "rack-a", "controlPlane": True},
        {"name": "rack-b", "controlPlane": True},
    ], "InfraCluster contract v1beta2: failure domains are a list"
    assert conditions(b7c)["Paused"]["status"] == "False"


async def machines_claim_in_their_failure_domain(
    lab: KubeLab, capi: Capi, hosts: list[str]
) -> None:
    await capi.infra_machine("m-a")
    await capi.infra_machine("m-b")
    await asyncio.sleep(2)
    orphan = await get(lab, BESKAR7_MACHINE, "m-a")
    assert "finalizers" not in orphan["metadata"], "InfraMachine contract: no owner Machine yet"
    await capi.machine("m-a", "rack-a")
    await capi.machine("m-b", "rack-b")

    async def waits_for_infrastructure() -> bool:
        found = conditions(await get(lab, BESKAR7_MACHINE, "m-a")).get("PhysicalHostAssociated")
        return found is not None and bool(found["reason"] == "WaitingForClusterInfrastructure")

    what = "InfraMachine contract: the claim waits for the Cluster's infrastructure"
    await until(lab, what, waits_for_infrastructure)
    for host in hosts:
        assert "consumerRef" not in (await get(lab, PHYSICAL_HOST, host))["spec"]

    # CAPI core saw the Beskar7Cluster provisioned
    await lab.store.patch_status(CLUSTER, "default", NAME, objects.INFRASTRUCTURE_PROVISIONED)

    await until(lab, "m-a Provisioned", lambda: phase_is(lab, "m-a", "Provisioned"), 120)
    m_a = await get(lab, BESKAR7_MACHINE, "m-a")
    assert m_a["spec"]["providerID"] == f"b7://default/{hosts[0]}", "failure domain rack-a"
    assert m_a["status"]["failureDomain"] == "rack-a", "InfraMachine contract: failureDomain"
    assert m_a["status"]["initialization"] == {"provisioned": True}
    first = await get(lab, PHYSICAL_HOST, hosts[0])
    assert m_a["status"].get("addresses", []) == addresses_of(first), "the report's, the BMC's"
    assert conditions(m_a)["Paused"]["status"] == "False"

    # m-b asked for rack-b and got the small host first (never inspected), which fails it
    await until(lab, "m-b Failed", lambda: phase_is(lab, "m-b", "Failed"), 120)
    m_b = await get(lab, BESKAR7_MACHINE, "m-b")
    assert m_b["status"]["failureReason"] == "HardwareRequirementsNotMet"

    async def small_host_free() -> bool:
        host = await get(lab, PHYSICAL_HOST, hosts[SMALL])
        return host["status"].get("state") == "Available" and "consumerRef" not in host["spec"]

    await until(lab, "safe release: the small host Available once powered off", small_host_free)
    small = await get(lab, PHYSICAL_HOST, hosts[SMALL])
    assert small["status"]["inspectionReport"]["memory"], "inventory kept at release"
    lab.emulator.wait_for_power_state(SMALL, "Off", timeout=20)


async def a_replacement_skips_the_host_that_failed(
    lab: KubeLab, capi: Capi, hosts: list[str]
) -> None:
    """The MachineSet replaces the failed machine: the inventory steers it to the other host."""
    await lab.store.delete(MACHINE, "default", "m-b")
    await lab.store.delete(BESKAR7_MACHINE, "default", "m-b")
    await capi.replica("m-b2", "rack-b")
    await until(lab, "m-b2 Provisioned", lambda: phase_is(lab, "m-b2", "Provisioned"), 120)
    m_b2 = await get(lab, BESKAR7_MACHINE, "m-b2")
    assert m_b2["spec"]["providerID"] == f"b7://default/{hosts[2]}"
    small = await get(lab, PHYSICAL_HOST, hosts[SMALL])
    assert "consumerRef" not in small["spec"], "the host that failed is not claimed again"
    boots = [what for what, _ in lab.fleet.boots[SMALL].events]
    assert boots.count("power-on") == 1


async def deletion(lab: KubeLab, hosts: list[str]) -> None:
    await lab.store.delete(PHYSICAL_HOST, "default", hosts[2])
    await asyncio.sleep(3)
    held = await get(lab, PHYSICAL_HOST, hosts[2])
    assert held["metadata"]["finalizers"], "safe release: a claimed host's deletion waits"
    assert held["status"]["state"] == "Ready"

    await lab.store.delete(BESKAR7_MACHINE, "default", "m-b2")
    what = "the deleted host goes once its machine let it go"
    await until(lab, what, lambda: gone(lab, PHYSICAL_HOST, hosts[2]))
    lab.emulator.wait_for_power_state(2, "Off", timeout=20)

    await lab.store.delete(BESKAR7_MACHINE, "default", "m-a")

    async def first_host_free() -> bool:
        host = await get(lab, PHYSICAL_HOST, hosts[0])
        labels = host["metadata"].get("labels", {})
        return host["status"].get("state") == "Available" and CLUSTER_NAME_LABEL not in labels

    await until(lab, "m-a's host released, its cluster label gone", first_host_free)
    await lab.store.delete(BESKAR7_CLUSTER, "default", NAME)
    await until(
        lab, "the Beskar7Cluster's finalizer released", lambda: gone(lab, BESKAR7_CLUSTER, NAME)
    )


def addresses_of(host: Obj) -> list[dict[str, str]]:
    """What the machine should show: the report's NIC addresses, then the BMC's."""
    found: list[dict[str, str]] = []
    for nic in host["status"].get("inspectionReport", {}).get("nics", []):
        for ip in nic.get("ipAddresses", []):
            entry = {"type": "InternalIP", "address": ip.partition("/")[0]}
            if entry not in found:
                found.append(entry)
    for entry in host["status"].get("addresses", []):
        if entry not in found:
            found.append(entry)
    return found
